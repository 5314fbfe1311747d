// From model-resolution logits (C×h×w, one image) to full-resolution labels and confidence, in the two
// orders the official code uses. Plain typed arrays, so both forward implementations (ONNX Runtime and
// tfjs) share one post-processing and can only differ in their logits.
//
//  'eval'         (train.py validate / test.py): bilinear(align_corners) upsampling of the logits, then
//                 argmax; confidence = max softmax of the upsampled logits.
//  'pseudo-label' (generate_pseudo_label.py): softmax at model resolution, the probabilities upsampled,
//                 then (with --flip) averaged with the mirrored prediction of the mirrored image.
// With flip in the 'eval' order the softmax of each upsampled map is averaged (the official evaluation
// has no flip; this is what a flip-averaged export in the evaluation order means).
//
// Bilinear upsampling is separable: every class map is first interpolated along x (C×h×W, small), then
// each output row is a blend of two of those rows. That is PyTorch's own order of operations.
import { labelExportOrders } from '../../../shared/contract/export';

export interface ChwMap {
  channels: number;
  height: number;
  width: number;
  /** Row-major per channel: data[(c·height + y)·width + x]. */
  data: Float32Array;
}

/** The orders the contract names (shared/contract/export.ts), so CLI, contract and engine agree. */
export type LabelOrder = (typeof labelExportOrders)[number];
export const labelOrders: readonly LabelOrder[] = labelExportOrders;

/** Softmax over channels at every pixel (max-shifted, float32 result). */
export function softmaxChw(m: ChwMap): ChwMap {
  const { channels: C, height: h, width: w, data } = m;
  const n = h * w;
  const out = new Float32Array(data.length);
  for (let i = 0; i < n; i++) {
    let mx = -Infinity;
    for (let c = 0; c < C; c++) if (data[c * n + i] > mx) mx = data[c * n + i];
    let sum = 0;
    for (let c = 0; c < C; c++) {
      const e = Math.exp(data[c * n + i] - mx);
      out[c * n + i] = e;
      sum += e;
    }
    for (let c = 0; c < C; c++) out[c * n + i] /= sum;
  }
  return { channels: C, height: h, width: w, data: out };
}

/** Source coordinate of output index i under align_corners=True. */
function axis(inSize: number, outSize: number): { i0: Int32Array; i1: Int32Array; f: Float32Array } {
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const f = new Float32Array(outSize);
  // float32 scale and source position, as PyTorch's CPU kernel computes them
  const scale = outSize > 1 ? Math.fround((inSize - 1) / (outSize - 1)) : 0;
  for (let o = 0; o < outSize; o++) {
    const src = Math.fround(scale * o);
    const a = Math.min(Math.floor(src), inSize - 1);
    i0[o] = a;
    i1[o] = Math.min(a + 1, inSize - 1);
    f[o] = Math.fround(src - a);
  }
  return { i0, i1, f };
}

/** Interpolation along x only: C×h×w → C×h×W. */
function upsampleX(m: ChwMap, W: number): Float32Array {
  const { channels: C, height: h, width: w, data } = m;
  const { i0, i1, f } = axis(w, W);
  const out = new Float32Array(C * h * W);
  for (let r = 0; r < C * h; r++) {
    const src = r * w;
    const dst = r * W;
    for (let x = 0; x < W; x++) {
      const t = f[x];
      out[dst + x] = (1 - t) * data[src + i0[x]] + t * data[src + i1[x]];
    }
  }
  return out;
}

/** Bilinear (align_corners) upsampling of a whole map; used by tests and small maps. */
export function upsampleChw(m: ChwMap, H: number, W: number): ChwMap {
  const xs = upsampleX(m, W);
  const { i0, i1, f } = axis(m.height, H);
  const C = m.channels;
  const h = m.height;
  const out = new Float32Array(C * H * W);
  for (let c = 0; c < C; c++) {
    for (let y = 0; y < H; y++) {
      const a = (c * h + i0[y]) * W;
      const b = (c * h + i1[y]) * W;
      const t = f[y];
      const dst = (c * H + y) * W;
      for (let x = 0; x < W; x++) out[dst + x] = (1 - t) * xs[a + x] + t * xs[b + x];
    }
  }
  return { channels: C, height: H, width: W, data: out };
}

