// Model references: a run id, or `import:<importId>` (a checkpoint `proda import` mapped into
// <workspace>/imports/<id>/). Light on purpose (no engine imports): the supervisor checks them in main.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { AppError } from '../../shared/contract/errors';
import { IMPORT_PREFIX } from '../../shared/runs-config';

export type ModelRef = { kind: 'run'; id: string } | { kind: 'import'; id: string };

/** The final student of a run or an import, tfjs layout (runs/stages/net.ts reads and writes it). */
export const MODEL_ARTIFACT = path.join('artifacts', 'model.safetensors');

const SEGMENT = /^[A-Za-z0-9._-]+$/;

/** `import:<id>` or a run id; ids are single safe folder names. */
export function parseModelRef(s: string): ModelRef {
  const imported = s.startsWith(IMPORT_PREFIX);
  const id = imported ? s.slice(IMPORT_PREFIX.length) : s;
  if (!SEGMENT.test(id) || id === '.' || id === '..') {
    throw new AppError('validation', `model "${s}" is not a run id or import:<importId> (letters, digits, . _ -)`, { where: 'model' });
  }
  return imported ? { kind: 'import', id } : { kind: 'run', id };
}

export const formatModelRef = (r: ModelRef): string => (r.kind === 'import' ? `${IMPORT_PREFIX}${r.id}` : r.id);

export const importsRoot = (workspace: string): string => path.join(workspace, 'imports');

/** The folder holding the model's artifacts/ (ids checked by parseModelRef). */
export function modelDir(workspace: string, ref: ModelRef): string {
  return path.join(workspace, ref.kind === 'import' ? 'imports' : 'runs', ref.id);
}

/** Whether the source has a final model to load. */
export async function hasModel(workspace: string, ref: ModelRef): Promise<boolean> {
  return fsp.access(path.join(modelDir(workspace, ref), MODEL_ARTIFACT)).then(
    () => true,
    () => false,
  );
}
