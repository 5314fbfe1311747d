// The one way a model is loaded from a model source: a run id (the run's final student; while the run
// has not finished, optionally its newest verified checkpoint) or `import:<importId>` (a checkpoint
// `proda import` mapped into imports/<id>/, with its objective_vectors as prototypes). Inference
// (compute process, pseudo-label and eval runs), maps and exports all read models through it.
import path from 'node:path';
import { AppError } from '../../shared/contract/errors';
import type { RunConfig } from '../../shared/runs-config';
import type { ModelWeights } from '../engine/predict';
import type { NamedWeights } from '../engine/nets';
import type { Prototypes } from '../engine/proda/prototypes';
import { formatModelRef, hasModel, parseModelRef, readImportRecord, type ImportRecord, type ModelRef } from '../models/refs';
import { segNetConfig } from '../models/network';
import { loadLatestCheckpoint } from './checkpoints';
import { modelDir, MODEL_ARTIFACT, runPaths, type RunFile } from './layout';
import { readModel, tensorsToPrototypes, tensorsToWeights } from './model';
import { readConfig } from './records';

export interface RunModel extends ModelWeights {
  ref: ModelRef;
  /** The run or import folder. */
  dir: string;
  /** The network as a run config spells it. */
  runNetwork: RunConfig['network'];
  /** The run's config (null for an import). */
  config: RunConfig | null;
  import: ImportRecord | null;
  prototypes: Prototypes | null;
  /** Where the weights came from: the model artifact, or a checkpoint (iteration n). */
  from: RunFile;
  describe: string;
}

export interface LoadOptions {
  /** A run without a final model may serve its newest verified checkpoint (exports of unfinished runs). */
  checkpoint?: boolean;
}

/** The source's network config and weights, and the prototypes saved with them. */
export async function loadRunModel(workspace: string, source: string | ModelRef, opts: LoadOptions = {}): Promise<RunModel> {
  const ref = typeof source === 'string' ? parseModelRef(source) : source;
  const dir = modelDir(workspace, ref);
  if (ref.kind === 'import') {
    const rec = await readImportRecord(dir);
    if (!(await hasModel(workspace, ref))) throw new AppError('not-found', `import ${ref.id} wrote no weights (${MODEL_ARTIFACT}); was it a dry run?`, { where: 'model' });
    const m = await readModel(dir);
    // An import honours bn_pretrain for every arch (segNetConfig's demo preset has no such switch).
    const network = { ...segNetConfig(rec.network), bnPretrain: rec.network.bnPretrain };
    const describe = `import ${ref.id} (${path.basename(rec.file)})`;
    return { ref, dir, network, runNetwork: rec.network, weights: m.weights, prototypes: m.prototypes, config: null, import: rec, from: MODEL_ARTIFACT, describe };
  }
  const config = await readConfig(dir);
  let weights: NamedWeights;
  let prototypes: Prototypes | null;
  let from: string;
  if ((await hasModel(workspace, ref)) || !opts.checkpoint) {
    ({ weights, prototypes } = await readModel(dir));
    from = MODEL_ARTIFACT;
  } else {
    const ckpt = await loadLatestCheckpoint(runPaths(dir).checkpoints);
    if (!ckpt) throw new AppError('not-found', `run ${ref.id} has neither a final model (${MODEL_ARTIFACT}) nor a readable checkpoint`, { where: 'model' });
    weights = tensorsToWeights('student.', ckpt.tensors);
    prototypes = tensorsToPrototypes(ckpt.tensors);
    from = `checkpoints (iteration ${ckpt.meta.iteration})`;
  }
  if (Object.keys(weights).length === 0) throw new AppError('bad-input', `run ${ref.id}: no student weights in ${from}`, { where: 'model' });
  return { ref, dir, network: segNetConfig(config.network), runNetwork: config.network, weights, prototypes, config, import: null, from, describe: `run ${formatModelRef(ref)}` };
}
