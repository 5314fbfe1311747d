import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { atrousConv2d, conv2d, convOutSize } from './index';
import { readData } from '../read';
import { zeroUpsample } from './conv';
import type { Conv2dOptions } from './conv';
import { TEST_BACKENDS, gradsOf, onBackend, randomArray, relErr, size, values } from './test-utils';

type Case = { name: string; x: [number, number, number, number]; w: [number, number, number, number]; o: Conv2dOptions };
const cases: Case[] = [
  { name: '3x3 s1 p1', x: [2, 5, 6, 3], w: [3, 3, 3, 4], o: { pad: 1 } },
  { name: '3x3 s2 p1 odd size', x: [1, 7, 5, 2], w: [3, 3, 2, 3], o: { stride: 2, pad: 1 } },
  { name: '7x7 s2 p3 stem', x: [1, 9, 11, 3], w: [7, 7, 3, 2], o: { stride: 2, pad: 3 } },
  { name: '1x1 s1', x: [2, 4, 5, 3], w: [1, 1, 3, 5], o: {} },
  { name: '1x1 s2 caffe-style', x: [2, 5, 7, 3], w: [1, 1, 3, 4], o: { stride: 2 } },
  { name: '3x3 s1 valid', x: [1, 6, 6, 2], w: [3, 3, 2, 2], o: {} },
  { name: '4x4 s2 p1 asymmetric rest', x: [1, 8, 7, 2], w: [4, 4, 2, 3], o: { stride: 2, pad: 1 } },
];
const dilated: Case[] = [
  { name: '3x3 d2 p2', x: [1, 7, 6, 2], w: [3, 3, 2, 3], o: { dilation: 2, pad: 2 } },
  { name: '3x3 d6 p6 (ASPP)', x: [2, 5, 4, 2], w: [3, 3, 2, 2], o: { dilation: 6, pad: 6 } },
  { name: '3x3 d4 p4 wide', x: [1, 9, 13, 2], w: [3, 3, 2, 2], o: { dilation: 4, pad: 4 } },
];

function tensors(c: Case): [tf.Tensor4D, tf.Tensor4D] {
  return [tf.tensor4d(randomArray(size(c.x), 1), c.x), tf.tensor4d(randomArray(size(c.w), 2), c.w)];
}

function builtinPadding(o: Conv2dOptions): 'valid' | [[0, 0], [number, number], [number, number], [0, 0]] {
  const p = typeof o.pad === 'number' ? o.pad : 0;
  return p ? [[0, 0], [p, p], [p, p], [0, 0]] : 'valid';
}

/** Reference from tfjs's own conv2d and its built-in gradients on the cpu backend. */
async function cpuReference(c: Case): Promise<{ y: Float32Array; dx: Float32Array; dw: Float32Array }> {
  return onBackend('cpu', async () => {
    const [x, w] = tensors(c);
    const f = (a: tf.Tensor, b: tf.Tensor) =>
      tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.o.stride ?? 1, builtinPadding(c.o), 'NHWC', 1);
    const y = await values(() => f(x, w));
    const [dx, dw] = await gradsOf(f, [x, w]);
    tf.dispose([x, w]);
    return { y, dx, dw };
  });
}

