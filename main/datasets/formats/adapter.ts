// What each on-disk format supplies: how to list image/label pairs, how to decode a label's raw ids,
// and how raw ids map to train ids. Everything else (caching, resizing, checking) is shared.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { ClassSetId } from '../../../shared/classes';
import type { CheckProblem, DatasetRef, ImageEntry } from '../../../shared/datasets';
import type { OpenDatasetOptions } from '../types';
import { realInside } from '../../io/paths';

export interface RawLabel {
  width: number;
  height: number;
  /** Ids as stored in the file (labelIds, SYNTHIA ids, mask indices, trainIds). */
  ids: Uint8Array | Uint16Array;
}

export interface ListResult {
  entries: ImageEntry[];
  problems: CheckProblem[];
}

export interface FormatAdapter {
  list(): Promise<ListResult>;
  decodeRawLabel(bytes: Uint8Array, file: string): RawLabel;
  /** Raw id → train id in the dataset's class set (250 for void and unknown ids). */
  readonly lut: Uint8Array;
  /** Raw ids that may legitimately occur; others are reported as unknown label ids. */
  isKnownId(id: number): boolean;
  /** Human name of a raw id for problem lines (e.g. "labelId 40"). */
  describeId(id: number): string;
  /** Problems found while setting up (bad class list, bad manifest). */
  readonly setupProblems: CheckProblem[];
  /** Whether a size mismatch between image and label is an error (GTA5's loader resizes both, so it warns). */
  readonly sizeMismatchSeverity: 'error' | 'warning';
}

/** A label decoder (decodeLabel8, decodeLabel16Channel0, …) as a format's decodeRawLabel. */
export const rawLabel =
  (decode: (bytes: Uint8Array, file: string) => { width: number; height: number; data: Uint8Array | Uint16Array }) =>
  (bytes: Uint8Array, file: string): RawLabel => {
    const l = decode(bytes, file);
    return { width: l.width, height: l.height, ids: l.data };
  };

export type AdapterFactory = (ref: DatasetRef, classSet: ClassSetId, opts: OpenDatasetOptions) => Promise<FormatAdapter>;

export const problem = (severity: 'error' | 'warning', kind: CheckProblem['kind'], file: string | undefined, message: string): CheckProblem =>
  file === undefined ? { severity, kind, message } : { severity, kind, file, message };

export async function isDir(p: string): Promise<boolean> {
  try {
    return (await fsp.stat(p)).isDirectory();
  } catch {
    return false;
  }
}

export async function exists(p: string): Promise<boolean> {
  try {
    await fsp.access(p);
    return true;
  } catch {
    return false;
  }
}

const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Files under dir (recursively), relative with '/' separators, sorted by code point like Python's sorted().
 * An unreadable sub-folder is reported into `problems` (when given) and skipped, never thrown.
 */
export async function walkFiles(dir: string, accept: (name: string) => boolean, problems?: CheckProblem[]): Promise<string[]> {
  const out: string[] = [];
  const visit = async (rel: string): Promise<void> => {
    let entries;
    try {
      entries = await fsp.readdir(path.join(dir, rel), { withFileTypes: true });
    } catch (err) {
      const where = path.join(dir, rel);
      problems?.push(problem('error', 'unreadable', where, `cannot list folder (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`));
      return;
    }
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await visit(r);
      else if (!accept(e.name) || e.name.includes('.tmp-')) continue;
      else if (e.isFile()) out.push(r);
      else if (e.isSymbolicLink()) {
        // A link is listed only when it leads to a file inside the folder being listed: one to
        // /etc/passwd named like an image is not part of the dataset.
        const full = path.join(dir, r);
        const st = await fsp.stat(full).catch(() => null);
        if (st?.isFile() && (await realInside(dir, full))) out.push(r);
        else problems?.push(problem('warning', 'unreadable', full, 'symbolic link that leads outside the dataset folder (or to no file); skipped'));
      }
      // Sockets, FIFOs and devices named like images are never read (a FIFO would block the read forever).
    }
  };
  await visit('');
  return out.sort(byCodePoint);
}

export const isImageName = (n: string): boolean => /\.(png|jpe?g)$/i.test(n);
export const stem = (rel: string): string => rel.replace(/\.[^./]+$/, '');
