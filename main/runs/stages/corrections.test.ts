// Hand corrections as distillation targets: the merge keeps the pseudo-label except on touched pixels, the
// weighted CE counts a corrected pixel `weight` times, and a real run trains on them and records which it used.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { makeDemo, openDataset } from '../../datasets';
import { crossEntropy, weightedCrossEntropy } from '../../engine/proda/losses';
import { LabelStore } from '../../labels/store';
import { forkLauncher, resolveRunEntry } from '../launcher';
import { readMetrics, readReport } from '../../artifacts/records';
import { runDir, runPaths } from '../../artifacts/layout';
import { summarize } from '../catalogue';
import { RunSupervisor } from '../supervisor';
import { toDatasetRef } from '../dataset-refs';
import type { RunConfigInput } from '../../../shared/runs-config';
import { correctedTarget, withCorrectedSlots } from './label-sources';

describe('correctedTarget', () => {
  const pseudo = { width: 4, height: 2, data: Uint8Array.from([1, 1, 250, 3, 1, 1, 250, 3]) };
  const c = {
    width: 4, height: 2, labels: Uint8Array.from([5, 1, 7, 250, 0, 0, 0, 0]), touched: Uint8Array.from([1, 1, 1, 1, 0, 0, 0, 0]),
    touchedPixels: 4, seq: 1, generation: 0, updatedAt: '',
  };
  it('changes exactly the touched pixels, and marks the ones whose weight is not 1', () => {
    const m = correctedTarget(pseudo, c, 3);
    expect([...m.labels.data]).toEqual([5, 1, 7, 250, 1, 1, 250, 3]);
    // touched and labelled: weight 3; the touched ignore pixel learns nothing either way
    expect([...m.touched!.data]).toEqual([1, 1, 1, 0, 0, 0, 0, 0]);
    expect(correctedTarget(pseudo, c, 1).touched).toBeNull();
    expect(correctedTarget(pseudo, undefined, 1).labels).toBe(pseudo);
    expect([...correctedTarget(pseudo, undefined, 2).touched!.data]).toEqual(new Array(8).fill(0));
  });
});

describe('withCorrectedSlots', () => {
  const batch = [7, 3, 9, 1];
  it('gives the last perBatch slots to corrected images, the same ones for the same seed and iteration', () => {
    const a = withCorrectedSlots(batch, [20, 21, 22], 2, 5, 11);
    expect(a.slice(0, 2)).toEqual([7, 3]);
    expect(a.slice(2).every((i) => [20, 21, 22].includes(i))).toBe(true);
    expect(new Set(a.slice(2)).size).toBe(2);
    expect(withCorrectedSlots(batch, [20, 21, 22], 2, 5, 11)).toEqual(a);
  });
  it('visits every corrected image within an epoch of the corrected order', () => {
    const seen = new Set<number>();
    for (let it = 0; it < 5; it++) withCorrectedSlots(batch, [20, 21, 22, 23, 24], 1, 5, it).slice(3).forEach((i) => seen.add(i));
    expect([...seen].sort()).toEqual([20, 21, 22, 23, 24]);
  });
  it('leaves the batch alone with no corrections or perBatch 0, and never exceeds the batch', () => {
    expect(withCorrectedSlots(batch, [], 2, 5, 0)).toBe(batch);
    expect(withCorrectedSlots(batch, [20], 0, 5, 0)).toBe(batch);
    expect(withCorrectedSlots(batch, [20, 21], 9, 5, 0)).toHaveLength(4);
  });
});

describe('weightedCrossEntropy', () => {
  it('equals plain CE with unit weights and counts a weight-w pixel w times', () => {
    const logits = tf.tensor4d([0.2, 1, -1, 2, 0, 0.5, 0.1, 0.1, 0.3], [1, 1, 3, 3]);
    const labels = tf.tensor3d([1, 250, 2], [1, 1, 3], 'int32');
    const ones = tf.ones([1, 1, 3]) as tf.Tensor3D;
    const w = tf.tensor3d([3, 9, 1], [1, 1, 3]);
    const lsm = tf.logSoftmax(logits, -1).arraySync() as number[][][][];
    const plain = crossEntropy(logits, labels).dataSync()[0];
    expect(weightedCrossEntropy(logits, labels, ones).dataSync()[0]).toBeCloseTo(plain, 6);
    expect(weightedCrossEntropy(logits, labels, w).dataSync()[0]).toBeCloseTo(-(3 * lsm[0][0][0][1] + lsm[0][0][2][2]) / 2, 6);
    tf.dispose([logits, labels, ones, w]);
  });
});

