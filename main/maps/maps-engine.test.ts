import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classSets } from '../../shared/classes';
import type { DatasetRef } from '../../shared/datasets';
import type { Dataset } from '../datasets/types';
import { writeNpy } from '../io/npy';
import { encodeIndexPng } from '../io/png';
import { MapJobs } from './jobs';
import { MapsEngine, prototypePresence, resolveSource } from './maps-engine';
import { pseudoLayersMissing } from '../../shared/contract/maps';
import { MapsStore } from './maps-store';
import type { LabelLayer } from './compose';

// Two 16×8 images, 19 classes. Soft labels at 1/4 (4×2), hard labels and GT at full resolution.
const W = 16;
const H = 8;
const C = 19;
let dir: string;

function fakeDataset(gts: Record<string, Uint8Array>): Dataset {
  const ref: DatasetRef = { id: 'tgt', name: 'tgt', format: 'folder', root: '/nowhere', role: 'target', classSet: '19' };
  return {
    ref,
    classSet: classSets['19'],
    list: async () => Object.keys(gts).map((id) => ({ id: `${id}.png`, name: id, imagePath: `/nowhere/${id}.png`, labelPath: null })),
    readImage: async () => ({ width: W, height: H, data: new Uint8Array(W * H * 3) }),
    readLabel: async (id) => ({ width: W, height: H, data: gts[id.replace('.png', '')] }),
    encodedImage: async () => ({ mime: 'image/png', bytes: new Uint8Array() }),
    thumbnail: async () => ({ mime: 'image/png', bytes: new Uint8Array() }),
  };
}

const gtA = new Uint8Array(W * H).map((_, i) => ((i % W) < 8 ? 0 : 13));
const gtB = new Uint8Array(W * H).fill(13);
// Hard label of A is right; of B half the pixels (left) say road.
const hardA = gtA.slice();
const hardB = new Uint8Array(W * H).map((_, i) => ((i % W) < 8 ? 0 : 13));

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(path.join(tmpdir(), 'maps-engine-'));
  const soft = new Float32Array(C * 2 * 4).fill(0.01);
  for (let i = 0; i < 8; i++) soft[13 * 8 + i] = 0.8; // car everywhere
  await writeFile(path.join(dir, 'a.npy'), writeNpy({ dtype: 'float32', shape: [C, 2, 4], data: soft }));
  await writeFile(path.join(dir, 'a.png'), encodeIndexPng({ width: W, height: H, data: hardA }));
  await writeFile(path.join(dir, 'b.png'), encodeIndexPng({ width: W, height: H, data: hardB }));
  await writeFile(path.join(dir, 'b_conf.npy'), writeNpy({ dtype: 'float16', shape: [H, W], data: new Float32Array(W * H).fill(0.5) }));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function engine() {
  const ds = fakeDataset({ a: gtA, b: gtB });
  const src = await resolveSource(dir, { kind: 'artifacts', dir }, C);
  return new MapsEngine(new MapsStore(path.join(dir, 'cache', src.key)), src, { dataset: ds, list: await ds.list() }, 'tgt');
}

