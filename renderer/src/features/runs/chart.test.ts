import { describe, expect, it } from 'vitest';
import { extent, formatEta, linePath, smooth } from './chart';

describe('chart geometry', () => {
  it('maps points into the box with y up and breaks on gaps', () => {
    const d = linePath([{ x: 0, y: 0 }, { x: 5, y: 10 }, { x: 6, y: NaN }, { x: 10, y: 5 }], { min: 0, max: 10 }, { min: 0, max: 10 }, 100, 50);
    expect(d).toBe('M0.0,50.0L50.0,0.0M100.0,25.0');
  });
  it('pads extents and handles flat or empty series', () => {
    expect(extent([0, 10], 0.1)).toEqual({ min: -1, max: 11 });
    expect(extent([3, 3], 0)).toEqual({ min: 2.5, max: 3.5 });
    expect(extent([])).toEqual({ min: 0, max: 1 });
  });
  it('smooths and formats', () => {
    expect(smooth([1, 2, 3], 0.5)).toEqual([1, 1.5, 2.25]);
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
