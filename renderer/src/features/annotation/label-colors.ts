// Colours the label layers into RGBA for the label canvas: the class colour, stronger where a person
// decided the label, transparent where the label is ignore and nobody touched it, dark where a person
// set it to ignore.
import type { Rgb } from '../../../../shared/classes';
import type { EditLayers } from '../../../../shared/annotation/raster';
import { IGNORE } from '../../../../shared/annotation/raster';

export const ALPHA_TOUCHED = 230;
export const ALPHA_UNTOUCHED = 110;
const IGNORED_TOUCHED: readonly [number, number, number, number] = [20, 20, 20, 200];

/** Writes RGBA for the given pixel indices (all pixels when null) into `rgba` (width*height*4). */
export function paintLabels(rgba: Uint8ClampedArray, layers: EditLayers, palette: readonly Rgb[], indices: Uint32Array | null): void {
  const n = indices ? indices.length : layers.labels.length;
  for (let k = 0; k < n; k++) {
    const i = indices ? indices[k] : k;
    const v = layers.labels[i];
    const t = layers.touched[i];
    const o = i * 4;
    if (v === IGNORE) {
      if (t) rgba.set(IGNORED_TOUCHED, o);
      else rgba[o + 3] = 0;
      continue;
    }
    const c = palette[v] ?? [255, 0, 255];
    rgba[o] = c[0];
    rgba[o + 1] = c[1];
    rgba[o + 2] = c[2];
    rgba[o + 3] = t ? ALPHA_TOUCHED : ALPHA_UNTOUCHED;
  }
}

/** Bounding box of the indices, for a partial canvas update. */
export function boundsOf(indices: Uint32Array, width: number): { x: number; y: number; w: number; h: number } | null {
  if (indices.length === 0) return null;
  let x0 = Infinity;
  let x1 = -1;
  const y0 = Math.floor(indices[0] / width);
  let y1 = y0;
  for (let k = 0; k < indices.length; k++) {
    const p = indices[k];
    const x = p % width;
    const y = (p - x) / width;
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y > y1) y1 = y;
  }
  return { x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1 };
}
