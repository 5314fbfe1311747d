import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend';
import { prototypeDistances } from './distance';
import { structureKl } from './losses';
import type { ClassCentroids } from './prototypes';
import { accumulatePrototypeMean, classCentroids, createPrototypes, emaUpdatePrototypes } from './prototypes';

beforeAll(async () => {
  await initBackend('cpu');
});

const single = (k: number, v: number[], C = 2): ClassCentroids => {
  const vectors = new Float32Array(C * v.length);
  vectors.set(v, k * v.length);
  const pixels = new Int32Array(C);
  pixels[k] = 50;
  return { numImages: 1, numClasses: C, dim: v.length, vectors, pixels, minPixels: 10 };
};

describe('prototype bookkeeping', () => {
  it('running mean caps its count, after which it is an EMA with weight 1/(cap+1)', () => {
    const p = createPrototypes(2, 1);
    for (const v of [3, 6, 9]) accumulatePrototypeMean(p, single(0, [v]), 2);
    // (3) → mean(3,6) = 4.5, count capped at 2 → (4.5·2 + 9)/3 = 6
    expect(p.vectors[0]).toBeCloseTo(6, 6);
    expect(p.counts[0]).toBe(2);
    expect(p.counts[1]).toBe(0);
  });

  it('skips zero-sum vectors and classes under minPixels', () => {
    const p = createPrototypes(2, 2);
    emaUpdatePrototypes(p, single(1, [0, 0]), 0.5);
    expect(p.counts[1]).toBe(0);
    const sparse = single(0, [4, 4]);
    sparse.pixels[0] = 9;
    emaUpdatePrototypes(p, sparse, 0.5);
    expect([...p.vectors]).toEqual([0, 0, 0, 0]);
    emaUpdatePrototypes(p, single(0, [4, 2]), 0.5);
    expect([...p.vectors]).toEqual([2, 1, 0, 0]);
  });

  it('class centroids: mean feature over argmax pixels, ≥ minPixels, no leaks', async () => {
    // 1 image, 4×4, class 1 on the left 2 columns (8 px), class 0 on the right (8 px)
    const logits = tf.tensor4d(Array.from({ length: 16 }, (_, i) => ((i % 4) < 2 ? [0, 1] : [1, 0])).flat(), [1, 4, 4, 2]);
    const feat = tf.tensor4d(Array.from({ length: 16 }, (_, i) => [i, 1]).flat(), [1, 4, 4, 2]);
    const before = tf.memory().numTensors;
    const c8 = await classCentroids(feat, logits, 8);
    expect(tf.memory().numTensors).toBe(before);
    // left columns: i ∈ {0,1,4,5,8,9,12,13} → mean 6.5
    expect([...c8.vectors.subarray(2, 4)]).toEqual([6.5, 1]);
    expect([...c8.pixels]).toEqual([8, 8]);
    const c9 = await classCentroids(feat, logits, 9);
    expect([...c9.vectors]).toEqual([0, 0, 0, 0]);
    tf.dispose([logits, feat]);
  });

  it('distance gradient matches finite differences on wasm too, and the KL masks cut-out pixels', async () => {
    for (const backend of ['cpu', 'wasm'] as const) {
      await initBackend(backend);
      const protos = tf.tensor2d([0.3, -0.2, 1, 0.5, -1, 0.1], [3, 2]);
      const teacher = tf.tensor4d([1, 2, 3, 250, 250, 250, 0.5, 0.1, 2], [1, 1, 3, 3]);
      const f0 = [0.1, 0.4, -0.7, 0.2, 0.9, -0.3];
      const loss = (f: tf.Tensor): tf.Scalar => structureKl(teacher, prototypeDistances(f as tf.Tensor4D, protos));
      const before = tf.memory().numTensors;
      const g = tf.tidy(() => tf.grad(loss)(tf.tensor4d(f0, [1, 1, 3, 2])).dataSync());
      expect(tf.memory().numTensors).toBe(before);
      const h = 1e-2;
      for (let i = 0; i < f0.length; i++) {
        const at = (d: number) => tf.tidy(() => loss(tf.tensor4d(f0.map((v, j) => (j === i ? v + d : v)), [1, 1, 3, 2])).dataSync()[0]);
        const fd = (at(h) - at(-h)) / (2 * h);
        expect(g[i]).toBeCloseTo(fd, 3);
      }
      // pixel 1 is masked in the teacher: its feature gets no gradient
      expect(g[2]).toBe(0);
      expect(g[3]).toBe(0);
      tf.dispose([protos, teacher]);
    }
    await initBackend('cpu');
  });
});
