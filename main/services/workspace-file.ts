// workspace.json: the project file. It carries a schema version; older versions are migrated up step by
// step on load, then validated, and any problem is reported naming the file and the field.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { AppError } from '../../shared/contract/errors';
import { ClassSetIdSchema, DatasetRef } from '../../shared/datasets';
import { writeJsonAtomic } from '../io/atomic';
import { jsonFault } from '../io/json';
import { migrate, type Migrations } from '../io/schema-version';

export const WORKSPACE_FILE = 'workspace.json';
export const WORKSPACE_SCHEMA_VERSION = 1;

export const workspaceFileSchema = z.object({
  schemaVersion: z.literal(WORKSPACE_SCHEMA_VERSION),
  name: z.string().min(1),
  createdAt: z.string(),
  classSet: ClassSetIdSchema,
  /** Roots inside the workspace are stored relative to it, so a workspace folder can be moved. */
  datasets: z.array(DatasetRef),
  settings: z.record(z.string(), z.unknown()).default({}),
});
export type WorkspaceFile = z.infer<typeof workspaceFileSchema>;

/**
 * migrations[n] turns a version-n object into version n+1. Version 1 is the first released format, so
 * the table is empty; a future change adds `1: (raw) => ({ ...raw, schemaVersion: 2, ... })`.
 */
export const migrations: Migrations = {};

/** Reads, migrates and validates a workspace folder's project file; dataset roots come back absolute. */
export async function loadWorkspaceFile(root: string): Promise<WorkspaceFile> {
  const file = path.join(root, WORKSPACE_FILE);
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new AppError('not-found', `${root} is not a workspace: ${WORKSPACE_FILE} is missing`, { where: file });
    }
    throw new AppError('bad-input', `${file}: cannot read (${code ?? String(err)})`, { where: file });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new AppError('bad-input', `${file}: not valid JSON (${jsonFault(err)})`, { where: file });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new AppError('bad-input', `${file}: expected a JSON object`, { where: file });
  }
  const parsed = workspaceFileSchema.safeParse(migrate(raw as Record<string, unknown>, file, migrations, WORKSPACE_SCHEMA_VERSION));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new AppError('bad-input', `${file}: ${lines.join('; ')}`, { where: file, details: lines });
  }
  const ws = parsed.data;
  return { ...ws, datasets: ws.datasets.map((d) => ({ ...d, root: path.resolve(root, d.root) })) };
}

export async function saveWorkspaceFile(root: string, ws: WorkspaceFile): Promise<void> {
  const stored: WorkspaceFile = {
    ...ws,
    datasets: ws.datasets.map((d) => {
      const rel = path.relative(root, d.root);
      const inside = rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
      return { ...d, root: inside ? rel.split(path.sep).join('/') : d.root };
    }),
  };
  await writeJsonAtomic(path.join(root, WORKSPACE_FILE), workspaceFileSchema.parse(stored));
}
