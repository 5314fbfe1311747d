import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STRONG_ALIGN_DEFAULTS } from '../aug/align';
import { Rng } from '../aug/rng';
import { sampleStrongOps } from '../aug/strong';
import { sampleWeakParams } from '../aug/weak';
import { initBackend } from '../backend';
import { Discriminator, SegNet } from '../nets';
import type { SegNetConfig } from '../nets';
import { Adam } from '../optim/adam';
import { Sgd } from '../optim/sgd';
import { createPrototypes } from '../proda/prototypes';
import { PRODA_DEFAULTS } from './config';
import { ClassBalancedThresholds, distillStep, thresholdPseudoLabels } from './distill';
import { selfTrainStep } from './selftrain';
import { stage1Apply, stage1Gradients, stage1Step } from './stage1';
import type { Stage1Options } from './stage1';
import { warmupStep } from './warmup';

const C = 4;
const tiny: SegNetConfig = {
  backbone: 'resnet-narrow',
  backboneSpec: { block: 'basic', layers: [1, 1, 1, 1], widths: [4, 4, 8, 8], stem: 4 },
  numClasses: C,
  head: { width: 8, gnGroups: 2, dilations: [1, 2, 3, 4] },
};

// The cpu backend is covered by the parity tests; wasm (the training backend here) is several times faster.
beforeAll(async () => {
  await initBackend('wasm');
});

afterAll(async () => {
  await initBackend('cpu');
});

function batchTensors(seed: number) {
  const rng = new Rng(seed);
  const u = (shape: number[]) => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => rng.random()), shape);
  const labels = tf.tensor(
    Int32Array.from({ length: 2 * 32 * 48 }, () => (rng.random() < 0.1 ? 250 : rng.randint(0, C - 1))),
    [2, 32, 48],
    'int32',
  ) as tf.Tensor3D;
  return { u, labels, rng };
}

function stage1Inputs(seed: number) {
  const { u, labels, rng } = batchTensors(seed);
  const weakParams = [0, 1].map(() => sampleWeakParams(rng, 96, 48, { resize: 96, cropWidth: 48, cropHeight: 32 }));
  const strongOps = [0, 1].map(() => sampleStrongOps(rng, 48, 32));
  const soft = tf.tidy(() => tf.softmax(tf.mul(u([2, 8, 12, C]), 4), -1)) as tf.Tensor4D;
  return {
    source: u([2, 32, 48, 3]) as tf.Tensor4D,
    sourceLabels: labels,
    targetWeak: u([2, 32, 48, 3]) as tf.Tensor4D,
    targetStrong: u([2, 32, 48, 3]) as tf.Tensor4D,
    targetFull: u([2, 48, 96, 3]) as tf.Tensor4D,
    softPseudo: soft,
    weakParams,
    strongOps,
  };
}

const s1 = PRODA_DEFAULTS.stage1;
const stage1Opts = (iteration: number): Stage1Options => ({
  ...s1,
  lr: 0.01,
  iteration,
  polyHorizon: 100,
  polyPower: 0.9,
  protoMomentum: 0.05,
  emaDecay: 0.9,
  align: STRONG_ALIGN_DEFAULTS,
  seed: 5,
  dropout: true,
});

async function runStage1(steps: number) {
  const student = new SegNet(tiny, { seed: 3 });
  const ema = new SegNet(tiny, { seed: 3 });
  const prototypes = createPrototypes(C, 8);
  prototypes.vectors.set(Float32Array.from({ length: C * 8 }, (_, i) => Math.sin(i)));
  const optimizer = new Sgd();
  const counts: number[] = [];
  const losses = [];
  for (let i = 0; i < steps; i++) {
    const b = stage1Inputs(100 + i);
    const before = tf.memory().numTensors;
    losses.push(await stage1Step({ student, ema, prototypes, optimizer }, b, stage1Opts(i)));
    counts.push(tf.memory().numTensors - before);
    tf.dispose([b.source, b.sourceLabels, b.targetWeak, b.targetStrong, b.targetFull, b.softPseudo]);
  }
  const weights = await student.getWeights();
  const protos = prototypes.vectors.slice();
  student.dispose();
  ema.dispose();
  optimizer.dispose();
  return { losses, counts, weights, protos };
}

