// Derived overlays: everything the viewer shows that is computed from the maps main sends (channel
// slices, per-pixel reductions, flips, errors). Pure functions over typed arrays, run in the worker.
import type { LabelLayer, MapLayer, ScalarLayer, VectorLayer } from '../../../shared/contract/maps';
import { errorMap } from './error-map';

export interface Grid {
  width: number;
  height: number;
}

/** Channel k of a C×H×W array (a view, not a copy). */
export function channel(v: VectorLayer, k: number): Float32Array {
  const n = v.width * v.height;
  if (k < 0 || k >= v.channels) throw new Error(`channel ${k} out of range 0..${v.channels - 1} in layer ${v.id}`);
  return v.data.subarray(k * n, (k + 1) * n);
}

export function channelMin(v: VectorLayer): Float32Array {
  const n = v.width * v.height;
  const out = new Float32Array(n).fill(Infinity);
  for (let k = 0; k < v.channels; k++) {
    const off = k * n;
    for (let i = 0; i < n; i++) if (v.data[off + i] < out[i]) out[i] = v.data[off + i];
  }
  return out;
}

export function channelMax(v: VectorLayer): Float32Array {
  const n = v.width * v.height;
  const out = new Float32Array(n).fill(-Infinity);
  for (let k = 0; k < v.channels; k++) {
    const off = k * n;
    for (let i = 0; i < n; i++) if (v.data[off + i] > out[i]) out[i] = v.data[off + i];
  }
  return out;
}

/** Shannon entropy (nats) of each pixel's distribution; 0 ≤ H ≤ ln C. */
export function entropy(v: VectorLayer): Float32Array {
  const n = v.width * v.height;
  const out = new Float32Array(n);
  for (let k = 0; k < v.channels; k++) {
    const off = k * n;
    for (let i = 0; i < n; i++) {
      const p = v.data[off + i];
      if (p > 0) out[i] -= p * Math.log(p);
    }
  }
  return out;
}

export function argmax(v: VectorLayer): Uint8Array {
  const n = v.width * v.height;
  const out = new Uint8Array(n);
  const best = new Float32Array(n).fill(-Infinity);
  for (let k = 0; k < v.channels; k++) {
    const off = k * n;
    for (let i = 0; i < n; i++) {
      if (v.data[off + i] > best[i]) {
        best[i] = v.data[off + i];
        out[i] = k;
      }
    }
  }
  return out;
}

/** Nearest-neighbour resample of a label grid (same cell rule as `layerCell`). */
export function resampleNearest(src: Uint8Array, from: Grid, to: Grid): Uint8Array {
  if (from.width === to.width && from.height === to.height) return src;
  const out = new Uint8Array(to.width * to.height);
  const xs = new Int32Array(to.width);
  for (let x = 0; x < to.width; x++) xs[x] = Math.min(from.width - 1, Math.floor(((x + 0.5) * from.width) / to.width));
  for (let y = 0; y < to.height; y++) {
    const sy = Math.min(from.height - 1, Math.floor(((y + 0.5) * from.height) / to.height));
    const row = sy * from.width;
    const o = y * to.width;
    for (let x = 0; x < to.width; x++) out[o + x] = src[row + xs[x]];
  }
  return out;
}

/** Share of pixels whose label differs between two layers, on the first layer's grid. */
export function flippedShare(raw: LabelLayer, denoised: LabelLayer): number {
  const d = resampleNearest(denoised.data, denoised, raw);
  let n = 0;
  for (let i = 0; i < raw.data.length; i++) if (raw.data[i] !== d[i]) n++;
  return raw.data.length ? n / raw.data.length : 0;
}

/** Error codes of `layer` against `ref`, computed on the reference's grid (GT is full resolution). */
export function errorLayer(layer: LabelLayer, ref: LabelLayer, focus: number | null): { grid: Grid; codes: Uint8Array } {
  const pred = resampleNearest(layer.data, layer, ref);
  return { grid: { width: ref.width, height: ref.height }, codes: errorMap(pred, ref.data, focus) };
}

export function findLayer<K extends MapLayer['kind']>(
  layers: readonly MapLayer[],
  kind: K,
  id: string,
): Extract<MapLayer, { kind: K }> | undefined {
  return layers.find((l) => l.kind === kind && l.id === id) as Extract<MapLayer, { kind: K }> | undefined;
}

export type { LabelLayer, ScalarLayer, VectorLayer };
