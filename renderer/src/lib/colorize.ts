// Pure colourisation kernels: typed arrays in, RGBA bytes out. They run inside the colourise worker
// (and directly in tests); nothing here touches the DOM.
import type { LabelLut, ScaleLut } from './colormaps';
import { scaleIndex } from './heatmap-scale';
import type { ValueRange } from './heatmap-scale';
import { ERROR_COLORS } from './error-map';

export interface LabelStyle {
  /** 256 flags: 1 where the class is drawn (see `visibleClasses`). */
  visible: Uint8Array;
  /** Outline draws only pixels on a class boundary, so the image stays readable under the mask. */
  outline: boolean;
}

/** True where the pixel's label differs from its right or lower neighbour (a boundary pixel). */
function isEdge(labels: ArrayLike<number>, w: number, h: number, i: number): boolean {
  const x = i % w;
  const v = labels[i];
  if (x + 1 < w && labels[i + 1] !== v) return true;
  if (x > 0 && labels[i - 1] !== v) return true;
  if (i + w < w * h && labels[i + w] !== v) return true;
  if (i - w >= 0 && labels[i - w] !== v) return true;
  return false;
}

export function labelsToRgba(labels: Uint8Array, w: number, h: number, lut: LabelLut, style: LabelStyle): Uint8ClampedArray {
  const out = new Uint8ClampedArray(w * h * 4);
  const { visible, outline } = style;
  for (let i = 0, o = 0; i < labels.length; i++, o += 4) {
    const v = labels[i];
    if (!visible[v]) continue;
    if (outline && !isEdge(labels, w, h, i)) continue;
    const b = v * 4;
    out[o] = lut[b];
    out[o + 1] = lut[b + 1];
    out[o + 2] = lut[b + 2];
    out[o + 3] = lut[b + 3];
  }
  return out;
}

/**
 * Flips (from → to): diagonal stripes alternating the old and the new class colour, so both are
 * visible at any zoom without a second layer. Unchanged pixels are transparent. `period` is in
 * layer pixels.
 */
export function flipsToRgba(
  from: Uint8Array,
  to: Uint8Array,
  w: number,
  h: number,
  lut: LabelLut,
  visible: Uint8Array,
  period = 4,
): Uint8ClampedArray {
  const out = new Uint8ClampedArray(w * h * 4);
  for (let y = 0, i = 0; y < h; y++) {
    for (let x = 0; x < w; x++, i++) {
      const a = from[i];
      const b = to[i];
      if (a === b || (!visible[a] && !visible[b])) continue;
      const v = Math.floor((x + y) / period) % 2 === 0 ? a : b;
      const o = i * 4;
      const l = v * 4;
      out[o] = lut[l];
      out[o + 1] = lut[l + 1];
      out[o + 2] = lut[l + 2];
      out[o + 3] = lut[l + 3] || 255;
    }
  }
  return out;
}

export function scalarToRgba(values: ArrayLike<number>, range: ValueRange, lut: ScaleLut, alpha = 255): Uint8ClampedArray {
  const out = new Uint8ClampedArray(values.length * 4);
  for (let i = 0, o = 0; i < values.length; i++, o += 4) {
    const s = scaleIndex(values[i], range);
    if (s < 0) continue;
    out[o] = lut[s * 3];
    out[o + 1] = lut[s * 3 + 1];
    out[o + 2] = lut[s * 3 + 2];
    out[o + 3] = alpha;
  }
  return out;
}

/** Error codes (see error-map.ts) → fixed colours; correct and unscored pixels are transparent. */
export function errorToRgba(codes: Uint8Array): Uint8ClampedArray {
  const out = new Uint8ClampedArray(codes.length * 4);
  for (let i = 0, o = 0; i < codes.length; i++, o += 4) {
    const c = ERROR_COLORS[codes[i]];
    if (!c) continue;
    out[o] = c[0];
    out[o + 1] = c[1];
    out[o + 2] = c[2];
    out[o + 3] = c[3];
  }
  return out;
}
