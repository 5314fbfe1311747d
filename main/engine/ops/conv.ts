// 2-D convolution (NHWC input, HWIO filter) whose gradients are themselves plain conv2d / matMul calls.
// Why: tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter, its Conv2DBackpropInput is slow, and no
// backend differentiates dilated convs. Forward conv2d is fast everywhere (XNNPACK on wasm), so the
// backward pass is rewritten in terms of it:
//   dW = conv(transpose(xpad) as batch=Ci/channels=N, transpose(dy) as filter, stride=d, dilation=s)
//   dx = conv(zero-upsampled dy padded by (K-1)d-pad, flipped kernel with in/out swapped, dilation=d)
// 1×1 convs (most of a bottleneck ResNet) use matMul in both directions instead.
import * as tf from '@tensorflow/tfjs';
import { customOp } from './custom-op';

export type Pad4 = readonly [top: number, bottom: number, left: number, right: number];

export interface Conv2dOptions {
  stride?: number;
  /** Symmetric pad (PyTorch `padding=p`) or explicit [top, bottom, left, right]. */
  pad?: number | Pad4;
  dilation?: number;
}

type Norm = { s: number; d: number; pad: Pad4 };

function normalise(o: Conv2dOptions): Norm {
  const s = o.stride ?? 1;
  const d = o.dilation ?? 1;
  const p = o.pad ?? 0;
  const pad: Pad4 = typeof p === 'number' ? [p, p, p, p] : p;
  if (s > 1 && d > 1) throw new Error(`conv2d: stride ${s} together with dilation ${d} is not supported`);
  if (pad.some((v) => v < 0)) throw new Error(`conv2d: negative padding ${pad.join(',')}`);
  return { s, d, pad };
}

/** Output spatial size with PyTorch's floor rounding. */
export function convOutSize(size: number, k: number, stride: number, padBefore: number, padAfter: number, dilation: number): number {
  return Math.floor((size + padBefore + padAfter - dilation * (k - 1) - 1) / stride) + 1;
}

/** Pads (positive) or crops (negative) rows/cols of an NHWC tensor. */
function padOrCrop(x: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  let y = x;
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    const t = Math.max(0, -top);
    const l = Math.max(0, -left);
    y = tf.slice(y, [0, t, l, 0], [n, h - t - Math.max(0, -bottom), w - l - Math.max(0, -right), c]);
  }
  const pt = Math.max(0, top);
  const pb = Math.max(0, bottom);
  const pl = Math.max(0, left);
  const pr = Math.max(0, right);
  if (pt || pb || pl || pr) y = tf.pad(y, [[0, 0], [pt, pb], [pl, pr], [0, 0]]);
  return y;
}

/**
 * Spreads each pixel to (i·s, j·s) of a zero canvas of size (h·s, w·s).
 * Two rank-4 pads (columns, then rows) rather than one pad of a rank-6 view: tfjs-backend-webgpu 4.22
 * cannot compile rank-5/6 pads, and Dawn then only logs a validation error and yields zeros. Padding
 * with zeros is exact, so cpu and wasm results are bit-identical to the rank-6 form.
 */
export function zeroUpsample(x: tf.Tensor4D, s: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  // [n·h, w, 1, c] → [n·h, w, s, c]: each pixel followed by s-1 zero pixels along its row.
  const cols = tf.pad(tf.reshape(x, [n * h, w, 1, c]), [[0, 0], [0, 0], [0, s - 1], [0, 0]]);
  // [n, h, 1, w·s·c] → [n, h, s, w·s·c]: each widened row followed by s-1 zero rows.
  const rows = tf.pad(tf.reshape(cols, [n, h, 1, w * s * c]), [[0, 0], [0, 0], [0, s - 1], [0, 0]]);
  return tf.reshape(rows, [n, h * s, w * s, c]);
}

