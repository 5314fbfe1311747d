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
import { loadModel, type ModelRef } from '../models/source';
import { parseModelRef } from '../models/refs';

export interface RunModel {
  runDir: string;
  /** null for an imported checkpoint. */
  config: RunConfig | null;
  network: SegNetConfig;
  weights: NamedWeights;
  prototypes: { classes: number; dim: number; data: Float32Array } | null;
  info: ExportInfo;
  /** Where the weights came from, relative to the run folder. */
  from: string;
}

const datasetName = (d: { root: string; format: string; split?: string } | undefined): string | null =>
  d ? `${d.format}:${path.basename(d.root)}${d.split ? `/${d.split}` : ''}` : null;

/** A model source (run id or import:<id>) with what an export needs to describe it. */
export async function loadRunModel(workspace: string, runId: string): Promise<RunModel> {
  const ref = parseModelRef(runId);
  if (ref.kind === 'import') return importModel(workspace, ref);
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

async function importModel(workspace: string, ref: ModelRef): Promise<RunModel> {
  const m = await loadModel(workspace, ref);
  const classes = String(m.network.numClasses);
  const p = m.prototypes;
  return {
    runDir: m.dir,
    config: null,
    network: m.network,
    weights: m.weights,
    prototypes: p ? { classes: p.numClasses, dim: p.dim, data: p.vectors } : null,
    from: `import ${ref.id}`,
    info: {
      runId: null,
      classSet: (classSetIds as readonly string[]).includes(classes) ? (classes as ClassSetId) : '19',
      source: null,
      target: null,
      miou: null,
      iteration: 0,
      inputSize: null,
      arch: m.runNetwork.arch,
    },
  };
}
