// How long main's event loop is blocked: how late a repeating timer fires, past its own interval. It
// runs for the whole life of the process, so a desktop app or `npm run serve` can be asked at any time;
// a reader that wants one window (the lag benchmark, the e2e check) resets it when the window starts.
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import type { EventLoopLag } from '../../shared/contract/system';

/** Sampling interval: a block shorter than this can go unseen, so it is also the figure's precision. */
export const LAG_RESOLUTION_MS = 10;

/**
 * A repeating timer records how late each tick runs. Node's own monitorEventLoopDelay does the same in
 * C++, but its reset() drops the tick in flight, so a block that starts a window would go unseen; here the
 * previous tick's time survives a reset.
 */
export class LagMonitor {
  /** Lateness in microseconds (a recordable histogram takes integers ≥ 1). */
  private readonly histogram: RecordableHistogram = createHistogram();
  private readonly timer: NodeJS.Timeout;
  private since = performance.now();
  private last = this.since;

  constructor(readonly resolutionMs = LAG_RESOLUTION_MS) {
    this.timer = setInterval(() => {
      const now = performance.now();
      this.histogram.record(Math.max(1, Math.round((now - this.last - resolutionMs) * 1000)));
      this.last = now;
    }, resolutionMs);
    // A probe never keeps the process alive on its own.
    this.timer.unref();
  }

  /** The window since the last reset; `reset` starts a new one after reading. */
  read(reset = false): EventLoopLag {
    const h = this.histogram;
    const samples = h.count;
    // Recorded as ≥ 1 µs: anything that small is on time.
    const ms = (us: number) => (samples === 0 || us <= 1 ? 0 : us / 1000);
    const now = performance.now();
    const out: EventLoopLag = {
      windowMs: now - this.since,
      samples,
      resolutionMs: this.resolutionMs,
      meanMs: ms(h.mean),
      p50Ms: ms(h.percentile(50)),
      p95Ms: ms(h.percentile(95)),
      p99Ms: ms(h.percentile(99)),
      maxMs: ms(h.max),
    };
    if (reset) {
      h.reset();
      this.since = now;
    }
    return out;
  }

  dispose(): void {
    clearInterval(this.timer);
  }
}