function forwardConv(x: tf.Tensor4D, w: tf.Tensor4D, { s, d, pad }: Norm): tf.Tensor4D {
  const [pt, pb, pl, pr] = pad;
  const padding: 'valid' | [[0, 0], [number, number], [number, number], [0, 0]] =
    pt || pb || pl || pr ? [[0, 0], [pt, pb], [pl, pr], [0, 0]] : 'valid';
  return tf.conv2d(x, w, s, padding, 'NHWC', d);
}

export function filterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, kh: number, kw: number, { s, d, pad }: Norm): tf.Tensor4D {
  const [n, h, wd, ci] = x.shape;
  const [, ho, wo, co] = dy.shape;
  const [pt, , pl] = pad;
  if (kh === 1 && kw === 1 && pad.every((v) => v === 0)) {
    const xs = s > 1 ? tf.stridedSlice(x, [0, 0, 0, 0], [n, (ho - 1) * s + 1, (wo - 1) * s + 1, ci], [1, s, s, 1]) : x;
    const g = tf.matMul(tf.reshape(xs, [-1, ci]), tf.reshape(dy, [-1, co]), true, false);
    return tf.reshape(g, [1, 1, ci, co]);
  }
  // Only rows/cols some output pixel reads are kept, so the "conv" output is exactly kh×kw.
  const needH = (ho - 1) * s + (kh - 1) * d + 1;
  const needW = (wo - 1) * s + (kw - 1) * d + 1;
  if (tf.getBackend() === 'webgpu') return tf.tidy(() => filterGradByMatMul(padOrCrop(x, pt, needH - h - pt, pl, needW - wd - pl), dy, kh, kw, s, d));
  const xp = padOrCrop(x, pt, needH - h - pt, pl, needW - wd - pl);
  const a = n === 1 ? tf.reshape(tf.transpose(xp, [3, 1, 2, 0]), [ci, needH, needW, 1]) : tf.transpose(xp, [3, 1, 2, 0]);
  // The wasm backend caches one XNNPACK operator per filter buffer until that buffer is freed, and
  // this operator's indirection buffer is large (Ci·kh·kw·Ho·Wo pointers: 0.5 GB for a ResNet-101 ASPP
  // branch). dy itself lives until the whole backward pass ends, so the "filter" gets its own buffer,
  // freed right after the conv, which releases the operator with it.
  const f = n === 1 ? tf.reshape(tf.add(dy, 0), [ho, wo, 1, co]) : tf.transpose(dy, [1, 2, 0, 3]);
  const g = tf.conv2d(a as tf.Tensor4D, f as tf.Tensor4D, d, 'valid', 'NHWC', s);
  f.dispose();
  return tf.transpose(g, [1, 2, 0, 3]);
}

/**
 * The filter gradient on webgpu: one matMul per kernel row, dW[i] = im2col(xp, row i)ᵀ · dy, whose inner
 * dimension is N·Ho·Wo. The conv form above hands tfjs-webgpu a "conv" with a 3×3 output and a filter as
 * large as the feature map, which its tiled conv kernel runs on a handful of workgroups: it took 70 % of
 * a demo-net training step on lavapipe, 4–7× slower per call than this. Row by row keeps the copied taps
 * at kw× the input (a whole im2col would be kh·kw×). Only webgpu takes this path: cpu and wasm keep
 * their results bit for bit.
 */
function filterGradByMatMul(xp: tf.Tensor4D, dy: tf.Tensor4D, kh: number, kw: number, s: number, d: number): tf.Tensor4D {
  const [n, , , ci] = xp.shape;
  const [, ho, wo, co] = dy.shape;
  const dyFlat = tf.reshape(dy, [n * ho * wo, co]);
  const rows: tf.Tensor[] = [];
  for (let i = 0; i < kh; i++) {
    const taps: tf.Tensor[] = [];
    for (let j = 0; j < kw; j++) {
      taps.push(tf.stridedSlice(xp, [0, i * d, j * d, 0], [n, i * d + (ho - 1) * s + 1, j * d + (wo - 1) * s + 1, ci], [1, s, s, 1]));
    }
    const cols = tf.reshape(kw > 1 ? tf.concat(taps, 3) : taps[0], [n * ho * wo, kw * ci]);
    rows.push(tf.reshape(tf.matMul(cols, dyFlat, true, false), [1, kw, ci, co]));
  }
  return (kh > 1 ? tf.concat(rows, 0) : rows[0]) as tf.Tensor4D;
}