/**
 * Full-resolution argmax and confidence from one image's logits (and, with flip, the logits of its
 * mirror image, still in the mirror's own coordinates). Ties go to the lower class, as torch.argmax.
 */
export function labelsAndConfidence(
  logits: ChwMap,
  flipped: ChwMap | null,
  H: number,
  W: number,
  order: LabelOrder,
): { labels: Uint8Array; conf: Float32Array } {
  const C = logits.channels;
  const h = logits.height;
  if (flipped && (flipped.channels !== C || flipped.height !== h || flipped.width !== logits.width)) {
    throw new Error(`flipped logits are ${flipped.channels}×${flipped.height}×${flipped.width}, expected ${C}×${h}×${logits.width}`);
  }
  // pseudo-label order: what is upsampled is the model-resolution softmax.
  const pre = (m: ChwMap) => upsampleX(order === 'pseudo-label' ? softmaxChw(m) : m, W);
  const a = pre(logits);
  const b = flipped ? pre(flipped) : null;
  const { i0, i1, f } = axis(h, H);
  const labels = new Uint8Array(H * W);
  const conf = new Float32Array(H * W);
  const row = new Float32Array(C * W);
  const rowB = b ? new Float32Array(C * W) : null;
  const blend = (src: Float32Array, dst: Float32Array, y: number) => {
    const t = f[y];
    for (let c = 0; c < C; c++) {
      const p = (c * h + i0[y]) * W;
      const q = (c * h + i1[y]) * W;
      const o = c * W;
      for (let x = 0; x < W; x++) dst[o + x] = (1 - t) * src[p + x] + t * src[q + x];
    }
  };
  // Per-pixel softmax of an upsampled row in place (the 'eval' order's probabilities).
  const softmaxRow = (r: Float32Array) => {
    for (let x = 0; x < W; x++) {
      let mx = -Infinity;
      for (let c = 0; c < C; c++) if (r[c * W + x] > mx) mx = r[c * W + x];
      let sum = 0;
      for (let c = 0; c < C; c++) {
        const e = Math.exp(r[c * W + x] - mx);
        r[c * W + x] = e;
        sum += e;
      }
      for (let c = 0; c < C; c++) r[c * W + x] /= sum;
    }
  };
  for (let y = 0; y < H; y++) {
    blend(a, row, y);
    if (b && rowB) {
      blend(b, rowB, y);
      if (order === 'eval') {
        softmaxRow(row);
        softmaxRow(rowB);
      }
      for (let c = 0; c < C; c++) {
        const o = c * W;
        for (let x = 0; x < W; x++) row[o + x] = 0.5 * (row[o + x] + rowB[o + W - 1 - x]);
      }
    }
    const base = y * W;
    for (let x = 0; x < W; x++) {
      let best = row[x];
      let arg = 0;
      for (let c = 1; c < C; c++) {
        const v = row[c * W + x];
        if (v > best) {
          best = v;
          arg = c;
        }
      }
      labels[base + x] = arg;
      if (order === 'eval' && !b) {
        // max softmax = 1 / Σ exp(v − max)
        let sum = 0;
        for (let c = 0; c < C; c++) sum += Math.exp(row[c * W + x] - best);
        conf[base + x] = 1 / sum;
      } else conf[base + x] = best;
    }
  }
  return { labels, conf };
}

/** Mirror of an interleaved image (or map) along x. */
export function mirrorX<T extends Uint8Array | Float32Array>(data: T, width: number, height: number, channels: number): T {
  const out = data.slice() as T;
  for (let y = 0; y < height; y++) {
    const r = y * width;
    for (let x = 0; x < width; x++) {
      const s = (r + width - 1 - x) * channels;
      const d = (r + x) * channels;
      for (let c = 0; c < channels; c++) out[d + c] = data[s + c];
    }
  }
  return out;
}
