import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../backend';
import type { SegNetConfig } from '../nets';
import { randomArray } from '../ops/test-utils';
import { DataParallel } from './data-parallel';
import { averagePacked, pack, splitBatch, unpack } from './protocol';
import type { HostBatch } from './protocol';
import { SegTask } from './seg-task';
import type { SegTaskInit } from './seg-task';

const config: SegNetConfig = {
  backbone: 'resnet-narrow',
  backboneSpec: { block: 'basic', layers: [1, 1, 1, 1], widths: [4, 8, 8, 8], stem: 4 },
  numClasses: 3,
  head: { width: 8, gnGroups: 2, dilations: [1, 2, 3, 4] },
};

function batch(seed: number): HostBatch {
  const n = 4;
  const image = randomArray(n * 24 * 32 * 3, seed).map((v) => (v + 1) / 2);
  const label = Int32Array.from(randomArray(n * 24 * 32, seed + 1), (v, i) => (i % 17 === 0 ? 250 : Math.floor((v + 1) * 1.5)));
  return { image: { shape: [n, 24, 32, 3], data: image }, label: { shape: [n, 24, 32], data: label } };
}

describe('protocol', () => {
  it('splits batches, packs and averages named arrays', () => {
    const b = batch(1);
    const [a, c] = splitBatch(b, 2);
    expect(a.image.shape).toEqual([2, 24, 32, 3]);
    expect(Array.from(c.label.data.slice(0, 5))).toEqual(Array.from(b.label.data.slice(2 * 768, 2 * 768 + 5)));
    expect(splitBatch({ x: { shape: [5, 1], data: new Float32Array(5) } }, 2).map((s) => s.x.shape[0])).toEqual([3, 2]);
    const p1 = pack({ w: { shape: [2], data: Float32Array.of(1, 2) }, b: { shape: [1], data: Float32Array.of(3) } });
    const p2 = pack({ w: { shape: [2], data: Float32Array.of(3, 4) }, b: { shape: [1], data: Float32Array.of(5) } });
    const avg = unpack(averagePacked([p1, p2]));
    expect(Array.from(avg.w.data)).toEqual([2, 3]);
    expect(Array.from(avg.b.data)).toEqual([4]);
  });
});

describe('DataParallel on two wasm workers', () => {
  it('matches the same averaged-gradient step computed in one process, and replicas stay identical', async () => {
    const init: SegTaskInit = { config, seed: 7, lr: 0.05, headLrScale: 10, dropoutSeed: 3 };
    const dp = await DataParallel.create({ taskUrl: new URL('./seg-task.ts', import.meta.url).href, init, workers: 2, backend: 'wasm' });
    try {
      expect(dp.backends).toEqual(['wasm', 'wasm']);
      const batches = [batch(10), batch(20)];
      const losses: number[] = [];
      for (const b of batches) losses.push((await dp.step(splitBatch(b, 2))).loss);

      await initBackend('wasm');
      // Two in-process replicas fed the same shards: the reference the workers must reproduce.
      const replicas = [new SegTask(), new SegTask()];
      replicas.forEach((r) => r.init(init));
      const local = replicas[0];
      const localLosses: number[] = [];
      for (const [step, b] of batches.entries()) {
        const shards = splitBatch(b, 2);
        const rs = [await replicas[0].grads(shards[0], step), await replicas[1].grads(shards[1], step)];
        localLosses.push((rs[0].losses.loss + rs[1].losses.loss) / 2);
        const g = averagePacked(rs.map((r) => r.grads));
        const bufs = averagePacked(rs.map((r) => r.buffers));
        replicas.forEach((r) => r.apply(g, bufs, step));
      }
      losses.forEach((l, i) => expect(l).toBeCloseTo(localLosses[i], 6));
      expect(losses[1]).not.toBe(losses[0]);

      const [w0, w1] = [await dp.weights(0), await dp.weights(1)];
      const mine = await local.weights();
      for (const k of Object.keys(mine)) {
        expect(Array.from(w1[k].data), k).toEqual(Array.from(w0[k].data));
        const maxDiff = mine[k].data.reduce((m, v, i) => Math.max(m, Math.abs(v - w0[k].data[i])), 0);
        expect(maxDiff, k).toBeLessThan(1e-6);
      }
      replicas.forEach((r) => r.dispose());
      expect(tf.getBackend()).toBe('wasm');
    } finally {
      await dp.close();
    }
  });
});

describe('DataParallel start-up failure', () => {
  it('rejects with the worker error and leaves no worker running', async () => {
    const init = { config: { backbone: 'no-such-net', numClasses: 3 }, seed: 1, lr: 0.1 };
    await expect(
      DataParallel.create({ taskUrl: new URL('./seg-task.ts', import.meta.url).href, init, workers: 2, backend: 'wasm' }),
    ).rejects.toThrow(/unknown backbone 'no-such-net'/);
  });
});