export function inputGrad(dy: tf.Tensor4D, w: tf.Tensor4D, xShape: readonly number[], { s, d, pad }: Norm): tf.Tensor4D {
  const [kh, kw, ci, co] = w.shape;
  const [n, h, wd] = xShape;
  const [ho, wo] = [dy.shape[1], dy.shape[2]];
  const [pt, , pl] = pad;
  if (kh === 1 && kw === 1 && pad.every((v) => v === 0)) {
    const g = tf.reshape(tf.matMul(tf.reshape(dy, [-1, co]), tf.reshape(w, [ci, co]), false, true), [n, ho, wo, ci]) as tf.Tensor4D;
    if (s === 1) return g;
    return padOrCrop(zeroUpsample(g, s), 0, h - ho * s, 0, wd - wo * s);
  }
  const up = s > 1 ? zeroUpsample(dy, s) : dy;
  const upH = up.shape[1];
  const upW = up.shape[2];
  const top = (kh - 1) * d - pt;
  const left = (kw - 1) * d - pl;
  const padded = padOrCrop(up, top, h + (kh - 1) * d - top - upH, left, wd + (kw - 1) * d - left - upW);
  const wt = tf.transpose(tf.reverse(w, [0, 1]), [0, 1, 3, 2]);
  return tf.conv2d(padded, wt as tf.Tensor4D, 1, 'valid', 'NHWC', d);
}

/**
 * conv2d(x NHWC, w HWIO) with PyTorch padding semantics and conv-based gradients.
 * Differentiable on every backend, dilated or not (stride and dilation may not both exceed 1).
 */
export function conv2d(x: tf.Tensor4D, w: tf.Tensor4D, opts: Conv2dOptions = {}): tf.Tensor4D {
  const o = normalise(opts);
  if (x.shape[3] !== w.shape[2]) {
    throw new Error(`conv2d: input has ${x.shape[3]} channels, filter expects ${w.shape[2]}`);
  }
  return customOp(
    [x, w],
    (save) => {
      save([x, w]);
      return forwardConv(x, w, o);
    },
    (dy, [xs, ws]) => [
      () => inputGrad(dy, ws as tf.Tensor4D, xs.shape, o),
      () => filterGrad(xs as tf.Tensor4D, dy, w.shape[0], w.shape[1], o),
    ],
  );
}

/**
 * Atrous conv as spaceToBatchND → conv2d(valid) → batchToSpaceND: exact, and differentiable with
 * tfjs's own gradients on cpu, wasm and webgl. `pad` is the symmetric PyTorch padding.
 */
export function atrousConv2d(x: tf.Tensor4D, w: tf.Tensor4D, dilation: number, pad: number): tf.Tensor4D {
  const [, h, wd] = x.shape;
  const [kh, kw] = w.shape;
  const d = dilation;
  const hp = h + 2 * pad;
  const wp = wd + 2 * pad;
  const extraH = (d - (hp % d)) % d;
  const extraW = (d - (wp % d)) % d;
  const b = tf.spaceToBatchND(x, [d, d], [
    [pad, pad + extraH],
    [pad, pad + extraW],
  ]) as tf.Tensor4D;
  const y = conv2d(b, w);
  const outH = hp - (kh - 1) * d;
  const outW = wp - (kw - 1) * d;
  return tf.batchToSpaceND(y, [d, d], [
    [0, y.shape[1] * d - outH],
    [0, y.shape[2] * d - outW],
  ]) as tf.Tensor4D;
}
