// 8-bit single-channel PNGs for index rasters (trainIds) and touched masks.
// TEMPORARY: goes through sharp directly until main/io/png.ts (datasets engineer) lands; the callers
// only see these two functions.
import sharp from 'sharp';
import { AppError } from '../../shared/contract/errors';
import type { LabelRaster } from '../../shared/annotation/raster';

export async function encodeIndexPng(r: LabelRaster): Promise<Uint8Array> {
  const buf = await sharp(r.data, { raw: { width: r.width, height: r.height, channels: 1 } })
    .png({ compressionLevel: 6, palette: false })
    .toBuffer();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Decodes a greyscale (or first channel of any) 8-bit PNG; `where` names the file in errors. */
export async function decodeIndexPng(bytes: Uint8Array, where: string): Promise<LabelRaster> {
  try {
    const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
    const n = info.width * info.height;
    const out = new Uint8Array(n);
    if (info.channels === 1) out.set(data.subarray(0, n));
    else for (let i = 0; i < n; i++) out[i] = data[i * info.channels];
    return { width: info.width, height: info.height, data: out };
  } catch (err) {
    throw new AppError('bad-input', `${where}: not a readable PNG (${(err as Error).message})`, { where });
  }
}
