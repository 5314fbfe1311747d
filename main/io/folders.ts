// Folders an operation fills as a whole (a model export): built in a fresh staging folder beside the
// target and put in place at the end, so a failed or killed job never leaves a half-written target and
// never deletes what it did not create. An existing target is refused unless the caller forces it; a
// forced placement replaces only the files of the same names and leaves every other file alone.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { AppError } from '../../shared/contract/errors';

/** What is at `dir`: nothing, an empty folder, a folder with entries, or something that is not a folder. */
export async function folderState(dir: string): Promise<'missing' | 'empty' | 'full' | 'not-a-folder'> {
  const st = await fsp.lstat(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
  if (!st) return 'missing';
  if (!st.isDirectory()) return 'not-a-folder';
  return (await fsp.readdir(dir)).length === 0 ? 'empty' : 'full';
}

/** Refuses a target the operation may not write into; `force` admits an existing folder with files. */
export async function checkTarget(dir: string, force: boolean): Promise<void> {
  const state = await folderState(dir);
  if (state === 'not-a-folder') throw new AppError('conflict', `${dir} exists and is not a folder`, { where: dir });
  if (state === 'full' && !force) {
    throw new AppError('conflict', `${dir} already exists and is not empty (nothing was written; force to add the export's files beside the others)`, {
      where: dir,
    });
  }
}

/**
 * A new, uniquely named staging folder beside `target` (`.<name>.tmp-XXXXXX`): created by this call, so
 * it is the caller's to remove. Readers skip it as a temp entry (main/io/atomic isTempFile).
 */
export async function stagingFolder(target: string): Promise<string> {
  await fsp.mkdir(path.dirname(target), { recursive: true });
  return fsp.mkdtemp(path.join(path.dirname(target), `.${path.basename(target)}.tmp-`));
}

/** Moves every entry of `src` into `dst` (created if missing), replacing same-named files only. */
async function moveInto(src: string, dst: string): Promise<void> {
  await fsp.mkdir(dst, { recursive: true });
  for (const e of await fsp.readdir(src, { withFileTypes: true })) {
    const from = path.join(src, e.name);
    const to = path.join(dst, e.name);
    const there = await fsp.lstat(to).catch(() => null);
    // Never write through a link the user placed: it could lead anywhere.
    if (there?.isSymbolicLink()) throw new AppError('conflict', `${to} is a symbolic link; the export will not write through it`, { where: to });
    if (e.isDirectory()) {
      if (there && !there.isDirectory()) throw new AppError('conflict', `${to} exists and is not a folder`, { where: to });
      await moveInto(from, to);
    } else {
      if (there?.isDirectory()) throw new AppError('conflict', `${to} is a folder; the export's file of that name was not written`, { where: to });
      await fsp.rename(from, to);
    }
  }
}

/**
 * Puts the finished `staging` folder at `target`: one rename when the target is missing or an empty
 * folder; with `force`, the staged files are moved into the existing folder one by one. The staging
 * folder is removed in both cases (it is the caller's own).
 */
export async function placeFolder(staging: string, target: string, force: boolean): Promise<void> {
  await checkTarget(target, force);
  try {
    await fsp.rename(staging, target);
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // A folder with entries (present before, or appearing since the check) cannot be renamed over.
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'EPERM') throw err;
  }
  await checkTarget(target, force);
  await moveInto(staging, target);
  await fsp.rm(staging, { recursive: true, force: true });
}