describe('a distillation run with corrections (real engine, wasm, tiny demo)', () => {
  let ws: string;
  let sup: RunSupervisor;
  let data: string;
  const common = () => ({
    seed: 3,
    network: { arch: 'demo', classes: 19 },
    aug: { cropWidth: 48, cropHeight: 24, resizeBase: 64, resizeRange: [1, 1.25] as [number, number] },
    validation: { every: 0 },
  });
  const src = () => ({ root: data, format: 'demo' as const, split: 'source' });
  const tgt = () => ({ root: data, format: 'demo' as const, split: 'target-train' });
  const distill = (corrections?: { dataset: string; weight: number; perBatch?: number }, extra: Record<string, unknown> = {}): RunConfigInput => ({
    ...common(),
    stage: 'distill',
    teacher: 'w',
    labels: 'p',
    threshold: 0,
    source: src(),
    target: tgt(),
    optim: { iterations: 2, batchSize: 2, lr: 1e-3, polyHorizon: 10 },
    ...extra,
    ...(corrections ? { corrections } : {}),
  });
  let touched = 0;

  beforeAll(async () => {
    ws = await mkdtemp(path.join(os.tmpdir(), 'proda-corr-'));
    data = path.join(ws, 'demo');
    await makeDemo({ out: data, seed: 2, width: 64, height: 32, count: 3, valCount: 1 });
    sup = new RunSupervisor({ workspace: ws, launcher: forkLauncher(resolveRunEntry(), { ...process.env, PRODA_BACKEND: 'wasm' }) });
    const ok = async (cfg: RunConfigInput, id: string) => {
      await sup.start(cfg, id);
      const st = await sup.wait(id);
      expect(st.state, `${id}: ${st.message} ${st.logTail?.join('\n')}`).toBe('succeeded');
    };
    await ok({ ...common(), stage: 'warmup', source: src(), adversarialWeight: 0, freezeBn: false, optim: { iterations: 2, batchSize: 2, lr: 1e-2, polyHorizon: 10 } }, 'w');
    await ok({ seed: 3, stage: 'pseudo', mode: 'hard', model: 'w', target: tgt(), flip: false }, 'p');
    // Every target image gets its left half painted "sky" (10) by a person, so every batch holds corrected pixels.
    const ds = await openDataset(toDatasetRef({ ...tgt(), classSet: '19' }, 'target'), {});
    const store = new LabelStore(ws, { debounceMs: 0 });
    for (const e of await ds.list()) {
      const img = await store.get('tgt', e.id, async () => ({ raster: { width: 64, height: 32, data: new Uint8Array(64 * 32).fill(250) }, start: { source: 'layer', label: 'pred' } }));
      await img.step({ kind: 'edit', op: { tool: 'polygon', vertices: [[0, 0], [32, 0], [32, 32], [0, 32]], rule: 'evenodd', classId: 10 } });
      touched += 32 * 32;
    }
    await store.closeAll();
    await ok(distill(), 'plain');
    // perBatch 0 keeps the plain run's batches, so the first iterations can be compared term by term.
    await ok(distill({ dataset: 'tgt', weight: 2, perBatch: 0 }), 'corrected');
    await ok(distill(undefined, { strongAug: false, teacherBn: 'reestimate' }), 'weak');
    // threshold 1 ignores every pseudo-label: the target CE reduces over no pixel in every iteration
    await ok(distill(undefined, { threshold: 1 }), 'empty');
  }, 300_000);
  afterAll(async () => {
    await sup?.shutdown();
    await rm(ws, { recursive: true, force: true });
  });

  it('trains on the corrections and lists them in the report and the summary', async () => {
    const plain = (await readReport(runDir(ws, 'plain')))!;
    const corr = (await readReport(runDir(ws, 'corrected')))!;
    expect(plain.corrections).toBeUndefined();
    expect(corr.corrections?.map((u) => u.touchedPixels)).toEqual([1024, 1024, 1024]);
    expect(corr.corrections?.every((u) => /^[0-9a-f]{64}$/.test(u.sha256))).toBe(true);
    // First iteration, same seed, weights and batches: only the target labels and weights differ, so only the target CE does.
    const [p1, c1] = [(await readMetrics(runDir(ws, 'plain')))[0], (await readMetrics(runDir(ws, 'corrected')))[0]];
    expect(c1.losses!.source_ce).toBeCloseTo(p1.losses!.source_ce, 5);
    expect(c1.losses!.kd).toBeCloseTo(p1.losses!.kd, 5);
    expect(c1.losses!.target_ce).not.toBeCloseTo(p1.losses!.target_ce, 3);
    expect((await summarize(runDir(ws, 'corrected'))).corrected).toEqual({ images: 3, pixels: touched });
    expect((await summarize(runDir(ws, 'plain'))).corrected).toBeUndefined();
  });

  it('trains on the weak crop with strongAug off: no cutout or geometric padding leaves a pixel unlabelled', async () => {
    // threshold 0 keeps every pseudo-label, so only the strong view's ignore padding (cutout is always on) can drop pixels
    const strong = await readMetrics(runDir(ws, 'plain'));
    const weak = await readMetrics(runDir(ws, 'weak'));
    expect(strong.every((m) => m.losses!.labelled < 1)).toBe(true);
    expect(weak.map((m) => m.losses!.labelled)).toEqual(weak.map(() => 1));
  });

  it('counts the iterations whose target loss had no valid pixel and reports them in the run log', async () => {
    const log = (id: string) => readFile(runPaths(runDir(ws, id)).log, 'utf8');
    const empty = await log('empty');
    expect(empty).toMatch(/iteration 0: no valid target pixel for target CE/);
    expect(empty).toMatch(/iterations with no valid target pixel: target CE 2 of 2/);
    expect((await readMetrics(runDir(ws, 'empty'))).map((m) => m.losses!.target_ce)).toEqual([0, 0]);
    expect(await log('plain')).toMatch(/iterations with no valid target pixel: none/);
  });

  it('refuses corrections of images that are not in the target split', async () => {
    const store = new LabelStore(ws, { debounceMs: 0 });
    const img = await store.get('other', 'nope.png', async () => ({ raster: { width: 4, height: 4, data: new Uint8Array(16) }, start: { source: 'layer', label: 'pred' } }));
    await img.step({ kind: 'edit', op: { tool: 'fill', x: 0, y: 0, classId: 3 } });
    await store.closeAll();
    await sup.start(distill({ dataset: 'other', weight: 1 }), 'bad');
    const st = await sup.wait('bad');
    expect(st.state).toBe('failed');
    expect(`${st.message} ${st.logTail?.join('\n')}`).toMatch(/nope\.png.*not in the target split/);
  }, 60_000);
});
