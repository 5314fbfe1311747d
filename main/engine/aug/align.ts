import * as tf from '@tensorflow/tfjs';
import type { StrongOp } from './strong';
import type { WeakParams } from './weak';

export const PAD = 250;

/**
 * How the strong-view label/map transform follows the image ops.
 * - order 'recorded' (default): the ops in the order the image went through them, each op as many times as it ran.
 *   'fixed-reference': the official `label_strong_T` — fixed order Hflip → ShearX → ShearY → TranslateX → TranslateY →
 *   Rotate → Cutout, one entry per op kind (an op drawn twice keeps only its last value), float maps passing through
 *   the reference's t+1 … t−1 round trip.
 * - translateXScale 'width' (default): TranslateX is 2v/W in normalised coordinates (correct). 'height-reference-bug': 2v/H.
 */
export interface StrongAlignOptions {
  order: 'recorded' | 'fixed-reference';
  translateXScale: 'width' | 'height-reference-bug';
  /** Map resolution relative to the strong image (4 for the 1/4-crop maps of stage 1). Translations and cutout are floor-divided. */
  scale: number;
}

export const STRONG_ALIGN_DEFAULTS: StrongAlignOptions = { order: 'recorded', translateXScale: 'width', scale: 4 };
export const STRONG_ALIGN_REFERENCE: StrongAlignOptions = {
  order: 'fixed-reference',
  translateXScale: 'height-reference-bug',
  scale: 4,
};

type Theta = [number, number, number, number, number, number];
type Geometric = Extract<StrongOp, { op: 'ShearX' | 'ShearY' | 'TranslateX' | 'TranslateY' | 'Rotate' }>;

/**
 * The affine_grid theta of one op on an H×W map (normalised coordinates, output → input), as the reference builds it:
 * aspect-corrected off-diagonals, and the shear offsets that make PIL's top-left-anchored shear.
 */
export function affineTheta(op: Geometric, H: number, W: number, translateXScale: StrongAlignOptions['translateXScale']): Theta {
  const v = op.v;
  switch (op.op) {
    case 'Rotate': {
      const r = (v / 180) * Math.PI;
      return [Math.cos(r), (-Math.sin(r) * H) / W, 0, (Math.sin(r) * W) / H, Math.cos(r), 0];
    }
    case 'ShearX':
      return [1, (v * H) / W, (v * H) / W, 0, 1, 0];
    case 'ShearY':
      return [1, 0, 0, (v * W) / H, 1, (v * W) / H];
    case 'TranslateX':
      return [1, 0, (2 * v) / (translateXScale === 'width' ? W : H), 0, 1, 0];
    case 'TranslateY':
      return [1, 0, 0, 0, 1, (2 * v) / H];
  }
}

const f32 = Math.fround;

/** torch.nearbyint: round half to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Source index map of `grid_sample(affine_grid(theta), mode='nearest', align_corners=False, zeros padding)`, emulating
 * torch's float32 arithmetic: for each output pixel, the flat input index or −1 when it falls outside.
 */
export function affineSourceIndex(theta: Theta, H: number, W: number): Int32Array {
  const t = theta.map(f32);
  const xs = new Float32Array(W);
  const ys = new Float32Array(H);
  // torch: `range * (num_steps - 1) / num_steps`, two float32 ops
  for (let j = 0; j < W; j++) xs[j] = f32(f32(linspace(W, j) * (W - 1)) / W);
  for (let i = 0; i < H; i++) ys[i] = f32(f32(linspace(H, i) * (H - 1)) / H);
  const out = new Int32Array(H * W);
  for (let i = 0; i < H; i++) {
    for (let j = 0; j < W; j++) {
      const gx = f32(f32(f32(xs[j] * t[0]) + f32(ys[i] * t[1])) + t[2]);
      const gy = f32(f32(f32(xs[j] * t[3]) + f32(ys[i] * t[4])) + t[5]);
      const ix = roundHalfEven(f32(f32(f32(f32(gx + 1) * W) - 1) / 2));
      const iy = roundHalfEven(f32(f32(f32(f32(gy + 1) * H) - 1) / 2));
      out[i * W + j] = ix >= 0 && ix < W && iy >= 0 && iy < H ? iy * W + ix : -1;
    }
  }
  return out;
}

