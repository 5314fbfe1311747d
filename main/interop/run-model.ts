// What an export needs from a run: its network config, the student weights (final model artifact, or
// the newest verified checkpoint while the run has not finished) and the facts the sidecar records.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ClassSetId } from '../../shared/classes';
import { classSetIds } from '../../shared/classes';
import type { RunConfig } from '../../shared/runs-config';
import type { SegNetConfig } from '../engine/nets/deeplab';
import type { NamedWeights } from '../engine/nets/net';
import { loadLatestCheckpoint } from '../runs/checkpoints';
import { readConfig, readReport, readStatus, runDir, runPaths } from '../runs/records';
import { MODEL_ARTIFACT, readModel, segNetConfig, tensorsToPrototypes, tensorsToWeights } from '../runs/stages/net';
import type { ExportInfo } from './export-model';

export interface RunModel {
  runDir: string;
  config: RunConfig;
  network: SegNetConfig;
  weights: NamedWeights;
  prototypes: { classes: number; dim: number; data: Float32Array } | null;
  info: ExportInfo;
  /** Where the weights came from, relative to the run folder. */
  from: string;
}

const datasetName = (d: { root: string; format: string; split?: string } | undefined): string | null =>
  d ? `${d.format}:${path.basename(d.root)}${d.split ? `/${d.split}` : ''}` : null;

export async function loadRunModel(workspace: string, runId: string): Promise<RunModel> {
  const dir = runDir(workspace, runId);
  const config = await readConfig(dir);
  const network = segNetConfig(config.network);
  let weights: NamedWeights;
  let prototypes: RunModel['prototypes'] = null;
  let from: string;
  if (existsSync(path.join(dir, MODEL_ARTIFACT))) {
    const m = await readModel(dir);
    weights = m.weights;
    if (m.prototypes) prototypes = { classes: m.prototypes.numClasses, dim: m.prototypes.dim, data: m.prototypes.vectors };
    from = MODEL_ARTIFACT;
  } else {
    const ckpt = await loadLatestCheckpoint(runPaths(dir).checkpoints);
    if (!ckpt) throw new Error(`run ${runId} has neither a final model (${MODEL_ARTIFACT}) nor a readable checkpoint`);
    weights = tensorsToWeights('student.', ckpt.tensors);
    const p = tensorsToPrototypes(ckpt.tensors);
    if (p) prototypes = { classes: p.numClasses, dim: p.dim, data: p.vectors };
    from = `checkpoints (iteration ${ckpt.meta.iteration})`;
  }
  if (Object.keys(weights).length === 0) throw new Error(`run ${runId}: no student weights in ${from}`);
  const report = await readReport(dir);
  const c = config as RunConfig & { source?: { root: string; format: string; split?: string; classSet?: string }; target?: { root: string; format: string; split?: string; classSet?: string }; aug?: { cropHeight: number; cropWidth: number } };
  const setRaw = c.target?.classSet ?? c.source?.classSet ?? String(config.network.classes);
  const classSet: ClassSetId = (classSetIds as readonly string[]).includes(setRaw) ? (setRaw as ClassSetId) : '19';
  return {
    runDir: dir,
    config,
    network,
    weights,
    prototypes,
    from,
    info: {
      runId,
      classSet,
      source: datasetName(c.source),
      target: datasetName(c.target),
      miou: report?.final?.miou ?? null,
      iteration: (await readStatus(dir)).iteration,
      inputSize: c.aug ? [c.aug.cropHeight, c.aug.cropWidth] : null,
      arch: config.network.arch,
    },
  };
}
