import { describe, expect, it } from 'vitest';
import { formatConfigValue, overlayMetrics, overlaySeries, VAL_MIOU } from './overlay';

const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
const a = {
  id: 'a',
  label: 'run A',
  metrics: [
    { iteration: 1, time: t(10), losses: { ce: 2 } },
    { iteration: 2, time: t(12), losses: { ce: 1 }, val: 0.25 },
  ],
};
const b = {
  id: 'b',
  label: 'b',
  metrics: [
    { iteration: 2, time: t(100), losses: { ce: 3, reg: 0 } },
    { iteration: 4, time: t(101), losses: { ce: 2, reg: 8 } },
  ],
};

describe('overlay of runs', () => {
  it('lists every loss term, then validation mIoU where a run has it', () => {
    expect(overlayMetrics([a, b])).toEqual(['ce', 'reg', VAL_MIOU]);
    expect(overlayMetrics([b])).toEqual(['ce', 'reg']);
  });

  it('aligns runs on the union of their iterations, one series per run', () => {
    const s = overlaySeries([a, b], 'ce', { xAxis: 'iteration', smoothing: 0, log: false });
    expect(s.x).toEqual([1, 2, 4]);
    expect(s.series).toEqual([
      { id: 'a', label: 'run A', y: [2, 1, null] },
      { id: 'b', label: 'b', y: [null, 3, 2] },
    ]);
  });

  it('puts wall-clock seconds since each run started on the x axis', () => {
    const s = overlaySeries([a, b], 'ce', { xAxis: 'wall', smoothing: 0, log: false });
    expect(s.x).toEqual([0, 1, 2]);
    expect(s.series[0].y).toEqual([2, null, 1]);
    expect(s.series[1].y).toEqual([3, 2, null]);
  });

  it('shows mIoU in percent, unsmoothed, and leaves non-positive values off a log axis', () => {
    expect(overlaySeries([a], VAL_MIOU, { xAxis: 'iteration', smoothing: 0.9, log: false }).series[0].y).toEqual([25]);
    expect(overlaySeries([b], 'reg', { xAxis: 'iteration', smoothing: 0, log: true }).series[0].y).toEqual([null, 8]);
  });

  it('formats config values in one short line', () => {
    expect(formatConfigValue(undefined)).toBe('(absent)');
    expect(formatConfigValue('x')).toBe('x');
    expect(formatConfigValue({ lr: 0.001 })).toBe('{"lr":0.001}');
    expect(formatConfigValue('y'.repeat(100))).toHaveLength(78);
  });
});
