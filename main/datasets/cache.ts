// Derived files (thumbnails, downsampled copies) under the workspace cache folder, keyed by the source
// file's absolute path, modification time and size, so an edited or replaced file is never served stale.
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../io/atomic';
import { resolveInside } from '../io/paths';

/** cache/datasets/<dataset id> of a workspace: the one place a dataset id becomes a folder. */
export const datasetCacheDir = (workspace: string, datasetId: string): string => resolveInside(workspace, 'cache', 'datasets', datasetId);

export class DerivedCache {
  constructor(private readonly dir: string) {}

  private async keyFile(source: string, variant: string, ext: string): Promise<string> {
    const st = await fsp.stat(source);
    const key = createHash('sha1').update(`${path.resolve(source)}\0${st.mtimeMs}\0${st.size}\0${variant}`).digest('hex');
    return path.join(this.dir, 'datasets', key.slice(0, 2), `${key}.${ext}`);
  }

  /** Returns the cached bytes, or computes, stores and returns them. A failing cache write is not fatal. */
  async get(source: string, variant: string, ext: string, make: () => Promise<Uint8Array>): Promise<Uint8Array> {
    const file = await this.keyFile(source, variant, ext);
    try {
      return new Uint8Array(await fsp.readFile(file));
    } catch {
      /* miss */
    }
    const bytes = await make();
    await writeFileAtomic(file, bytes).catch(() => undefined);
    return bytes;
  }
}

/** Raw RGB with an 8-byte header (width, height as little-endian u32): decoding it costs nothing. */
export function packRgb(img: { width: number; height: number; data: Uint8Array }): Uint8Array {
  const out = new Uint8Array(8 + img.data.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, img.width, true);
  v.setUint32(4, img.height, true);
  out.set(img.data, 8);
  return out;
}

export function unpackRgb(bytes: Uint8Array): { width: number; height: number; data: Uint8Array } | null {
  if (bytes.length < 8) return null;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const width = v.getUint32(0, true);
  const height = v.getUint32(4, true);
  if (bytes.length !== 8 + width * height * 3) return null;
  return { width, height, data: bytes.subarray(8) };
}
