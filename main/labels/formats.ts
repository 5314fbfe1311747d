// Corrected labels in and out as the usual label PNGs: trainIds (grey, what ProDA reads as hard
// pseudo-labels), Cityscapes labelIds (grey; the evaluation scripts' format, ignore → 0 "unlabeled") and
// colour (the class-set palette, ignore black).
import sharp from 'sharp';
import { AppError } from '../../shared/contract/errors';
import { IGNORE_LABEL, type ClassSet } from '../../shared/classes';
import type { LabelRaster } from '../../shared/annotation/raster';
import { decodePng, encodeIndexPng as encodePaletted, imageSize, isPng, pngHeader } from '../io/png';
import { decodeIndexPng, encodeIndexPng } from './label-png';

export type LabelFormat = 'trainId' | 'labelId' | 'color';

export async function encodeLabelPng(r: LabelRaster, format: LabelFormat, set: ClassSet): Promise<Uint8Array> {
  if (format === 'trainId') return encodeIndexPng(r);
  if (format === 'labelId') {
    const lut = new Uint8Array(256); // everything not a trainId → 0 (unlabeled)
    set.cityscapesLabelIds.forEach((id, t) => (lut[t] = id));
    return encodeIndexPng({ ...r, data: r.data.map((v) => lut[v]) });
  }
  // A palette PNG: shows the class colours, and its indices are the trainIds, so it reads back exactly.
  return encodePaletted(r, set.palette);
}

/** A label file's dimensions from its header alone, so a file of the wrong size is refused before decoding. */
export async function labelFileSize(bytes: Uint8Array, where: string): Promise<{ width: number; height: number }> {
  if (isPng(bytes)) return pngHeader(bytes, where);
  return imageSize(bytes, where);
}

/** Reads a label PNG back into trainIds; values that are no class of `set` are refused with the file named. */
export async function decodeLabelPng(bytes: Uint8Array, format: LabelFormat, set: ClassSet, where: string): Promise<LabelRaster> {
  if (format === 'color') return decodeColour(bytes, set, where);
  const r = await decodeIndexPng(bytes, where);
  const lut = new Int16Array(256).fill(-1);
  if (format === 'trainId') {
    for (let t = 0; t < set.numClasses; t++) lut[t] = t;
    lut[IGNORE_LABEL] = IGNORE_LABEL;
    lut[255] = IGNORE_LABEL; // the common "void" of trainId PNGs written by other tools
  } else {
    lut.fill(IGNORE_LABEL); // void labelIds (0..6, 9, 10, ...) are ignore by definition
    set.cityscapesLabelIds.forEach((id, t) => (lut[id] = t));
  }
  const out = new Uint8Array(r.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = lut[r.data[i]];
    if (v < 0) {
      throw new AppError('bad-input', `${where}: pixel (${i % r.width}, ${Math.floor(i / r.width)}) has value ${r.data[i]}, not a train id of the ${set.id}-class set (0..${set.numClasses - 1}, 250 or 255 for ignore)`, { where });
    }
    out[i] = v;
  }
  return { width: r.width, height: r.height, data: out };
}

async function decodeColour(bytes: Uint8Array, set: ClassSet, where: string): Promise<LabelRaster> {
  const png = decodePng(bytes, where);
  if (png.colorType === 3 && png.palette) {
    // Map each palette entry by its colour (another tool's palette order may differ from ours).
    const pal = png.palette;
    const entries = pal.length / 3;
    const lut = new Int16Array(256).fill(-1);
    const byColour = new Map<number, number>();
    set.palette.forEach(([r, g, b], t) => byColour.set((r << 16) | (g << 8) | b, t));
    for (let e = 0; e < entries; e++) {
      const key = (pal[e * 3] << 16) | (pal[e * 3 + 1] << 8) | pal[e * 3 + 2];
      lut[e] = byColour.get(key) ?? (key === 0 ? IGNORE_LABEL : -1);
    }
    const out = new Uint8Array(png.width * png.height);
    for (let i = 0; i < out.length; i++) {
      const t = lut[png.data[i]];
      if (t < 0) throw new AppError('bad-input', `${where}: palette entry ${png.data[i]} at pixel (${i % png.width}, ${Math.floor(i / png.width)}) is not a colour of the ${set.id}-class palette`, { where });
      out[i] = t;
    }
    return { width: png.width, height: png.height, data: out };
  }
  const { data, info } = await sharp(bytes)
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true })
    .catch((err: Error) => {
      throw new AppError('bad-input', `${where}: not a readable PNG (${err.message})`, { where });
    });
  const byColour = new Map<number, number>();
  set.palette.forEach(([r, g, b], t) => byColour.set((r << 16) | (g << 8) | b, t));
  const n = info.width * info.height;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * info.channels;
    const key = (data[o] << 16) | (data[o + 1] << 8) | data[o + 2];
    const t = byColour.get(key);
    if (t !== undefined) out[i] = t;
    else if (key === 0) out[i] = IGNORE_LABEL;
    else {
      throw new AppError('bad-input', `${where}: pixel (${i % info.width}, ${Math.floor(i / info.width)}) has colour rgb(${data[o]}, ${data[o + 1]}, ${data[o + 2]}), not in the ${set.id}-class palette`, { where });
    }
  }
  return { width: info.width, height: info.height, data: out };
}
