// The layout of a run folder, and of an import folder, which holds the same artifacts/:
//   runs/<id>/config.json, status.json, env.json, log.txt, metrics.jsonl, report.json
//   runs/<id>/checkpoints/ckpt-<iteration>.{safetensors,json}
//   runs/<id>/artifacts/model.safetensors, prototypes.safetensors, pseudo.json, soft/, hard/, eval.json
//   imports/<id>/import.json, artifacts/model.safetensors, artifacts/prototypes.safetensors
// Every path is built here, through resolveInside, so an id or a name read from a file cannot climb out.
import path from 'node:path';
import { AppError } from '../../shared/contract/errors';
import { isSafeId, safeIdMessage } from '../../shared/contract/ids';
import { resolveInside } from '../io/paths';
import type { ModelRef } from '../models/refs';

/** A file inside a run or import folder, as a relative path of plain segments (also what pseudo.json stores). */
export type RunFile = string;

const rel = (...segments: string[]): RunFile => path.join(...segments);

/** The final student (tfjs layout) and the prototypes a stage saved with it. */
export const MODEL_ARTIFACT = rel('artifacts', 'model.safetensors');
/** Prototypes on their own: the initial ones of a soft pseudo-label run, or an import's objective_vectors. */
export const PROTOTYPES_ARTIFACT = rel('artifacts', 'prototypes.safetensors');
/** The index of a pseudo-label run's per-image files. */
export const PSEUDO_INDEX = rel('artifacts', 'pseudo.json');
export const EVAL_ARTIFACT = rel('artifacts', 'eval.json');
/** What `proda import` records about an import folder. */
export const IMPORT_RECORD = 'import.json';

/** A file name for an image id (ids may hold folders). */
const artifactName = (id: string): string => id.replace(/\.[A-Za-z0-9]+$/, '').replace(/[\\/]/g, '__');

/** Where a pseudo-label run writes an image's files, relative to the run folder. */
export const pseudoFiles = (id: string) => {
  const name = artifactName(id);
  return {
    soft: rel('artifacts', 'soft', `${name}.npy`),
    label: rel('artifacts', 'hard', `${name}.png`),
    conf: rel('artifacts', 'hard', `${name}_conf.npy`),
  };
};

/**
 * dir/<file> for a relative path this module made or a record on disk names; every segment must be a
 * plain name, so a hostile pseudo.json cannot point outside the folder.
 */
export const inFolder = (dir: string, file: RunFile): string => resolveInside(dir, ...file.split(/[\\/]/));

export const runsRoot = (workspace: string): string => path.join(workspace, 'runs');
export const importsRoot = (workspace: string): string => path.join(workspace, 'imports');

/** runs/<id>; an id that is not one safe folder name is refused here, whatever route it came by. */
export function runDir(workspace: string, id: string): string {
  if (!isSafeId(id)) throw new AppError('validation', `run id ${JSON.stringify(id.slice(0, 80))} is not ${safeIdMessage}`, { where: 'id' });
  return resolveInside(runsRoot(workspace), id);
}

/** The folder holding a model source's artifacts/: runs/<id> or imports/<id> (ids checked by parseModelRef). */
export function modelDir(workspace: string, ref: ModelRef): string {
  return resolveInside(workspace, ref.kind === 'import' ? 'imports' : 'runs', ref.id);
}

export const runPaths = (dir: string) => ({
  config: resolveInside(dir, 'config.json'),
  status: resolveInside(dir, 'status.json'),
  env: resolveInside(dir, 'env.json'),
  log: resolveInside(dir, 'log.txt'),
  metrics: resolveInside(dir, 'metrics.jsonl'),
  report: resolveInside(dir, 'report.json'),
  checkpoints: resolveInside(dir, 'checkpoints'),
  artifacts: resolveInside(dir, 'artifacts'),
});

const ckptStem = (iteration: number) => `ckpt-${String(iteration).padStart(8, '0')}`;
/** A checkpoint's tensors and its meta file (written last) inside checkpoints/. */
export const checkpointFiles = (checkpointsDir: string, iteration: number) => ({
  tensors: resolveInside(checkpointsDir, `${ckptStem(iteration)}.safetensors`),
  meta: resolveInside(checkpointsDir, `${ckptStem(iteration)}.json`),
});
/** Matches a checkpoint meta file name; group 1 is the iteration. */
export const CHECKPOINT_META = /^ckpt-(\d+)\.json$/;
