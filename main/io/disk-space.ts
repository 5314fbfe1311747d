// What a person needs to read when a write fails because the disk is full: how much room is left, where.
import { statfsSync } from 'node:fs';

const FULL = new Set(['ENOSPC', 'EDQUOT']);

export const isDiskFull = (err: unknown): boolean => FULL.has(String((err as NodeJS.ErrnoException | null)?.code));

/** "disk full: 0.3 MB free on /data/ws (…)" for ENOSPC/EDQUOT; null for any other error. */
export function diskFullMessage(err: unknown, dir: string): string | null {
  if (!isDiskFull(err)) return null;
  let free = 'unknown space';
  try {
    const st = statfsSync(dir);
    free = `${((st.bavail * st.bsize) / 2 ** 20).toFixed(1)} MB`;
  } catch {
    /* the folder itself is gone: say what we know */
  }
  return `disk full: ${free} free on ${dir} (${(err as Error).message})`;
}
