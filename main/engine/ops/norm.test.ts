import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { batchNormEval, batchNormTrain, groupNorm, updatedRunningStats } from './index';
import { readData } from '../read';
import { TEST_BACKENDS, gradsOf, onBackend, randomArray, relErr, values } from './test-utils';

/** Batch norm written op by op (tfjs differentiates it itself): the reference for the closed form. */
function naiveBatchNorm(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const mu = tf.mean(x, [0, 1, 2]);
  const v = tf.mean(tf.square(tf.sub(x, mu)), [0, 1, 2]);
  return tf.add(tf.mul(tf.div(tf.sub(x, mu), tf.sqrt(tf.add(v, 1e-5))), g), b);
}

const shape: [number, number, number, number] = [2, 3, 4, 5];

describe.each(TEST_BACKENDS)('normalisation on %s', (backend) => {
  it('batchNormTrain: value, batch stats and closed-form gradients', async () => {
    await onBackend(backend, async () => {
      const x = tf.tensor4d(randomArray(120, 3).map((v) => 3 * v + 1), shape);
      const g = tf.tensor1d(randomArray(5, 4));
      const b = tf.tensor1d(randomArray(5, 5));
      const ours = (a: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => batchNormTrain(a as tf.Tensor4D, gg as tf.Tensor1D, bb as tf.Tensor1D).y;
      const y = await values(() => ours(x, g, b));
      const yRef = await values(() => naiveBatchNorm(x, g, b));
      expect(relErr(y, yRef)).toBeLessThan(1e-5);
      const got = await gradsOf(ours, [x, g, b]);
      const want = await gradsOf(naiveBatchNorm, [x, g, b]);
      got.forEach((gr, i) => expect(relErr(gr, want[i])).toBeLessThan(1e-4));
      // Finite differences on one input element (float32, so a loose tolerance).
      const x0 = await readData(x);
      const probe = async (delta: number) => {
        const arr = x0.slice();
        arr[7] += delta;
        return (
          await values(() => {
            const yy = ours(tf.tensor4d(arr, shape), g, b);
            return tf.sum(tf.mul(yy, tf.tensor(randomArray(yy.size, 99), yy.shape)));
          })
        )[0];
      };
      expect(got[0][7]).toBeCloseTo(((await probe(1e-2)) - (await probe(-1e-2))) / 2e-2, 2);
      const stats = [await values(() => batchNormTrain(x, g, b).mean), await values(() => batchNormTrain(x, g, b).variance)];
      expect(relErr(stats[0], await values(() => tf.moments(x, [0, 1, 2]).mean))).toBeLessThan(1e-5);
      expect(relErr(stats[1], await values(() => tf.moments(x, [0, 1, 2]).variance))).toBeLessThan(1e-5);
      tf.dispose([x, g, b]);
    });
  });

  it('running stats follow PyTorch (momentum 0.1, unbiased variance) and eval mode uses them', async () => {
    await onBackend(backend, async () => {
      const stats = () => updatedRunningStats(tf.tensor1d([0, 1]), tf.tensor1d([1, 2]), tf.tensor1d([2, 4]), tf.tensor1d([3, 6]), 4);
      const out = [await values(() => stats().mean), await values(() => stats().variance)];
      expect(Array.from(out[0])).toEqual([0.2, 1.3].map((v) => Math.fround(v)));
      expect(out[1][0]).toBeCloseTo(0.9 + 0.1 * 4, 6);
      expect(out[1][1]).toBeCloseTo(1.8 + 0.1 * 8, 6);
      const y = await values(() =>
        batchNormEval(tf.tensor4d([1, 2, 3, 4], [1, 2, 1, 2]), tf.tensor1d([2, 1]), tf.tensor1d([0, 1]), tf.tensor1d([1, 2]), tf.tensor1d([4, 1])),
      );
      const s0 = 2 / Math.sqrt(4 + 1e-5);
      const s1 = 1 / Math.sqrt(1 + 1e-5);
      expect(Array.from(y).map((v) => +v.toFixed(5))).toEqual([0, 1, 2 * s0, 2 * s1 + 1].map((v) => +v.toFixed(5)));
    });
  });

  it('groupNorm normalises each (sample, group) and differentiates', async () => {
    await onBackend(backend, async () => {
      const x = tf.tensor4d(randomArray(2 * 3 * 3 * 4, 7), [2, 3, 3, 4]);
      const g = tf.ones([4]) as tf.Tensor1D;
      const b = tf.zeros([4]) as tf.Tensor1D;
      const y = await values(() => groupNorm(x, g, b, 2));
      // Sample 1, group 1 = channels 2..3 over all 9 pixels: zero mean, unit (biased) variance.
      const vals = Array.from({ length: 9 }, (_, p) => [y[(9 + p) * 4 + 2], y[(9 + p) * 4 + 3]]).flat();
      const mean = vals.reduce((a, v) => a + v, 0) / vals.length;
      const variance = vals.reduce((a, v) => a + (v - mean) ** 2, 0) / vals.length;
      expect(mean).toBeCloseTo(0, 5);
      expect(variance).toBeCloseTo(1, 3);
      const [dx] = await gradsOf((a) => groupNorm(a as tf.Tensor4D, g, b, 2), [x]);
      const x0 = await readData(x);
      const probe = async (delta: number) => {
        const arr = x0.slice();
        arr[5] += delta;
        return (
          await values(() => {
            const yy = groupNorm(tf.tensor4d(arr, [2, 3, 3, 4]), g, b, 2);
            return tf.sum(tf.mul(yy, tf.tensor(randomArray(yy.size, 99), yy.shape)));
          })
        )[0];
      };
      expect(dx[5]).toBeCloseTo(((await probe(1e-2)) - (await probe(-1e-2))) / 2e-2, 2);
      tf.dispose([x, g, b]);
    });
  });
});
