// Model references: a run id, or `import:<importId>` (a checkpoint `proda import` mapped into
// <workspace>/imports/<id>/). Light on purpose (no engine imports): the supervisor checks them in main.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { AppError } from '../../shared/contract/errors';
import { z } from 'zod';
import { IMPORT_PREFIX, isSafeId } from '../../shared/contract/ids';
import { networkSchema } from '../../shared/runs-config';
import { resolveInside } from '../io/paths';

export type ModelRef = { kind: 'run'; id: string } | { kind: 'import'; id: string };

/** The final student of a run or an import, tfjs layout (runs/stages/net.ts reads and writes it). */
export const MODEL_ARTIFACT = path.join('artifacts', 'model.safetensors');

/** `import:<id>` or a run id; ids are single safe folder names. */
export function parseModelRef(s: string): ModelRef {
  const imported = s.startsWith(IMPORT_PREFIX);
  const id = imported ? s.slice(IMPORT_PREFIX.length) : s;
  if (!isSafeId(id)) {
    throw new AppError('validation', `model "${s}" is not a run id or import:<importId> (ids: letters, digits, . _ -, not starting with .)`, { where: 'model' });
  }
  return imported ? { kind: 'import', id } : { kind: 'run', id };
}

export const formatModelRef = (r: ModelRef): string => (r.kind === 'import' ? `${IMPORT_PREFIX}${r.id}` : r.id);

export const importsRoot = (workspace: string): string => path.join(workspace, 'imports');

/** The folder holding the model's artifacts/ (ids checked by parseModelRef). */
export function modelDir(workspace: string, ref: ModelRef): string {
  return resolveInside(workspace, ref.kind === 'import' ? 'imports' : 'runs', ref.id);
}

/** Whether the source has a final model to load. */
export async function hasModel(workspace: string, ref: ModelRef): Promise<boolean> {
  return fsp.access(path.join(modelDir(workspace, ref), MODEL_ARTIFACT)).then(
    () => true,
    () => false,
  );
}

const importRecordSchema = z.object({ importId: z.string(), file: z.string(), network: networkSchema, createdAt: z.string().optional() });
export type ImportRecord = z.infer<typeof importRecordSchema>;

/** imports/<id>/import.json, as `proda import` wrote it. */
export async function readImportRecord(dir: string): Promise<ImportRecord> {
  const file = path.join(dir, 'import.json');
  let raw: unknown;
  try {
    raw = JSON.parse(await fsp.readFile(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new AppError('not-found', `no import at ${dir}`, { where: file });
    throw new AppError('bad-input', `${file}: ${(err as Error).message}`, { where: file });
  }
  const parsed = importRecordSchema.safeParse(raw);
  if (!parsed.success) throw new AppError('bad-input', `${file}: not an import record (${parsed.error.issues[0]?.message})`, { where: file });
  return parsed.data;
}

