// Networks of a run, built from config.network; their weights and prototypes are saved and read as
// run-folder artifacts (main/artifacts/model.ts).
import { SegNet, type NamedWeights } from '../../engine/nets';
import type { RunConfig } from '../../../shared/runs-config';
import { segNetConfig } from '../../models/network';

export const buildNet = (network: RunConfig['network'], seed: number, weights?: NamedWeights): SegNet =>
  new SegNet(segNetConfig(network), { seed, weights });