/** torch.linspace(-1, 1, n)[i] in float32 (torch fills the upper half from the end for symmetry). */
function linspace(n: number, i: number): number {
  if (n === 1) return -1;
  const step = f32(2 / (n - 1));
  return i < n / 2 ? f32(-1 + f32(step * i)) : f32(1 - f32(step * (n - 1 - i)));
}

function composeIndex(prev: Int32Array, step: Int32Array): Int32Array {
  const out = new Int32Array(step.length);
  for (let i = 0; i < step.length; i++) out[i] = step[i] < 0 ? -1 : prev[step[i]];
  return out;
}

function orderedOps(ops: readonly StrongOp[], order: StrongAlignOptions['order']): StrongOp[] {
  const spatial = ops.filter((o) => ['Hflip', 'ShearX', 'ShearY', 'TranslateX', 'TranslateY', 'Rotate', 'CutoutAbs'].includes(o.op));
  if (order === 'recorded') return spatial;
  const last = new Map<string, StrongOp>();
  for (const o of spatial) last.set(o.op, o);
  const fixed = ['Hflip', 'ShearX', 'ShearY', 'TranslateX', 'TranslateY', 'Rotate', 'CutoutAbs'];
  return fixed.flatMap((k) => (last.has(k) ? [last.get(k)!] : []));
}

/**
 * For a map of H×W (at 1/scale of the strong image), the flat source index in the weak-view map of every strong-view
 * pixel, or −1 where it is out of view or cut out (→ padding 250).
 */
export function strongSourceIndex(
  ops: readonly StrongOp[],
  H: number,
  W: number,
  options: Partial<StrongAlignOptions> = {},
): Int32Array {
  const o = { ...STRONG_ALIGN_DEFAULTS, ...options };
  let idx: Int32Array = new Int32Array(H * W);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  for (const op of orderedOps(ops, o.order)) {
    if (op.op === 'Hflip') {
      const step = new Int32Array(H * W);
      for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) step[i * W + j] = i * W + (W - 1 - j);
      idx = composeIndex(idx, step);
    } else if (op.op === 'CutoutAbs') {
      const s = o.scale;
      const [x0, y0, x1, y1] = [op.x0, op.y0, op.x1, op.y1].map((c) => Math.floor(c / s));
      for (let i = Math.max(0, y0); i < Math.min(H, y1); i++) {
        for (let j = Math.max(0, x0); j < Math.min(W, x1); j++) idx[i * W + j] = -1;
      }
    } else if (op.op === 'ShearX' || op.op === 'ShearY' || op.op === 'Rotate' || op.op === 'TranslateX' || op.op === 'TranslateY') {
      const scaled: Geometric = op.op === 'TranslateX' || op.op === 'TranslateY' ? { ...op, v: Math.floor(op.v / o.scale) } : op;
      idx = composeIndex(idx, affineSourceIndex(affineTheta(scaled, H, W, o.translateXScale), H, W));
    }
  }
  return idx;
}

/** Label map (H×W, 250 = ignore) into the strong view; out-of-view and cut-out pixels become 250. */
export function strongLabel(label: Uint8Array | Int32Array, H: number, W: number, ops: readonly StrongOp[], options: Partial<StrongAlignOptions> = {}): Int32Array {
  const idx = strongSourceIndex(ops, H, W, options);
  const out = new Int32Array(H * W);
  for (let i = 0; i < out.length; i++) out[i] = idx[i] < 0 ? PAD : label[idx[i]];
  return out;
}

/**
 * A batch of NHWC maps (labels as float, distance maps, soft labels) into the strong view: per image its op list;
 * every channel of an out-of-view / cut-out pixel becomes 250. No gradient (teacher-side maps only).
 */
