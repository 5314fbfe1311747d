import * as tf from '@tensorflow/tfjs';
import { readData } from '../read';

/**
 * Class prototypes η (C × D, row-major) with the per-class update counters the reference keeps
 * (`objective_vectors`, `objective_vectors_num`). Plain typed arrays: they are tiny, updated sequentially
 * per (image, class), and go into checkpoints as is.
 */
export interface Prototypes {
  numClasses: number;
  dim: number;
  vectors: Float32Array;
  counts: Float32Array;
}

export function createPrototypes(numClasses: number, dim: number): Prototypes {
  return { numClasses, dim, vectors: new Float32Array(numClasses * dim), counts: new Float32Array(numClasses) };
}

export function clonePrototypes(p: Prototypes): Prototypes {
  return { numClasses: p.numClasses, dim: p.dim, vectors: p.vectors.slice(), counts: p.counts.slice() };
}

export function prototypesTensor(p: Prototypes): tf.Tensor2D {
  return tf.tensor2d(p.vectors, [p.numClasses, p.dim], 'float32');
}

/** Per-image class centroids from one batch: entry (n,k) is present when image n predicts class k on ≥ minPixels pixels. */
export interface ClassCentroids {
  numImages: number;
  numClasses: number;
  dim: number;
  /** N × C × D; rows of absent pairs are zero. */
  vectors: Float32Array;
  /** N × C predicted-pixel counts. */
  pixels: Int32Array;
  minPixels: number;
}

/**
 * v_nk = mean of feat over the pixels where argmax_c logits = k (no confidence threshold), NHWC inputs at the same
 * resolution (feat [N,H,W,D], logits [N,H,W,C]). Pairs with fewer than `minPixels` pixels are marked absent.
 * With `labels` (int32 [N,H,W] at the same resolution, ids ≥ C ignored) the mask is (label = k) ∧ (argmax = k), as
 * calc_prototype.py computes it on source images (`--source`); see sourceClassCentroids.
 */
export async function classCentroids(feat: tf.Tensor4D, logits: tf.Tensor4D, minPixels = 10, labels?: tf.Tensor3D): Promise<ClassCentroids> {
  const [N, H, W, D] = feat.shape;
  const C = logits.shape[3];
  if (logits.shape[0] !== N || logits.shape[1] !== H || logits.shape[2] !== W) {
    throw new Error(`classCentroids: feat [${feat.shape}] and logits [${logits.shape}] differ in N,H,W`);
  }
  if (labels && (labels.shape[0] !== N || labels.shape[1] !== H || labels.shape[2] !== W)) {
    throw new Error(`classCentroids: labels [${labels.shape}] and feat [${feat.shape}] differ in N,H,W`);
  }
  const [sums, counts] = tf.tidy(() => {
    let onehot = tf.oneHot(tf.argMax(logits, -1).reshape([N, H * W]), C).toFloat(); // [N,HW,C]
    // tf.oneHot gives an all-zero row for an id outside [0, C): 250 masks the pixel out of every class
    if (labels) onehot = tf.mul(onehot, tf.oneHot(labels.toInt().reshape([N, H * W]), C).toFloat());
    const s = tf.matMul(onehot, feat.reshape([N, H * W, D]), true, false); // [N,C,D]
    const c = tf.sum(onehot, 1); // [N,C]
    return [s, c];
  });
  const [vectors, cnt] = await Promise.all([readData(sums), readData(counts)]).finally(() => tf.dispose([sums, counts]));
  const out = new Float32Array(N * C * D);
  const pixels = new Int32Array(N * C);
  for (let nk = 0; nk < N * C; nk++) {
    const c = Math.round(cnt[nk]);
    pixels[nk] = c;
    if (c < minPixels || c === 0) continue;
    for (let d = 0; d < D; d++) out[nk * D + d] = vectors[nk * D + d] / c;
  }
  return { numImages: N, numClasses: C, dim: D, vectors: out, pixels, minPixels };
}

/**
 * A label map resized to h×w with `F.interpolate(mode='nearest')` (torch's legacy nearest): row i reads source row
 * min(⌊i·(H/h)⌋, H−1) with the scale and the product in float32, likewise for columns.
 */
