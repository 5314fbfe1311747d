import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { closeViolation, fixture, jsonFixture, mismatches, packWeights, scalarFixture, unpackWeights, updateViolation } from '../../../fixtures/parity/proda_fixtures';
import { STRONG_ALIGN_REFERENCE } from '../aug/align';
import type { StrongOp } from '../aug/strong';
import { initBackend } from '../backend';
import { TEST_BACKENDS } from '../ops/test-utils';
import type { TestBackend } from '../ops/test-utils';
import { Discriminator, SegNet } from '../nets';
import type { SegNetConfig } from '../nets';
import { Adam } from '../optim/adam';
import { Sgd } from '../optim/sgd';
import { distillStep } from './distill';
import { warmupStep } from './warmup';

// The toy DeepLabv2 of proda_reference.py (STAGE1): bottleneck [1,1,1,1], widths 4/8/8/8, head width 8.
const toy: SegNetConfig = {
  backbone: 'resnet-narrow',
  backboneSpec: { block: 'bottleneck', layers: [1, 1, 1, 1], widths: [4, 8, 8, 8], stem: 8 },
  numClasses: 5,
  head: { width: 8, gnGroups: 4, dilations: [2, 4, 6, 8] },
};

interface Packed {
  keys: string[];
  shapes: number[][];
  lr: number;
}

const load = (c: string, a: string, dtype: 'float32' | 'int32' = 'float32'): tf.Tensor => {
  const f = fixture(c, a);
  return tf.tensor(f.data, f.shape, dtype);
};

function refOps(strong: Record<string, (number | boolean | number[])[]>, n: number): StrongOp[] {
  const ops: StrongOp[] = [];
  if (strong.Hflip[n] === true) ops.push({ op: 'Hflip' });
  for (const k of ['ShearX', 'ShearY', 'TranslateX', 'TranslateY', 'Rotate'] as const) {
    const v = strong[k][n] as number;
    if (v !== 1e4) ops.push({ op: k, v });
  }
  const c = strong.CutoutAbs[n] as number[];
  ops.push({ op: 'CutoutAbs', x0: c[0], y0: c[1], x1: c[2], y1: c[3] });
  return ops;
}

async function warmupParity(backend: TestBackend): Promise<void> {
  await initBackend(backend);
  const J = jsonFixture<Packed & { d_keys: string[]; d_shapes: number[][]; lr_d: number; adv: number }>('warmup');
  const net = new SegNet(toy);
  net.setWeights(unpackWeights(net, 'warmup', 'init', J.keys, J.shapes));
  const D = new Discriminator(5, { planes: 4 });
  D.setWeights(unpackWeights(D, 'warmup', 'd_init', J.d_keys, J.d_shapes));
  const batch = { source: load('warmup', 'src') as tf.Tensor4D, sourceLabels: load('warmup', 'src_labels', 'int32') as tf.Tensor3D, target: load('warmup', 'tgt') as tf.Tensor4D };
  const state = { net, discriminator: D, optimizer: new Sgd(), optimizerD: new Adam() };
  const r = await warmupStep(state, batch, {
    iteration: 0,
    polyHorizon: 100,
    polyPower: 0.9,
    lr: J.lr,
    discriminatorLr: J.lr_d,
    adversarialWeight: J.adv,
    freezeBn: true,
    seed: 1,
    dropout: false,
  });
  expect(closeViolation([r.sourceCe], [scalarFixture('warmup', 'loss_seg')])).toBe(0);
  expect(closeViolation([r.advG], [scalarFixture('warmup', 'loss_adv')])).toBe(0);
  expect(closeViolation([r.discriminator], [scalarFixture('warmup', 'loss_d')])).toBe(0);
  expect(updateViolation(await packWeights(net, J.keys), fixture('warmup', 'after').data, fixture('warmup', 'init').data)).toBe(0);
  expect(updateViolation(await packWeights(D, J.d_keys), fixture('warmup', 'd_after').data, fixture('warmup', 'd_init').data)).toBe(0);
  tf.dispose([batch.source, batch.sourceLabels, batch.target]);
  net.dispose();
  D.dispose();
  state.optimizer.dispose();
  state.optimizerD.dispose();
}

async function distillParity(backend: TestBackend): Promise<void> {
  await initBackend(backend);
  const J = jsonFixture<Packed & { strong: Record<string, (number | boolean | number[])[]> }>('distill');
  const teacher = new SegNet(toy);
  teacher.setWeights(unpackWeights(teacher, 'distill', 'teacher', J.keys, J.shapes));
  const strongOps = [0, 1].map((n) => refOps(J.strong, n));
  const batch = {
    source: load('distill', 'src') as tf.Tensor4D,
    sourceLabels: load('distill', 'src_labels', 'int32') as tf.Tensor3D,
    targetStrong: load('distill', 'tgt_strong') as tf.Tensor4D,
    pseudoLabels: load('distill', 'labels_weak', 'int32') as tf.Tensor3D,
    strongOps,
  };
  for (const [variant, kdStudent] of [
    ['fixed', 'log_softmax'],
    ['bug', 'softmax-reference-bug'],
  ] as const) {
    const student = new SegNet(toy);
    student.setWeights(unpackWeights(student, 'distill', 'init', J.keys, J.shapes));
    const optimizer = new Sgd();
    const r = await distillStep({ student, teacher, optimizer }, batch, {
      iteration: 0,
      polyHorizon: 100,
      polyPower: 0.9,
      lr: J.lr,
      weight: 1,
      kdStudent,
      align: STRONG_ALIGN_REFERENCE,
      seed: 1,
      dropout: false,
    });
    expect(closeViolation([r.sourceCe], [scalarFixture('distill', `loss_src_${variant}`)])).toBe(0);
    expect(closeViolation([r.targetCe], [scalarFixture('distill', `loss_ce_${variant}`)])).toBe(0);
    expect(closeViolation([r.kd], [scalarFixture('distill', `loss_kd_${variant}`)])).toBe(0);
    expect(updateViolation(await packWeights(student, J.keys), fixture('distill', `after_${variant}`).data, fixture('distill', 'init').data)).toBe(0);
    const strongLabels = fixture('distill', 'labels_strong').data;
    let labelled = 0;
    for (const v of strongLabels) if (v !== 250) labelled++;
    expect(r.labelledFraction).toBeCloseTo(labelled / strongLabels.length, 6);
    student.dispose();
    optimizer.dispose();
  }
  expect(mismatches(await packWeights(teacher, J.keys), fixture('distill', 'teacher').data)).toBe(0);
  tf.dispose([batch.source, batch.sourceLabels, batch.targetStrong, batch.pseudoLabels]);
  teacher.dispose();
}

describe.each(TEST_BACKENDS)('warm-up and distillation steps vs the PyTorch reference on %s', (backend) => {
  afterAll(async () => {
    await initBackend('cpu');
  });
  it('warm-up step (freeze_bn, 1×/10× SGD, LS-GAN, Adam D)', async () => {
    await warmupParity(backend);
  }, 300_000);
  it('distillation step (both KD variants)', async () => {
    await distillParity(backend);
  }, 300_000);
});
