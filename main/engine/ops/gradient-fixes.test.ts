import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { resizeBilinearAligned, stopGradient } from './index';
import { readData } from '../read';
import { TEST_BACKENDS, gradsOf, onBackend, randomArray, relErr, values } from './test-utils';

describe.each(TEST_BACKENDS)('gradient fixes on %s', (backend) => {
  it('resize-bilinear (align corners) gradient has the input shape on non-square maps and matches wasm/finite differences', async () => {
    const xShape: [number, number, number, number] = [1, 3, 5, 2];
    const f = (a: tf.Tensor) => resizeBilinearAligned(a as tf.Tensor4D, [7, 4]);
    const ref = await onBackend('wasm', async () => {
      const x = tf.tensor4d(randomArray(30, 11), xShape);
      const [g] = await gradsOf(f, [x]);
      x.dispose();
      return g;
    });
    await onBackend(backend, async () => {
      const x = tf.tensor4d(randomArray(30, 11), xShape);
      const [g] = await gradsOf(f, [x]);
      expect(g.length).toBe(30);
      expect(relErr(g, ref)).toBeLessThan(1e-5);
      // The map is linear in x: one exact finite difference.
      const x0 = await readData(x);
      const probe = async (delta: number) => {
        const arr = x0.slice();
        arr[9] += delta;
        return (
          await values(() => {
            const y = f(tf.tensor4d(arr, xShape));
            return tf.sum(tf.mul(y, tf.tensor(randomArray(y.size, 99), y.shape)));
          })
        )[0];
      };
      expect(g[9]).toBeCloseTo((await probe(0.5)) - (await probe(-0.5)), 4);
      const shape = tf.tidy(() => tf.grad((a: tf.Tensor) => tf.sum(f(a)))(x).shape);
      expect(shape).toEqual(xShape);
      x.dispose();
    });
  });

  it('comparison ops have zero gradients, so masks built from differentiated values do not break backprop', async () => {
    await onBackend(backend, async () => {
      const x = tf.tensor1d([-1, 0.5, 2, 3]);
      const g = await values(() =>
        tf.grad((a: tf.Tensor) => {
          const mask = tf.cast(tf.logicalAnd(tf.greater(a, 0), tf.lessEqual(a, 2)), 'float32');
          const eq = tf.cast(tf.notEqual(a, tf.scalar(3)), 'float32');
          return tf.sum(tf.mul(tf.mul(a, mask), eq));
        })(x),
      );
      expect(Array.from(g)).toEqual([0, 1, 1, 0]);
      x.dispose();
    });
  });

  it('stopGradient passes values and cuts the tape', async () => {
    await onBackend(backend, async () => {
      const x = tf.tensor1d([1, 2, 3]);
      const g = await values(() => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(a, stopGradient(tf.square(a)))))(x));
      expect(Array.from(g)).toEqual([1, 4, 9]);
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        stopGradient(x);
      });
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
    });
  });
});

describe.each(TEST_BACKENDS)('casts to float32 on %s', (backend) => {
  it('an int32 or bool tensor cast to float32 transposes like a float tensor (tfjs-webgpu relabels the int buffer)', async () => {
    // Large enough that webgpu computes on the device rather than handing small tensors to its CPU path.
    const shape: [number, number, number] = [2, 40, 30];
    const ints = Int32Array.from(randomArray(2400, 5), (v) => Math.round(v * 20));
    const want: number[] = [];
    for (let n = 0; n < 2; n++) for (let w = 0; w < 30; w++) for (let h = 0; h < 40; h++) want.push(ints[(n * 40 + h) * 30 + w]);
    await onBackend(backend, async () => {
      const fromInt = await values(() => tf.transpose(tf.add(tf.tensor3d(ints, shape, 'int32'), tf.scalar(0, 'int32')).toFloat(), [0, 2, 1]));
      expect(Array.from(fromInt)).toEqual(want);
      const fromBool = await values(() => tf.transpose(tf.greater(tf.tensor3d(ints, shape, 'int32'), tf.scalar(0, 'int32')).toFloat(), [0, 2, 1]));
      expect(Array.from(fromBool)).toEqual(want.map((v) => (v > 0 ? 1 : 0)));
    });
  });
});
