// 8-bit single-channel PNGs for index rasters (trainIds) and touched masks, through the exact label codec
// of main/io/png.ts (sharp would write RGB and expand palettes, which ProDA's PIL-based readers reject).
import type { LabelRaster } from '../../shared/annotation/raster';
import { decodeLabel8, encodeIndexPng as encodeGrey } from '../io/png';

export async function encodeIndexPng(r: LabelRaster): Promise<Uint8Array> {
  return encodeGrey({ width: r.width, height: r.height, data: r.data });
}

/** Decodes an 8-bit grey or palette-index PNG; `where` names the file in errors. */
export async function decodeIndexPng(bytes: Uint8Array, where: string): Promise<LabelRaster> {
  const img = decodeLabel8(bytes, where);
  return { width: img.width, height: img.height, data: img.data };
}
