// Reading a run config from a JSON file (`proda train --config`): relative dataset roots are taken
// relative to the file, and every problem names the file and the field.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { AppError, validationError } from '../../shared/contract/errors';
import { runConfigSchema, type RunConfig } from '../../shared/runs-config';
import { jsonFault } from '../io/json';

const DATASET_FIELDS = ['source', 'target', 'val', 'bnData'] as const;

export async function loadRunConfigFile(file: string): Promise<RunConfig> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    throw new AppError('not-found', `${file}: cannot read config (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { where: file });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new AppError('bad-input', `${file}: not valid JSON (${jsonFault(err)})`, { where: file });
  }
  if (raw && typeof raw === 'object') {
    const obj = raw as Record<string, unknown>;
    for (const f of DATASET_FIELDS) {
      const d = obj[f] as { root?: unknown } | undefined;
      if (d && typeof d === 'object' && typeof d.root === 'string' && !path.isAbsolute(d.root)) {
        obj[f] = { ...d, root: path.resolve(path.dirname(file), d.root) };
      }
    }
  }
  const parsed = runConfigSchema.safeParse(raw);
  if (!parsed.success) throw validationError(file, parsed.error.issues);
  return parsed.data;
}
