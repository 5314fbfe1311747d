// Model sources: where a network for inference comes from. A run id (the run's final student), or
// `import:<importId>` (a checkpoint `proda import` mapped into <workspace>/imports/<id>/, with its
// objective_vectors as prototypes). An official ProDA artifacts folder becomes an import first
// (interop/jobs.ts importOfficialFolder), so everything downstream sees one of these two.
import path from 'node:path';
import { AppError } from '../../shared/contract/errors';
import type { RunConfig } from '../../shared/runs-config';
import type { ModelWeights } from '../engine/predict';
import type { Prototypes } from '../engine/proda/prototypes';
import { readConfig } from '../runs/records';
import { readModel, segNetConfig } from '../runs/stages/net';
import { hasModel, MODEL_ARTIFACT, modelDir, readImportRecord, type ImportRecord, type ModelRef } from './refs';

export * from './refs';

export interface SourceModel extends ModelWeights {
  ref: ModelRef;
  dir: string;
  /** The network as a run config spells it. */
  runNetwork: RunConfig['network'];
  /** The run's config (null for an import). */
  config: RunConfig | null;
  import: ImportRecord | null;
  prototypes: Prototypes | null;
  describe: string;
}

/** The source's network config and weights, and the prototypes saved with them. */
export async function loadModel(workspace: string, ref: ModelRef): Promise<SourceModel> {
  const dir = modelDir(workspace, ref);
  if (ref.kind === 'import') {
    const rec = await readImportRecord(dir);
    if (!(await hasModel(workspace, ref))) throw new AppError('not-found', `import ${ref.id} wrote no weights (${MODEL_ARTIFACT}); was it a dry run?`, { where: 'model' });
    const m = await readModel(dir);
    // An import honours bn_pretrain for every arch (segNetConfig's demo preset has no such switch).
    const network = { ...segNetConfig(rec.network), bnPretrain: rec.network.bnPretrain };
    return { ref, dir, network, runNetwork: rec.network, weights: m.weights, prototypes: m.prototypes, config: null, import: rec, describe: `import ${ref.id} (${path.basename(rec.file)})` };
  }
  const config = await readConfig(dir);
  const m = await readModel(dir);
  return { ref, dir, network: segNetConfig(config.network), runNetwork: config.network, weights: m.weights, prototypes: m.prototypes, config, import: null, describe: `run ${ref.id}` };
}
