import { describe, expect, it } from 'vitest';
import { LagMonitor } from './event-loop-lag';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const block = (ms: number) => {
  const t = performance.now();
  while (performance.now() - t < ms);
};

describe('LagMonitor', () => {
  it('sees a synchronous block as lag of about its length, and a reset starts a new window', async () => {
    const m = new LagMonitor(10);
    try {
      await sleep(60);
      m.read(true);
      block(150);
      await sleep(40);
      const blocked = m.read(true);
      expect(blocked.samples).toBeGreaterThan(0);
      // The tick that waited behind the block ran ~150 ms late (less whatever of its interval had passed).
      expect(blocked.maxMs).toBeGreaterThanOrEqual(130);
      expect(blocked.windowMs).toBeGreaterThanOrEqual(180);
      await sleep(80);
      const after = m.read();
      // A new window: the earlier block is not in it.
      expect(after.maxMs).toBeLessThan(blocked.maxMs);
      expect(after.windowMs).toBeLessThan(blocked.windowMs);
      expect(after.resolutionMs).toBe(10);
    } finally {
      m.dispose();
    }
  });

  it('reports zeros, not the histogram\'s sentinels, before any tick', () => {
    const m = new LagMonitor(10);
    try {
      const r = m.read();
      expect(r.samples).toBe(0);
      expect([r.meanMs, r.p50Ms, r.p95Ms, r.maxMs]).toEqual([0, 0, 0, 0]);
    } finally {
      m.dispose();
    }
  });
});