describe('training steps (tiny net, wasm)', () => {
  it('stage1Step: deterministic from seeds, numTensors flat after the first step, prototypes move, γ1 = 0 skips the KL', async () => {
    const a = await runStage1(5);
    const b = await runStage1(2);
    expect(b.losses).toEqual(a.losses.slice(0, 2));
    // step 1 creates the momentum buffers; later steps create nothing
    expect(a.counts.slice(1)).toEqual([0, 0, 0, 0]);
    for (const l of a.losses) {
      expect(Number.isFinite(l.total)).toBe(true);
      expect(l.structureKl).toBeGreaterThan(0);
      expect(l.total).toBeCloseTo(l.sourceCe + l.sce + 0.1 * l.regular + 10 * l.structureKl, 4);
      // train_thred 0 ignores no rectified pixel; the strong view keeps some (pixel, class) elements in view
      expect(l.validTargetPixels).toBe(2 * 8 * 12);
      expect(l.klElements).toBeGreaterThan(0);
    }
    expect([...b.protos].some((v, i) => Math.abs(v - Math.sin(i)) > 1e-4)).toBe(true);
    const student = new SegNet(tiny, { seed: 3 });
    const ema = new SegNet(tiny, { seed: 3 });
    const b0 = stage1Inputs(200);
    const off = await stage1Step({ student, ema, prototypes: createPrototypes(C, 8), optimizer: new Sgd() }, b0, { ...stage1Opts(0), protoConsistWeight: 0 });
    expect(off.structureKl).toBe(0);
    expect(off.klElements).toBeNull();
    // train_thred above every normalised max: no valid rectified pixel, SCE is 0 (torch: NaN) and is counted as such
    const none = await stage1Step({ student, ema, prototypes: createPrototypes(C, 8), optimizer: new Sgd() }, b0, { ...stage1Opts(0), trainThreshold: 1.01 });
    expect(none.validTargetPixels).toBe(0);
    expect(none.sce).toBe(0);
    expect(off.total).toBeCloseTo(off.sourceCe + off.sce + 0.1 * off.regular, 4);
    tf.dispose([b0.source, b0.sourceLabels, b0.targetWeak, b0.targetStrong, b0.targetFull, b0.softPseudo]);
    student.dispose();
    ema.dispose();
  });

  it('stage1 in two halves: shard gradients averaged and applied on two replicas keep them identical', async () => {
    const replicas = [0, 1].map(() => {
      const student = new SegNet(tiny, { seed: 3 });
      const ema = new SegNet(tiny, { seed: 3 });
      const prototypes = createPrototypes(C, 8);
      prototypes.vectors.set(Float32Array.from({ length: C * 8 }, (_, i) => Math.cos(i)));
      return { student, ema, prototypes, optimizer: new Sgd() };
    });
    const b = stage1Inputs(300);
    const shard = (n: number) => ({
      source: tf.slice(b.source, n, 1),
      sourceLabels: tf.slice(b.sourceLabels, n, 1),
      targetWeak: tf.slice(b.targetWeak, n, 1),
      targetStrong: tf.slice(b.targetStrong, n, 1),
      targetFull: tf.slice(b.targetFull, n, 1),
      softPseudo: tf.slice(b.softPseudo, n, 1),
      weakParams: [b.weakParams[n]],
      strongOps: [b.strongOps[n]],
    });
    const shards = [shard(0), shard(1)];
    const opts = { ...stage1Opts(0), dropout: false };
    const parts = [await stage1Gradients(replicas[0], shards[0], opts), await stage1Gradients(replicas[1], shards[1], opts)];
    const avg = tf.tidy(() => Object.fromEntries(Object.keys(parts[0].grads).map((k) => [k, tf.keep(tf.div(tf.add(parts[0].grads[k], parts[1].grads[k]), 2))])));
    const centroids = parts.map((p) => p.centroids);
    for (const r of replicas) stage1Apply(r, avg, centroids, opts);
    // BN running statistics came from different shards: align them as the data-parallel coordinator does (average)
    const w0 = await replicas[0].student.getWeights();
    const w1 = await replicas[1].student.getWeights();
    for (const k of Object.keys(w0)) {
      if (k.includes('running_')) continue;
      expect(w1[k].data).toEqual(w0[k].data);
    }
    expect(replicas[1].prototypes.vectors).toEqual(replicas[0].prototypes.vectors);
    expect(replicas[0].prototypes.vectors.some((v, i) => v !== Math.fround(Math.cos(i)))).toBe(true);
    for (const p of parts) for (const t of Object.values(p.grads)) t.dispose();
    tf.dispose(Object.values(avg));
    for (const s of shards) tf.dispose([s.source, s.sourceLabels, s.targetWeak, s.targetStrong, s.targetFull, s.softPseudo]);
    tf.dispose([b.source, b.sourceLabels, b.targetWeak, b.targetStrong, b.targetFull, b.softPseudo]);
    for (const r of replicas) {
      r.student.dispose();
      r.ema.dispose();
      r.optimizer.dispose();
    }
  });

  it('warmupStep: BN affine frozen, D trained by Adam, LS-GAN terms reported, no leaks', async () => {
    const net = new SegNet(tiny, { seed: 4 });
    const D = new Discriminator(C, { seed: 4, planes: 4 });
    const state = { net, discriminator: D, optimizer: new Sgd(), optimizerD: new Adam() };
    const bn0 = net.params.get('bn1.weight')!.dataSync().slice();
    const conv0 = net.params.get('conv1.weight')!.dataSync().slice();
    const d0 = D.params.get('conv1.weight')!.dataSync().slice();
    const { u, labels } = batchTensors(9);
    const src = u([2, 32, 48, 3]) as tf.Tensor4D;
    const tgt = u([2, 32, 48, 3]) as tf.Tensor4D;
    const opts = { iteration: 0, polyHorizon: 10, polyPower: 0.9, lr: 0.01, discriminatorLr: 1e-3, adversarialWeight: 0.01, freezeBn: true, seed: 1, dropout: true };
    const r = await warmupStep(state, { source: src, sourceLabels: labels, target: tgt }, opts);
    const before = tf.memory().numTensors;
    await warmupStep(state, { source: src, sourceLabels: labels, target: tgt }, { ...opts, iteration: 1 });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.discriminator).toBeGreaterThan(0);
    expect(r.advG).toBeGreaterThan(0);
    expect(Number.isFinite(r.sourceCe)).toBe(true);
    expect(net.params.get('bn1.weight')!.dataSync()).toEqual(bn0);
    expect(net.params.get('conv1.weight')!.dataSync()).not.toEqual(conv0);
    expect(D.params.get('conv1.weight')!.dataSync()).not.toEqual(d0);
    tf.dispose([src, tgt, labels]);
    net.dispose();
    D.dispose();
    state.optimizer.dispose();
    state.optimizerD.dispose();
  });

  it('distillStep: KD variants differ, ignored pixels carry no CE, teacher untouched', async () => {
    const student = new SegNet(tiny, { seed: 6 });
    const teacher = new SegNet(tiny, { seed: 7 });
    const t0 = teacher.params.get('layer5.head.1.weight')!.dataSync().slice();
    const { u, labels, rng } = batchTensors(11);
    const strongImg = u([2, 32, 48, 3]) as tf.Tensor4D;
    const src = u([2, 32, 48, 3]) as tf.Tensor4D;
    const allIgnored = tf.fill([2, 8, 12], 250, 'int32') as tf.Tensor3D;
    const strongOps = [0, 1].map(() => sampleStrongOps(rng, 48, 32));
    const base = { iteration: 0, polyHorizon: 10, polyPower: 0.9, lr: 0.001, weight: 1, align: STRONG_ALIGN_DEFAULTS, seed: 2, dropout: false };
    const snapshot = await student.getWeights();
    const runWith = async (kdStudent: 'log_softmax' | 'softmax-reference-bug') => {
      student.setWeights(snapshot);
      return distillStep(
        { student, teacher, optimizer: new Sgd() },
        { source: src, sourceLabels: labels, targetStrong: strongImg, pseudoLabels: allIgnored, strongOps },
        { ...base, kdStudent },
      );
    };
    const fixed = await runWith('log_softmax');
    const bug = await runWith('softmax-reference-bug');
    expect(fixed.targetCe).toBe(0);
    expect(fixed.labelledFraction).toBe(0);
    expect(fixed.kd).toBeGreaterThan(0);
    expect(bug.kd).not.toBeCloseTo(fixed.kd, 3);
    expect(fixed.sourceCe).toBeCloseTo(bug.sourceCe, 6);
    expect(teacher.params.get('layer5.head.1.weight')!.dataSync()).toEqual(t0);
    expect([...thresholdPseudoLabels([1, 2, 3], [0.95, 0.951, 0.2], 0.95)]).toEqual([250, 2, 250]);
    tf.dispose([strongImg, src, labels, allIgnored]);
    student.dispose();
    teacher.dispose();
  });

  it('class-balanced thresholds keep the same most confident fraction of every class', async () => {
    const acc = new ClassBalancedThresholds(3);
    // class 0: confident everywhere; class 1: hesitant (0.5..0.9); class 2: absent; 250 is skipped
    acc.add([0, 0, 0, 0, 1, 1, 1, 1, 250], [0.99, 0.98, 0.97, 0.96, 0.5, 0.6, 0.8, 0.9, 0.1]);
    const th = acc.thresholds(0.5, 0.95);
    // each class keeps its upper half, however confident the class is as a whole
    expect(th[0]).toBeLessThan(0.98);
    expect(th[0]).toBeGreaterThan(0.97);
    expect(th[1]).toBeLessThan(0.8);
    expect(th[1]).toBeGreaterThan(0.6);
    expect(th[2]).toBeCloseTo(0.95, 6);
    const kept = thresholdPseudoLabels([0, 0, 0, 1, 1, 1, 250], [0.99, 0.98, 0.97, 0.8, 0.9, 0.6, 1], th);
    expect([...kept]).toEqual([0, 0, 250, 1, 1, 250, 250]);
    // stride 2 samples pixels 0 and 2 only: class 0 is never seen (fallback), class 1 keeps everything from 0.1 up
    const strided = new ClassBalancedThresholds(2);
    strided.add([1, 0, 1, 0], [0.1, 0.99, 0.2, 0.99], 2);
    expect(strided.thresholds(1, 0.95)[0]).toBeCloseTo(0.95, 6);
    expect(strided.thresholds(1, 0.95)[1]).toBeCloseTo(0.1, 5);
  });

  it('selfTrainStep: thresholding controls the labelled fraction', async () => {
    const student = new SegNet(tiny, { seed: 8 });
    const { u, labels } = batchTensors(12);
    const src = u([2, 32, 48, 3]) as tf.Tensor4D;
    const tgt = u([2, 32, 48, 3]) as tf.Tensor4D;
    const opts = { iteration: 0, polyHorizon: 10, polyPower: 0.9, lr: 0.001, lrGroups: 'flat' as const, seed: 1, dropout: false };
    const none = await selfTrainStep({ student, labeller: student, optimizer: new Sgd() }, { source: src, sourceLabels: labels, target: tgt }, { ...opts, threshold: 1 });
    expect(none.labelledFraction).toBe(0);
    expect(none.targetCe).toBe(0);
    const all = await selfTrainStep({ student, labeller: student, optimizer: new Sgd() }, { source: src, sourceLabels: labels, target: tgt }, { ...opts, threshold: 0 });
    expect(all.labelledFraction).toBe(1);
    expect(all.targetCe).toBeGreaterThan(0);
    tf.dispose([src, tgt, labels]);
    student.dispose();
  });
});
