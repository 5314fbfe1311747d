import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeViolation, fixture } from '../../../fixtures/parity/proda_fixtures';
import { Adam } from './adam';
import { copyVariables, emaUpdate } from './ema';
import { isBackboneParam, lrScaleFor, polyLr } from './schedule';
import { Sgd } from './sgd';
import { initBackend } from '../backend';
import { TEST_BACKENDS } from '../ops/test-utils';
import { readData } from '../read';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const v = (f: { data: Float32Array | Int32Array; shape: number[] }, trainable = true): tf.Variable =>
  tf.tidy(() => tf.variable(tf.tensor(f.data, f.shape, 'float32'), trainable));

describe.each(TEST_BACKENDS)('optimisers vs torch.optim on %s', (backend) => {
  beforeAll(async () => {
    await initBackend(backend);
  });
  afterAll(async () => {
    await initBackend('cpu');
  });

  it('SGD momentum 0.9, weight decay 2e-4, poly LR: 3 steps match torch (weights and momentum buffer)', async () => {
    const w = v(fixture('optim', 'w0'));
    const params = new Map([['layer1.0.conv1.weight', w]]);
    const opt = new Sgd();
    for (let i = 0; i < 3; i++) {
      const g = fixture('optim', `grad${i}`);
      tf.tidy(() => opt.step(params, { 'layer1.0.conv1.weight': tf.tensor(g.data, g.shape) }, () => polyLr(0.01, i, 10, 0.9)));
    }
    expect(closeViolation(await readData(w), fixture('optim', 'sgd').data)).toBe(0);
    const state = await opt.exportState();
    expect(closeViolation(state['momentum_buffer.layer1.0.conv1.weight'].data, fixture('optim', 'sgd_buf').data)).toBe(0);
    expect(state['momentum_buffer.__iterations'].data[0]).toBe(3);
    // import into a fresh optimiser: the next step is identical
    const opt2 = new Sgd();
    opt2.importState(state);
    const w2 = tf.tidy(() => tf.variable(w.clone()));
    const g = tf.ones(w.shape);
    opt.step(params, { 'layer1.0.conv1.weight': g }, () => 0.01);
    opt2.step(new Map([['layer1.0.conv1.weight', w2]]), { 'layer1.0.conv1.weight': g }, () => 0.01);
    expect(closeViolation(await readData(w2), await readData(w), 0)).toBe(0);
    expect(opt2.iterations).toBe(4);
    tf.dispose([w, w2, g]);
    opt.dispose();
    opt2.dispose();
  });

  it('Adam β=(0.9, 0.99): 3 steps match torch', async () => {
    const w = v(fixture('optim', 'w0'));
    const opt = new Adam();
    for (let i = 0; i < 3; i++) {
      const g = fixture('optim', `grad${i}`);
      tf.tidy(() => opt.step({ d: w }, { d: tf.tensor(g.data, g.shape) }, () => 1e-2));
    }
    expect(closeViolation(await readData(w), fixture('optim', 'adam').data)).toBe(0);
    w.dispose();
    opt.dispose();
  });

  it('skips parameters without a gradient and frozen (non-trainable) ones; does not leak tensors', async () => {
    const a = tf.tidy(() => tf.variable(tf.ones([2])));
    const frozen = tf.tidy(() => tf.variable(tf.ones([2]), false));
    const opt = new Sgd();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) tf.tidy(() => opt.step({ a, frozen }, { frozen: tf.ones([2]) }, () => 0.1));
    expect([...(await readData(a))]).toEqual([1, 1]);
    expect([...(await readData(frozen))]).toEqual([1, 1]);
    const g = tf.ones([2]);
    opt.step({ a }, { a: g }, () => 0.1); // creates one momentum buffer
    g.dispose();
    expect(tf.memory().numTensors).toBe(before + 1);
    tf.dispose([a, frozen]);
    opt.dispose();
    expect(tf.memory().numTensors).toBe(before - 2);
  });
});

describe('schedule and groups', () => {
  it('poly LR', () => {
    expect(polyLr(1e-4, 0, 90000)).toBe(1e-4);
    expect(polyLr(1e-4, 62412, 90000)).toBeCloseTo(1e-4 * Math.pow(1 - 62412 / 90000, 0.9), 15);
    expect(polyLr(1, 62412, 90000)).toBeCloseTo(0.345, 3);
  });

  it('1×/10× groups per stage', () => {
    expect(isBackboneParam('layer3.22.conv2.weight')).toBe(true);
    expect(isBackboneParam('bn1.weight')).toBe(true);
    expect(isBackboneParam('layer5.conv0.weight')).toBe(false);
    expect(lrScaleFor('warmup', 'layer5.bottleneck.0.weight')).toBe(10);
    expect(lrScaleFor('distill', 'bn_pretrain.weight')).toBe(10);
    expect(lrScaleFor('distill', 'conv1.weight')).toBe(1);
    expect(lrScaleFor('stage1', 'layer5.bottleneck.0.weight')).toBe(1);
    // a config's explicit layout overrides the stage's reference one
    expect(lrScaleFor('flat', 'layer5.bottleneck.0.weight')).toBe(1);
    expect(lrScaleFor('backbone-1x-head-10x', 'layer5.bottleneck.0.weight')).toBe(10);
    expect(lrScaleFor('backbone-1x-head-10x', 'layer4.0.conv1.weight')).toBe(1);
  });
});

describe('EMA network update', () => {
  it('averages parameters, copies buffers', () => {
    const mk = (x: number, trainable: boolean): tf.Variable => tf.tidy(() => tf.variable(tf.fill([3], x), trainable));
    const ema = { w: mk(1, true), 'bn.running_mean': mk(5, false) };
    const st = { w: mk(3, true), 'bn.running_mean': mk(7, false) };
    emaUpdate(ema, st, 0.999);
    expect(ema.w.dataSync()[0]).toBeCloseTo(0.999 * 1 + 0.001 * 3, 6);
    expect(ema['bn.running_mean'].dataSync()[0]).toBe(7);
    copyVariables(ema, st);
    expect(ema.w.dataSync()[0]).toBe(3);
    expect(() => emaUpdate({ x: ema.w }, st, 0.5)).toThrow(/no parameter 'x'/);
    tf.dispose([...Object.values(ema), ...Object.values(st)]);
  });
});
