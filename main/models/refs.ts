// Model references: a run id, or `import:<importId>` (a checkpoint `proda import` mapped into
// <workspace>/imports/<id>/). Light on purpose (no engine imports): the supervisor checks them in main.
import { promises as fsp } from 'node:fs';
import { AppError } from '../../shared/contract/errors';
import { z } from 'zod';
import { IMPORT_PREFIX, isSafeId } from '../../shared/contract/ids';
import { networkSchema } from '../../shared/runs-config';
import { IMPORT_RECORD, inFolder, MODEL_ARTIFACT, modelDir } from '../artifacts/layout';

export type ModelRef = { kind: 'run'; id: string } | { kind: 'import'; id: string };

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

/** Whether the source has a final model to load. */
export async function hasModel(workspace: string, ref: ModelRef): Promise<boolean> {
  return fsp.access(inFolder(modelDir(workspace, ref), MODEL_ARTIFACT)).then(
    () => true,
    () => false,
  );
}

const importRecordSchema = z.object({ importId: z.string(), file: z.string(), network: networkSchema, createdAt: z.string().optional() });
export type ImportRecord = z.infer<typeof importRecordSchema>;

/** imports/<id>/import.json, as `proda import` wrote it. */
export async function readImportRecord(dir: string): Promise<ImportRecord> {
  const file = inFolder(dir, IMPORT_RECORD);
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
