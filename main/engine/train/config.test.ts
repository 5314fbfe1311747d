import { describe, expect, it } from 'vitest';
import { demoConfig, PRODA_DEFAULTS, scaledTimeConstants } from './config';

describe('ProDA config', () => {
  it('carries the reference defaults', () => {
    const d = PRODA_DEFAULTS;
    expect([d.optim.momentum, d.optim.weightDecay, d.optim.polyPower, d.optim.maxIterations, d.optim.iterations]).toEqual([0.9, 2e-4, 0.9, 90000, 62412]);
    expect([d.stage1.rceAlpha, d.stage1.rceBeta, d.stage1.regularW, d.stage1.protoConsistW]).toEqual([0.1, 1, 0.1, 10]);
    expect([d.stage1.protoMomentum, d.stage1.emaDecay, d.stage1.trainThred, d.stage1.lr]).toEqual([1e-4, 0.999, 0, 1e-4]);
    expect([d.distill.threshold, d.distill.lr, d.distill.kdStudent]).toEqual([0.95, 6e-4, 'log_softmax']);
    expect([d.warmup.lr, d.warmup.lrD, d.warmup.adv]).toEqual([2.5e-4, 1e-4, 0.01]);
    expect(d.aug.translateXScale).toBe('width');
  });

  it('scales the EMA decay and prototype momentum so a short run sees as many time constants', () => {
    const same = scaledTimeConstants(PRODA_DEFAULTS, 62412, 4);
    expect(same.emaDecay).toBeCloseTo(0.999, 12);
    expect(same.protoMomentum).toBeCloseTo(1e-4, 12);
    const s = scaledTimeConstants(PRODA_DEFAULTS, 600, 2);
    // T(1−α) fixed: 62412·0.001 = 600·(1−α')
    expect(600 * (1 - s.emaDecay)).toBeCloseTo(62412 * 0.001, 9);
    // T·B·m fixed
    expect(600 * 2 * s.protoMomentum).toBeCloseTo(62412 * 4 * 1e-4, 9);
    // tiny runs clamp to plain copies / full replacement rather than leaving the valid range
    const t = scaledTimeConstants(PRODA_DEFAULTS, 10, 1);
    expect(t.emaDecay).toBe(0);
    expect(t.protoMomentum).toBe(1);
    const demo = demoConfig(19, 600, 2);
    expect(demo.stage1.emaDecay).toBeCloseTo(s.emaDecay, 12);
    expect(demo.optim.maxIterations).toBe(Math.round((600 * 90000) / 62412));
    expect(() => scaledTimeConstants(PRODA_DEFAULTS, 0, 1)).toThrow(/must be > 0/);
  });
});