export function nearestLabelResize(label: ArrayLike<number>, H: number, W: number, h: number, w: number): Int32Array {
  if (label.length !== H * W) throw new Error(`nearestLabelResize: ${label.length} values for ${H}×${W}`);
  const index = (out: number, inSize: number, outSize: number): number => {
    if (outSize === inSize) return out;
    if (outSize === 2 * inSize) return out >> 1;
    const scale = Math.fround(inSize / outSize);
    return Math.min(Math.floor(Math.fround(out * scale)), inSize - 1);
  };
  const rows = Int32Array.from({ length: h }, (_, i) => index(i, H, h));
  const cols = Int32Array.from({ length: w }, (_, j) => index(j, W, w));
  const out = new Int32Array(h * w);
  for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) out[i * w + j] = label[rows[i] * W + cols[j]];
  return out;
}

/**
 * Source-image centroids for prototype initialisation (`calc_prototype.py --source`): each image's ground truth
 * (full resolution, 250 = void) nearest-downsampled to the feature size, and v_nk the mean feat over the pixels where
 * both the truth and the prediction say k.
 */
export async function sourceClassCentroids(
  feat: tf.Tensor4D,
  logits: tf.Tensor4D,
  truth: readonly { width: number; height: number; data: ArrayLike<number> }[],
  minPixels = 10,
): Promise<ClassCentroids> {
  const [N, h, w] = feat.shape;
  if (truth.length !== N) throw new Error(`sourceClassCentroids: ${truth.length} label maps for a batch of ${N}`);
  const small = new Int32Array(N * h * w);
  truth.forEach((t, n) => small.set(nearestLabelResize(t.data, t.height, t.width, h, w), n * h * w));
  const labels = tf.tensor3d(small, [N, h, w], 'int32');
  try {
    return await classCentroids(feat, logits, minPixels, labels);
  } finally {
    labels.dispose();
  }
}

function* presentPairs(c: ClassCentroids): Generator<[number, Float32Array]> {
  const { numImages: N, numClasses: C, dim: D } = c;
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < C; k++) {
      const nk = n * C + k;
      if (c.pixels[nk] < c.minPixels || c.pixels[nk] === 0) continue;
      const v = c.vectors.subarray(nk * D, (nk + 1) * D);
      // The reference skips a vector whose *sum* is zero (`vector.sum().item() == 0`).
      let s = 0;
      for (let d = 0; d < D; d++) s += v[d];
      if (Math.fround(s) === 0) continue;
      yield [k, v];
    }
  }
}

function checkCompatible(p: Prototypes, c: ClassCentroids, where: string): void {
  if (p.numClasses !== c.numClasses || p.dim !== c.dim) {
    throw new Error(`${where}: prototypes are ${p.numClasses}×${p.dim}, centroids ${c.numClasses}×${c.dim}`);
  }
}

/**
 * Initialisation pass (calc_prototype, 'mean'): for each present (image, class) in order,
 * η_k ← (η_k·c_k + v)/(c_k+1), c_k ← min(c_k+1, cap). Call once per batch over as many passes as wanted
 * (the reference makes 4 identical passes over the target train set).
 */
export function accumulatePrototypeMean(p: Prototypes, c: ClassCentroids, cap = 3000): void {
  checkCompatible(p, c, 'accumulatePrototypeMean');
  const D = p.dim;
  for (const [k, v] of presentPairs(c)) {
    const n = p.counts[k];
    const row = p.vectors.subarray(k * D, (k + 1) * D);
    for (let d = 0; d < D; d++) row[d] = Math.fround(Math.fround(row[d] * n) + v[d]) / (n + 1);
    p.counts[k] = Math.min(n + 1, cap);
  }
}

/**
 * Online update (stage 1, `--moving_prototype`): for each present (image, class) in order,
 * η_k ← (1−m)·η_k + m·v. Sequential, so a class seen in several images of the batch is updated several times.
 */
export function emaUpdatePrototypes(p: Prototypes, c: ClassCentroids, momentum: number, cap = 3000): void {
  checkCompatible(p, c, 'emaUpdatePrototypes');
  const D = p.dim;
  const keep = Math.fround(1 - momentum);
  for (const [k, v] of presentPairs(c)) {
    const row = p.vectors.subarray(k * D, (k + 1) * D);
    for (let d = 0; d < D; d++) row[d] = Math.fround(row[d] * keep) + Math.fround(momentum * v[d]);
    p.counts[k] = Math.min(p.counts[k] + 1, cap);
  }
}