describe('MapsEngine on official artifacts', () => {
  it('reads soft, hard and conf maps and scores the hard label against GT', async () => {
    const e = await engine();
    const a = await e.image('a.png');
    expect(a.cached).toBe(false);
    expect(a.layers.map((l) => l.id).sort()).toEqual(['gt', 'hard', 'raw', 'soft']);
    const raw = a.layers.find((l) => l.id === 'raw') as LabelLayer;
    expect([raw.width, raw.height, raw.data[0]]).toEqual([4, 2, 13]);
    expect(a.stats.miou).toBe(1);
    expect(a.stats.meanConfidence).toBeCloseTo(0.8, 6);
    const again = await e.image('a.png');
    expect(again.cached).toBe(true);
    expect(again.stats).toEqual(a.stats);
    const b = await e.image('b.png');
    expect(b.layers.map((l) => l.id).sort()).toEqual(['conf', 'gt', 'hard']);
    // car: TP 64, FN 64 → 0.5; road: FP only → 0.
    expect(b.stats.classIou[13]).toBe(0.5);
    expect(b.stats.classIou[0]).toBe(0);
    expect(b.stats.miou).toBe(0.25);
  });

  it('answers the pixel inspector with every layer at the pixel', async () => {
    const e = await engine();
    const p = await e.pixel('b.png', 3, 1);
    expect(p.labels).toEqual({ gt: 13, hard: 0 });
    expect(p.scalars.conf).toBe(0.5);
    await expect(e.pixel('b.png', 99, 0)).rejects.toThrow(/outside the 16×8 image/);
  });

  it('builds the confusion matrix with the images behind each cell', async () => {
    const e = await engine();
    const jobs = new MapJobs();
    const job = jobs.start('c1');
    const seen: number[] = [];
    const r = await e.confusion(['a.png', 'b.png'], 5, job.check, (d) => seen.push(d));
    job.done();
    expect(seen).toEqual([1, 2]);
    expect(r.images).toBe(2);
    expect(r.matrix[13][0]).toBe(64);
    expect(r.topImages['13,0']).toEqual([{ imageId: 'b.png', pixels: 64 }]);
    expect(r.topImages['13,13'].map((x) => x.imageId)).toEqual(['a.png', 'b.png']);
  });

  it('stops a batch when its job is cancelled', async () => {
    const e = await engine();
    const jobs = new MapJobs();
    const job = jobs.start('s1');
    const out = e.stats(['a.png', 'b.png'], job.check, (done) => {
      if (done === 1) jobs.cancel('s1');
    });
    await expect(out).rejects.toMatchObject({ code: 'cancelled' });
    expect(() => jobs.start('s1')).toThrow(/already running/);
    job.done();
    // What was computed before the cancel is still served.
    const s = await e.stats(['a.png'], () => {}, () => {});
    expect(s[0].imageId).toBe('a.png');
  });

  it('says which images have soft pseudo-labels and why the others lack the pseudo-label layers', async () => {
    const e = await engine();
    expect(e.pseudoLabelled()).toEqual(['a.png']);
    const c = e.coverage();
    expect(c).toMatchObject({ from: dir, covered: 1, images: 2, prototypes: null });
    const a = await e.image('a.png');
    const b = await e.image('b.png');
    expect([a.hasPseudo, b.hasPseudo]).toEqual([true, false]);
    expect(pseudoLayersMissing(b.pseudo, b.hasPseudo)).toBe(`no pseudo-labels for this image: ${dir} covered 1 of 2 images`);
    expect(pseudoLayersMissing(a.pseudo, a.hasPseudo)).toMatch(/has no prototypes: denoised labels and flips need them/);
    expect(pseudoLayersMissing({ ...c, prototypes: [true] }, true)).toBeNull();
    expect(pseudoLayersMissing({ ...c, from: null, covered: 0 }, false)).toMatch(/no pseudo-label run with soft labels/);
  });

  it('marks prototypes the EMA never set (all zero) as absent', () => {
    const data = new Float32Array(3 * 4);
    data.set([0.5, 0, 0, 0], 0);
    data.set([0, 0, 0, -1e-3], 8);
    expect(prototypePresence({ data, classes: 3, dims: 4 })).toEqual([true, false, true]);
    expect(prototypePresence(null)).toBeNull();
  });

  it('names the missing artifacts', async () => {
    const ds = fakeDataset({ a: gtA });
    const src = await resolveSource(dir, { kind: 'artifacts', dir: path.join(dir, 'nope') }, C).catch((err: Error) => err);
    expect(String(src)).toMatch(/cannot read the artifacts folder/);
    expect(ds.ref.id).toBe('tgt');
  });
});
