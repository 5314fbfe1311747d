// The one way a path is built from an id or any other name that arrived from outside: every segment must
// be a single folder or file name (no separators, no '.'/'..', no NUL, not absolute), and the result must
// lie inside the root. realInside also follows symbolic links, for folders whose contents the user made.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { AppError } from '../../shared/contract/errors';

/** A name as it may appear in an error message: bounded, control characters escaped. */
export function quoteName(s: string, max = 80): string {
  const shown = s.length > max ? `${s.slice(0, max)}…` : s;
  return JSON.stringify(shown);
}

function checkSegment(seg: string): void {
  if (typeof seg !== 'string' || seg.length === 0) throw new AppError('validation', 'an empty path segment', { where: 'path' });
  if (seg === '.' || seg === '..' || seg.includes('\0') || seg.includes('/') || seg.includes('\\') || path.isAbsolute(seg)) {
    throw new AppError('validation', `${quoteName(seg)} is not a single file or folder name`, { where: 'path' });
  }
}

const isInside = (root: string, p: string): boolean => {
  const rel = path.relative(root, p);
  // '..foo' is a name inside root; only '..' itself or '../…' climbs out.
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
};

/** root/seg1/seg2/... where each segment is one plain name; throws a validation AppError otherwise. */
export function resolveInside(root: string, ...segments: string[]): string {
  const base = path.resolve(root);
  for (const seg of segments) checkSegment(seg);
  const out = path.resolve(base, ...segments);
  if (!isInside(base, out)) throw new AppError('validation', `${quoteName(segments.join('/'))} leads outside ${base}`, { where: 'path' });
  return out;
}

/**
 * Whether `file` (absolute, or relative to root), with every symbolic link followed, lies inside `root`
 * (itself resolved). A missing file counts as outside: callers use this to refuse, not to create.
 */
export async function realInside(root: string, file: string): Promise<boolean> {
  try {
    const [r, f] = await Promise.all([fsp.realpath(root), fsp.realpath(path.resolve(root, file))]);
    return isInside(r, f);
  } catch {
    return false;
  }
}