export function strongMaps(maps: tf.Tensor4D, opsPerImage: readonly (readonly StrongOp[])[], options: Partial<StrongAlignOptions> = {}): tf.Tensor4D {
  const [N, H, W, C] = maps.shape;
  if (opsPerImage.length !== N) throw new Error(`strongMaps: ${opsPerImage.length} op lists for a batch of ${N}`);
  const o = { ...STRONG_ALIGN_DEFAULTS, ...options };
  const index = new Int32Array(N * H * W);
  for (let n = 0; n < N; n++) {
    const idx = strongSourceIndex(opsPerImage[n], H, W, o);
    // row N·H·W of the padded source table is the all-250 row
    for (let i = 0; i < H * W; i++) index[n * H * W + i] = idx[i] < 0 ? N * H * W : n * H * W + idx[i];
  }
  return tf.tidy(() => {
    let table = tf.concat([maps.reshape([N * H * W, C]), tf.fill([1, C], PAD)], 0);
    // The reference shifts by +1 before sampling and back after; in float32 that round trip rounds small values.
    if (o.order === 'fixed-reference') table = tf.sub(tf.add(table, 1), 1);
    return tf.gather(table, tf.tensor1d(index, 'int32')).reshape([N, H, W, C]) as tf.Tensor4D;
  });
}

/**
 * `full2weak`: maps computed on the full image at 1/4 resolution ([N,h,w,C]) into each image's weak view: bilinear
 * (align_corners) resize to (⌊H_r/4⌋, ⌊W_r/4⌋) of the RandomSized size, crop at ⌊y1/4⌋,⌊x1/4⌋ of size ⌊crop/4⌋, flip.
 */
export function full2weak(maps: tf.Tensor4D, params: readonly WeakParams[]): tf.Tensor4D {
  const N = maps.shape[0];
  if (params.length !== N) throw new Error(`full2weak: ${params.length} weak params for a batch of ${N}`);
  return tf.tidy(() => {
    const parts = params.map((p, n) => {
      const [h, w] = p.resized;
      const [y1, y2, x1, x2] = p.crop;
      const one = tf.slice(maps, [n, 0, 0, 0], [1, -1, -1, -1]);
      const r = tf.image.resizeBilinear(one, [Math.trunc(h / 4), Math.trunc(w / 4)], true);
      const th = Math.trunc((y2 - y1) / 4);
      const tw = Math.trunc((x2 - x1) / 4);
      const c = tf.slice(r, [0, Math.trunc(y1 / 4), Math.trunc(x1 / 4), 0], [1, th, tw, -1]);
      return p.flip ? tf.reverse(c, 2) : c;
    });
    return tf.concat(parts, 0) as tf.Tensor4D;
  });
}

/**
 * The stored warm-up soft pseudo-label (softmax at 1/8 of the full image, [N,h8,w8,C]) into each weak view at label
 * resolution, the reference's way (§3.2, §5.2 step 2): bilinear (align_corners) up to the full image size, to the
 * RandomSized size, crop, flip, exactly as the image, then bilinear ×1/`labelScale` (128×224 for a 512×896 crop).
 * Resizing the stored map to 1/4 of the full image and then running full2weak (the route of the EMA maps) is not the
 * same: two bilinear steps at different scales give other probabilities (up to 0.28 apart on small inputs) and argmaxes.
 * The full-resolution intermediates of one image are freed before the next image starts.
 */
export function softPseudoToWeak(
  soft: tf.Tensor4D,
  fullSize: readonly [number, number],
  params: readonly WeakParams[],
  labelScale = 4,
): tf.Tensor4D {
  const N = soft.shape[0];
  if (params.length !== N) throw new Error(`softPseudoToWeak: ${params.length} weak params for a batch of ${N}`);
  const parts = params.map((p, n) =>
    tf.tidy(() => {
      const full = tf.image.resizeBilinear(tf.slice(soft, [n, 0, 0, 0], [1, -1, -1, -1]), [fullSize[0], fullSize[1]], true);
      const sized = tf.image.resizeBilinear(full, [p.resized[0], p.resized[1]], true);
      const [y1, y2, x1, x2] = p.crop;
      let c = tf.slice(sized, [0, y1, x1, 0], [1, y2 - y1, x2 - x1, -1]);
      if (p.flip) c = tf.reverse(c, 2);
      return tf.image.resizeBilinear(c, [Math.floor((y2 - y1) / labelScale), Math.floor((x2 - x1) / labelScale)], true) as tf.Tensor4D;
    }),
  );
  const out = tf.concat(parts, 0) as tf.Tensor4D;
  tf.dispose(parts);
  return out;
}