/** Exact finite differences: the probe loss sum(conv(x,w)·r) is linear in each of x and w. */
async function finiteDiff(f: (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor, c: Case, which: 0 | 1, idx: number[]): Promise<number[]> {
  const base = [randomArray(size(c.x), 1), randomArray(size(c.w), 2)];
  const loss = async (i: number, delta: number) => {
    const arrs = base.map((a) => a.slice());
    arrs[which][i] += delta;
    return (
      await values(() => {
        const y = f(tf.tensor4d(arrs[0], c.x), tf.tensor4d(arrs[1], c.w));
        return tf.sum(tf.mul(y, tf.tensor(randomArray(y.size, 99), y.shape)));
      })
    )[0];
  };
  const out: number[] = [];
  for (const i of idx) out.push((await loss(i, 0.5)) - (await loss(i, -0.5)));
  return out;
}

describe.each(TEST_BACKENDS)('conv2d with conv-based gradients on %s', (backend) => {
  it.each(cases)('$name: value and gradients match tfjs built-ins (cpu)', async (c) => {
    const ref = await cpuReference(c);
    await onBackend(backend, async () => {
      const [x, w] = tensors(c);
      const f = (a: tf.Tensor, b: tf.Tensor) => conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.o);
      const y = await values(() => f(x, w));
      expect(relErr(y, ref.y)).toBeLessThan(1e-5);
      const [dx, dw] = await gradsOf(f, [x, w]);
      expect(relErr(dx, ref.dx)).toBeLessThan(1e-5);
      expect(relErr(dw, ref.dw)).toBeLessThan(1e-5);
      tf.dispose([x, w]);
    });
  });

  it.each(dilated)('$name: dilated conv and its atrous form match finite differences', async (c) => {
    await onBackend(backend, async () => {
      const [x, w] = tensors(c);
      const d = c.o.dilation ?? 1;
      const p = c.o.pad as number;
      const direct = (a: tf.Tensor, b: tf.Tensor) => conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.o);
      const atrous = (a: tf.Tensor, b: tf.Tensor) => atrousConv2d(a as tf.Tensor4D, b as tf.Tensor4D, d, p);
      const builtin = await values(() => tf.conv2d(x, w, 1, builtinPadding(c.o), 'NHWC', d));
      const y1 = await values(() => direct(x, w));
      const y2 = await values(() => atrous(x, w));
      expect(relErr(y1, builtin)).toBeLessThan(1e-5);
      expect(relErr(y2, builtin)).toBeLessThan(1e-5);
      const [dx1, dw1] = await gradsOf(direct, [x, w]);
      const [dx2, dw2] = await gradsOf(atrous, [x, w]);
      expect(relErr(dx2, dx1)).toBeLessThan(1e-5);
      expect(relErr(dw2, dw1)).toBeLessThan(1e-5);
      const xi = [0, 3, size(c.x) - 1];
      const wi = [0, 5, size(c.w) - 1];
      const fdx = await finiteDiff(direct, c, 0, xi);
      const fdw = await finiteDiff(direct, c, 1, wi);
      xi.forEach((i, k) => expect(dx1[i]).toBeCloseTo(fdx[k], 3));
      wi.forEach((i, k) => expect(dw1[i]).toBeCloseTo(fdw[k], 3));
      tf.dispose([x, w]);
    });
  });

  it('leaks no tensors across filter-only gradient steps', async () => {
    await onBackend(backend, async () => {
      const c = cases[1];
      const [x, w] = tensors(c);
      const v = tf.variable(w);
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) {
        const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(conv2d(x, v, c.o))) as tf.Scalar, [v]);
        tf.dispose([value, grads[v.name]]);
      }
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, w, v]);
    });
  });
});

describe('convOutSize', () => {
  it('follows PyTorch floor rounding', () => {
    expect(convOutSize(512, 7, 2, 3, 3, 1)).toBe(256);
    expect(convOutSize(7, 3, 2, 1, 1, 1)).toBe(4);
    expect(convOutSize(65, 3, 1, 6, 6, 6)).toBe(65);
  });
});

// Regression: zeroUpsample (every stride-2 conv's input gradient) used one pad of a rank-6 view, which
// tfjs-webgpu 4.22 cannot compile; Dawn logged a validation error and the gradient came back as zeros.
describe.each(TEST_BACKENDS)('zeroUpsample on %s', (backend) => {
  it.each([2, 3])('stride %i: each pixel lands on (i·s, j·s) of a zero canvas, exactly', async (s) => {
    await onBackend(backend, async () => {
      const shape: [number, number, number, number] = [2, 3, 5, 4];
      const src = randomArray(size(shape), 7);
      const x = tf.tensor4d(src, shape);
      const y = zeroUpsample(x, s);
      expect(y.shape).toEqual([2, 3 * s, 5 * s, 4]);
      const got = await readData(y);
      const want = new Float32Array(y.size);
      for (let n = 0; n < 2; n++)
        for (let i = 0; i < 3; i++)
          for (let j = 0; j < 5; j++)
            for (let c = 0; c < 4; c++) want[((n * 3 * s + i * s) * 5 * s + j * s) * 4 + c] = src[((n * 3 + i) * 5 + j) * 4 + c];
      expect(Array.from(got)).toEqual(Array.from(want));
      if (backend !== 'webgpu') {
        // The old rank-6 formulation, bit for bit, where it ran correctly.
        const old = tf.reshape(tf.pad(tf.reshape(x, [2, 3, 1, 5, 1, 4]), [[0, 0], [0, 0], [0, s - 1], [0, 0], [0, s - 1], [0, 0]]), y.shape);
        expect(Array.from(await readData(old))).toEqual(Array.from(got));
        old.dispose();
      }
      tf.dispose([x, y]);
    });
  });
});
