// The files of an export folder, for browser downloads: listed by path relative to the folder, and one
// resolved from an (export id, relative path) pair taken from a URL. Both ends refuse anything that could
// leave <workspace>/exports/<id>/: the id is one safe segment, every path segment is a plain name, and the
// resolved real path (symlinks followed) must still lie inside the folder's real path.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { AppError } from '../../shared/contract/errors';
import { isTempFile } from '../io/atomic';

const SAFE_ID = /^[A-Za-z0-9._-]+$/;
const MAX_FILES = 20_000;

/** The export folder of `exportId`, or a not-found / bad-input error. */
export function exportDir(workspaceRoot: string, exportId: string): string {
  if (!SAFE_ID.test(exportId) || exportId === '.' || exportId === '..') throw new AppError('bad-input', `'${exportId}' is not an export id`, { where: 'exportId' });
  return path.join(path.resolve(workspaceRoot), 'exports', exportId);
}

/** Every regular file under the export folder (symlinks are not followed), sorted, at most MAX_FILES. */
export async function listExportFiles(workspaceRoot: string, exportId: string): Promise<{ files: { path: string; bytes: number }[]; truncated: boolean }> {
  const root = exportDir(workspaceRoot, exportId);
  if (!(await fsp.stat(root).catch(() => null))?.isDirectory()) throw new AppError('not-found', `no export '${exportId}'`, { where: 'exportId' });
  const files: { path: string; bytes: number }[] = [];
  let truncated = false;
  const walk = async (dir: string, rel: string[]): Promise<void> => {
    const entries = (await fsp.readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      if (files.length >= MAX_FILES) {
        truncated = true;
        return;
      }
      // Unfinished writes (atomic temp files, .partial folders) are not offered.
      if (e.name.endsWith('.partial') || isTempFile(e.name)) continue;
      const full = path.join(dir, e.name);
      if (e.isDirectory()) await walk(full, [...rel, e.name]);
      else if (e.isFile()) files.push({ path: [...rel, e.name].join('/'), bytes: (await fsp.stat(full)).size });
    }
  };
  await walk(root, []);
  return { files, truncated };
}

/**
 * The file `relPath` ('/'-separated, already URL-decoded) inside the export folder, with its size. Refuses
 * empty, `.` and `..` segments, backslashes and NUL, anything that is not a regular file, and a real path
 * (after symlinks) outside the folder.
 */
export async function resolveExportFile(workspaceRoot: string, exportId: string, relPath: string): Promise<{ file: string; bytes: number }> {
  const root = exportDir(workspaceRoot, exportId);
  const segs = relPath.split('/');
  if (segs.some((s) => s === '' || s === '.' || s === '..' || s.includes('\\') || s.includes('\0')))
    throw new AppError('bad-input', `'${relPath}' is not a file path inside an export`, { where: 'path' });
  const realRoot = await fsp.realpath(root).catch(() => null);
  if (!realRoot) throw new AppError('not-found', `no export '${exportId}'`, { where: 'exportId' });
  const real = await fsp.realpath(path.join(root, ...segs)).catch(() => null);
  if (!real) throw new AppError('not-found', `no file '${relPath}' in export '${exportId}'`, { where: 'path' });
  if (!real.startsWith(realRoot + path.sep)) throw new AppError('bad-input', `'${relPath}' leaves export '${exportId}'`, { where: 'path' });
  const st = await fsp.stat(real);
  if (!st.isFile()) throw new AppError('not-found', `'${relPath}' in export '${exportId}' is not a file`, { where: 'path' });
  return { file: real, bytes: st.size };
}
