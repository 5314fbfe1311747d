// The network a run config names, as the engine builds it.
import { demoConfig, backbones, type BackboneName, type SegNetConfig } from '../engine/nets';
import type { RunConfig } from '../../shared/runs-config';

export function segNetConfig(network: RunConfig['network']): SegNetConfig {
  if (network.arch === 'demo') return demoConfig(network.classes);
  if (!(network.arch in backbones)) throw new Error(`network.arch "${network.arch}" is not one of demo, ${Object.keys(backbones).join(', ')}`);
  return { backbone: network.arch as BackboneName, numClasses: network.classes, bnPretrain: network.bnPretrain };
}
