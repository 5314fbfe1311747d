import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { closeViolation, fixture, jsonFixture, packWeights, scalarFixture, unpackWeights, updateViolation } from '../../../fixtures/parity/proda_fixtures';
import { STRONG_ALIGN_REFERENCE } from '../aug/align';
import type { StrongOp } from '../aug/strong';
import type { WeakParams } from '../aug/weak';
import { initBackend } from '../backend';
import { TEST_BACKENDS } from '../ops/test-utils';
import type { TestBackend } from '../ops/test-utils';
import { SegNet } from '../nets';
import { Sgd } from '../optim/sgd';
import { createPrototypes } from '../proda/prototypes';
import { stage1Step } from './stage1';

interface Stage1Json {
  weak: { RandomSized: number[][]; RandomCrop: number[][]; RandomHorizontallyFlip: boolean[] };
  strong: Record<string, (number | boolean | number[])[]>;
  net: { layers: [number, number, number, number]; widths: [number, number, number, number]; stem: number; width: number; groups: number; dilations: number[]; classes: number };
  opts: Record<string, number>;
  keys: string[];
  shapes: number[][];
}

const J = jsonFixture<Stage1Json>('stage1');

const tensor = (name: string, dtype: 'float32' | 'int32' = 'float32'): tf.Tensor => {
  const f = fixture('stage1', name);
  return tf.tensor(f.data, f.shape, dtype);
};

function weakParams(): WeakParams[] {
  const w = J.weak;
  return [0, 1].map((n) => ({
    resized: [w.RandomSized[0][n], w.RandomSized[1][n]],
    crop: [w.RandomCrop[0][n], w.RandomCrop[1][n], w.RandomCrop[2][n], w.RandomCrop[3][n]],
    flip: w.RandomHorizontallyFlip[n],
  }));
}

function strongOps(): StrongOp[][] {
  return [0, 1].map((n) => {
    const s = J.strong;
    const ops: StrongOp[] = [];
    if (s.Hflip[n] === true) ops.push({ op: 'Hflip' });
    for (const k of ['ShearX', 'ShearY', 'TranslateX', 'TranslateY', 'Rotate'] as const) {
      const v = s[k][n] as number;
      if (v !== 1e4) ops.push({ op: k, v });
    }
    const c = s.CutoutAbs[n] as number[];
    ops.push({ op: 'CutoutAbs', x0: c[0], y0: c[1], x1: c[2], y1: c[3] });
    return ops;
  });
}

const unpack = (net: SegNet, set: string) => unpackWeights(net, 'stage1', set, J.keys, J.shapes);
const flatten = (net: SegNet) => packWeights(net, J.keys);

async function runOnce(backend: TestBackend): Promise<void> {
  await initBackend(backend);
  expect(tf.getBackend()).toBe(backend);
  const c = J.net;
  const config = {
    backbone: 'resnet-narrow' as const,
    backboneSpec: { block: 'bottleneck' as const, layers: c.layers, widths: c.widths, stem: c.stem },
    numClasses: c.classes,
    head: { width: c.width, gnGroups: c.groups, dilations: c.dilations },
  };
  const student = new SegNet(config);
  const ema = new SegNet(config);
  student.setWeights(unpack(student, 'init'));
  ema.setWeights(unpack(ema, 'ema_init'));
  const protos = createPrototypes(c.classes, c.width);
  protos.vectors.set(fixture('stage1', 'protos0').data);
  const optimizer = new Sgd({ momentum: J.opts.momentum, weightDecay: J.opts.weight_decay });
  const batch = {
    source: tensor('src') as tf.Tensor4D,
    sourceLabels: tensor('src_labels', 'int32') as tf.Tensor3D,
    targetWeak: tensor('tgt_weak') as tf.Tensor4D,
    targetStrong: tensor('tgt_strong') as tf.Tensor4D,
    targetFull: tensor('full') as tf.Tensor4D,
    softPseudo: tensor('lpsoft') as tf.Tensor4D,
    weakParams: weakParams(),
    strongOps: strongOps(),
  };
  const before = tf.memory().numTensors;
  const losses = await stage1Step(
    { student, ema, prototypes: protos, optimizer },
    batch,
    {
      iteration: 0,
      polyHorizon: 100,
      lr: J.opts.lr,
      polyPower: 0.9,
      rceAlpha: J.opts.rce_alpha,
      rceBeta: J.opts.rce_beta,
      regularWeight: J.opts.regular_w,
      protoConsistWeight: J.opts.proto_consistW,
      protoTemperature: J.opts.proto_temperature,
      protoMomentum: J.opts.proto_momentum,
      emaDecay: J.opts.ema_decay,
      trainThreshold: 0,
      minPixels: 10,
      align: STRONG_ALIGN_REFERENCE,
      seed: 1,
      dropout: false,
    },
  );
  // the only new tensors are the optimiser's momentum buffers (one per trainable parameter)
  const trainable = [...student.params.values()].filter((v) => v.trainable).length;
  expect(tf.memory().numTensors - before).toBe(trainable);

  const scalar = (k: string): number => scalarFixture('stage1', k);
  expect(closeViolation([losses.sourceCe], [scalar('loss_src')])).toBe(0);
  expect(closeViolation([losses.sce], [scalar('loss_sce')])).toBe(0);
  expect(closeViolation([losses.ce], [scalar('loss_ce')])).toBe(0);
  expect(closeViolation([losses.rce], [scalar('loss_rce')])).toBe(0);
  expect(closeViolation([losses.regular], [scalar('loss_reg')])).toBe(0);
  expect(closeViolation([losses.structureKl], [scalar('loss_kl')])).toBe(0);
  expect(closeViolation([losses.total - losses.sourceCe], [scalar('loss_target')])).toBe(0);

  const init = fixture('stage1', 'init').data;
  const after = fixture('stage1', 'after').data;
  const got = await flatten(student);
  expect(updateViolation(got, after, init)).toBe(0);
  // the update itself (after − init), judged on its own scale: 1e-3 relative plus 1e-5 of the largest step
  const dRef = after.map((v, i) => v - init[i]);
  const dGot = got.map((v, i) => v - init[i]);
  expect(closeViolation(dGot, dRef, 1e-3, 1e-2)).toBe(0);
  expect(updateViolation(await flatten(ema), fixture('stage1', 'ema_after').data, fixture('stage1', 'ema_init').data)).toBe(0);
  expect(closeViolation(protos.vectors, fixture('stage1', 'protos1').data)).toBe(0);

  tf.dispose([batch.source, batch.sourceLabels, batch.targetWeak, batch.targetStrong, batch.targetFull, batch.softPseudo]);
  student.dispose();
  ema.dispose();
  optimizer.dispose();
}

describe.each(TEST_BACKENDS)('one full stage-1 step vs the PyTorch reference on %s', (backend) => {
  afterAll(async () => {
    await initBackend('cpu');
  });
  it('losses, updated student, EMA net and prototypes', async () => {
    await runOnce(backend);
  }, 300_000);
});
