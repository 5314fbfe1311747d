import { describe, expect, it } from 'vitest';
import { busyReason, fmtStats, idleProbe, ratio, stats } from './method';

describe('benchmark method', () => {
  it('reports min and median of every sample, even-length medians averaged', () => {
    expect(stats([30, 10, 20])).toEqual({ min: 10, median: 20, n: 3 });
    expect(stats([4, 1, 3, 2])).toEqual({ min: 1, median: 2.5, n: 4 });
    expect(stats([])).toBeUndefined();
    expect(fmtStats(stats([1500, 1200]))).toBe('1200 ms / 1350 ms');
  });

  it('withholds ratios when the load average before the run or an idle probe shows other work', () => {
    expect(busyReason({ before: [0.2, 0.3, 0.4], probes: [0.05, 0.1] })).toBeNull();
    expect(busyReason({ before: [1.7, 0.3, 0.4], probes: [] })).toMatch(/load average 1.70 > 0.5/);
    expect(busyReason({ before: [0.1, 0.3, 0.4], probes: [0.1, 0.9] })).toMatch(/0.90 cores/);
    const a = stats([200, 210]);
    const b = stats([100, 100]);
    expect(ratio(a, b, null, false)).toBe('2.05×');
    expect(ratio(a, b, 'busy', false)).toBe('withheld (busy)');
    expect(ratio(a, b, 'busy', true)).toBe('2.05× (busy, forced)');
    expect(ratio(a, undefined, null, false)).toBe('–');
  });

  it.skipIf(process.platform !== 'linux')('sees another process burning a core during an idle probe', async () => {
    const { Worker } = await import('node:worker_threads');
    const burner = new Worker('const end = Date.now() + 1500; while (Date.now() < end) {}', { eval: true });
    try {
      await new Promise((r) => setTimeout(r, 100));
      const busy = await idleProbe(700);
      expect(busy).not.toBeNull();
      expect(busy as number).toBeGreaterThan(0.5);
    } finally {
      await burner.terminate();
    }
  });
});
