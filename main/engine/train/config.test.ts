import { describe, expect, it } from 'vitest';
import { PRODA_DEFAULTS } from './config';

describe('ProDA config', () => {
  it('carries the reference defaults', () => {
    const d = PRODA_DEFAULTS;
    expect([d.optim.momentum, d.optim.weightDecay, d.optim.polyPower, d.optim.polyHorizon, d.optim.iterations]).toEqual([0.9, 2e-4, 0.9, 90000, 62412]);
    expect([d.stage1.rceAlpha, d.stage1.rceBeta, d.stage1.regularWeight, d.stage1.protoConsistWeight]).toEqual([0.1, 1, 0.1, 10]);
    expect([d.stage1.protoMomentum, d.stage1.emaDecay, d.stage1.trainThreshold, d.stage1.lr]).toEqual([1e-4, 0.999, 0, 1e-4]);
    expect([d.distill.threshold, d.distill.lr, d.distill.kdStudent]).toEqual([0.95, 6e-4, 'log_softmax']);
    expect([d.warmup.lr, d.warmup.discriminatorLr, d.warmup.adversarialWeight]).toEqual([2.5e-4, 1e-4, 0.01]);
    expect(d.aug.translateXScale).toBe('width');
  });
});
