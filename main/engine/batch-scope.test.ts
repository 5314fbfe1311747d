import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { liveTensors, withTensors } from './batch-scope';

describe('withTensors', () => {
  it('frees the batch after the step, when the step throws, and when building it throws halfway', async () => {
    await tf.setBackend('cpu');
    const before = liveTensors();
    const sum = await withTensors(
      () => ({ a: tf.ones([2, 2]), b: undefined, c: tf.tidy(() => tf.add(tf.ones([3]), 1)) }),
      async (t) => [...(await t.a.data()), ...(await t.c.data())].reduce((x, y) => x + y, 0),
    );
    expect(sum).toBe(10);
    await expect(withTensors(() => ({ a: tf.ones([4]) }), async () => Promise.reject(new Error('step failed')))).rejects.toThrow('step failed');
    await expect(
      withTensors(
        () => {
          tf.ones([5]);
          throw new Error('bad batch');
        },
        async () => 0,
      ),
    ).rejects.toThrow('bad batch');
    expect(liveTensors()).toBe(before);
  });
});
