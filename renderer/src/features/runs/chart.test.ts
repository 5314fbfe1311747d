import { describe, expect, it } from 'vitest';
import { alignSeries, formatEta, SERIES_COLORS, smooth } from './chart';
import { contrastRatio } from '../../lib/contrast';

describe('chart series', () => {
  it('smooths with a debiased moving average and passes raw values through at 0', () => {
    expect(smooth([1, 2, 3], 0)).toEqual([1, 2, 3]);
    const s = smooth([2, 2, 2], 0.9) as number[];
    for (const v of s) expect(v).toBeCloseTo(2, 10); // debiased: a constant stays constant from the first point
    expect(smooth([1, null, 3], 0.5)).toEqual([1, null, (0.25 + 1.5) / 0.75]);
  });
  it('aligns terms and mIoU on the union of iterations, in percent, and drops what a log axis cannot show', () => {
    const s = alignSeries({ sce: [{ x: 1, y: 2 }, { x: 3, y: 0 }], reg: [{ x: 2, y: 8 }] }, [{ x: 3, y: 0.25 }], { smoothing: 0, log: true });
    expect(s.x).toEqual([1, 2, 3]);
    expect(s.losses).toEqual([
      { name: 'reg', y: [null, 8, null] },
      { name: 'sce', y: [2, null, null] },
    ]);
    expect(s.miou).toEqual([null, null, 25]);
    expect(alignSeries({ sce: [{ x: 3, y: 0 }] }, [], { smoothing: 0, log: false }).losses[0].y).toEqual([0]);
  });
  it('uses distinct series colours readable on the dark panel', () => {
    expect(new Set(SERIES_COLORS).size).toBe(SERIES_COLORS.length);
    const hex = (c: string) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)) as [number, number, number];
    for (const c of SERIES_COLORS) expect(contrastRatio(hex(c), [0x1f, 0x22, 0x28])).toBeGreaterThanOrEqual(4.5);
  });
  it('formats ETAs', () => {
    expect(formatEta(75)).toBe('1 min 15 s');
    expect(formatEta(null)).toBe('–');
  });
});

describe('run series', () => {
  it('merges recorded metrics and live progress by iteration', async () => {
    const { chartFrom } = await import('./run-series');
    const detail = {
      summary: { iterations: 20 },
      metrics: [
        { iteration: 1, time: '', losses: { sce: 2 } },
        { iteration: 2, time: '', losses: { sce: 1.5 }, val: 0.3 },
      ],
    } as unknown as Parameters<typeof chartFrom>[0];
    const p = (iteration: number, sce: number) =>
      ({ runId: 'r', stage: 'stage1', iteration, iterations: 20, losses: { sce }, lr: 0, itPerSec: 1, etaSec: 1, memory: { rssMb: 0, heapMb: 0, numTensors: null }, val: null, time: '' }) as const;
    const d = chartFrom(detail, [p(2, 9), p(3, 1.2)]);
    expect(d.losses.sce).toEqual([{ x: 1, y: 2 }, { x: 2, y: 1.5 }, { x: 3, y: 1.2 }]);
    expect(d.miou).toEqual([{ x: 2, y: 0.3 }]);
    expect(d.iterations).toBe(20);
  });
});
