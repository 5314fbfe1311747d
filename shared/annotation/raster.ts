// A label index raster: one trainId per pixel, row-major. The touched mask says which pixels a person
// has decided on; only those count as supervision when corrections feed back into training.

/** Same value as `IGNORE_LABEL` in shared/classes.ts: pixels no loss ever looks at. */
export const IGNORE = 250;

export interface LabelRaster {
  readonly width: number;
  readonly height: number;
  /** trainIds, `IGNORE` for pixels without a label. Length width*height. */
  readonly data: Uint8Array;
}

/** The three buffers an edit reads: the current labels, the touched mask (0/1) and the layer the edit started from. */
export interface EditLayers {
  readonly width: number;
  readonly height: number;
  readonly labels: Uint8Array;
  readonly touched: Uint8Array;
  /** What the eraser restores: the starting layer (pseudo-label, prediction, ground truth or an import). */
  readonly base: Uint8Array;
}

export function createLayers(base: LabelRaster): EditLayers {
  checkRaster(base, 'base');
  return {
    width: base.width,
    height: base.height,
    labels: base.data.slice(),
    touched: new Uint8Array(base.data.length),
    base: base.data.slice(),
  };
}

export function checkRaster(r: { width: number; height: number; data: Uint8Array }, name: string): void {
  if (!Number.isInteger(r.width) || !Number.isInteger(r.height) || r.width <= 0 || r.height <= 0) {
    throw new RangeError(`${name}: width and height must be positive integers, got ${r.width}×${r.height}`);
  }
  if (r.data.length !== r.width * r.height) {
    throw new RangeError(`${name}: expected ${r.width * r.height} pixels (${r.width}×${r.height}), got ${r.data.length}`);
  }
}

/** Number of pixels a person has touched. */
export function countTouched(touched: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < touched.length; i++) n += touched[i] ? 1 : 0;
  return n;
}

/** Nearest-neighbour resize sampling floor(i·in/out), PyTorch's default 'nearest'; for layers stored at another resolution. */
export function resizeNearest(r: LabelRaster, width: number, height: number): LabelRaster {
  if (r.width === width && r.height === height) return r;
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(r.height - 1, Math.floor((y * r.height) / height));
    for (let x = 0; x < width; x++) out[y * width + x] = r.data[sy * r.width + Math.min(r.width - 1, Math.floor((x * r.width) / width))];
  }
  return { width, height, data: out };
}
