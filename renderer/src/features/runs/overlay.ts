// Several runs on one chart: one metric (a loss term, or validation mIoU in percent) per run, on a
// shared x axis of iterations or of wall-clock seconds since each run's first recorded point. Each run
// keeps its own smoothing; uPlot bridges the gaps the union of x values leaves.
import type { ResponseOf } from '../../../../shared/contract/index';
import { smooth } from './chart';

type Metric = ResponseOf<'runs.get'>['metrics'][number];

export const VAL_MIOU = 'val mIoU';
export type XAxis = 'iteration' | 'wall';

export interface OverlayRun {
  id: string;
  label: string;
  metrics: readonly Metric[];
}

export interface OverlaySeries {
  x: number[];
  series: { id: string; label: string; y: (number | null)[] }[];
}

/** The metrics the runs recorded: every loss term by name, then validation mIoU where any run has it. */
export function overlayMetrics(runs: readonly OverlayRun[]): string[] {
  const terms = new Set<string>();
  let val = false;
  for (const r of runs) {
    for (const m of r.metrics) {
      for (const k of Object.keys(m.losses ?? {})) terms.add(k);
      if (m.val !== undefined) val = true;
    }
  }
  return [...[...terms].sort(), ...(val ? [VAL_MIOU] : [])];
}

function valueOf(m: Metric, metric: string): number | null {
  const v = metric === VAL_MIOU ? (m.val === undefined ? undefined : m.val * 100) : m.losses?.[metric];
  return v !== undefined && Number.isFinite(v) ? v : null;
}

export function overlaySeries(runs: readonly OverlayRun[], metric: string, opts: { xAxis: XAxis; smoothing: number; log: boolean }): OverlaySeries {
  const perRun = runs.map((r) => {
    const t0 = r.metrics.length ? Date.parse(r.metrics[0].time) : 0;
    const pts = r.metrics
      .map((m) => ({ x: opts.xAxis === 'iteration' ? m.iteration : (Date.parse(m.time) - t0) / 1000, y: valueOf(m, metric) }))
      .filter((p): p is { x: number; y: number } => p.y !== null && Number.isFinite(p.x))
      .sort((a, b) => a.x - b.x);
    // mIoU is a few evaluations: smoothing it would invent values.
    const ys = metric === VAL_MIOU ? pts.map((p) => p.y) : smooth(pts.map((p) => p.y), opts.smoothing);
    return { run: r, pts: pts.map((p, i) => ({ x: p.x, y: ys[i] })) };
  });
  const x = [...new Set(perRun.flatMap((r) => r.pts.map((p) => p.x)))].sort((a, b) => a - b);
  const at = new Map(x.map((v, i) => [v, i]));
  return {
    x,
    series: perRun.map(({ run, pts }) => {
      const y = new Array<number | null>(x.length).fill(null);
      for (const p of pts) y[at.get(p.x)!] = p.y === null || (opts.log && p.y <= 0) ? null : p.y;
      return { id: run.id, label: run.label, y };
    }),
  };
}

/** A config value as one short line for the diff table. */
export function formatConfigValue(v: unknown): string {
  if (v === undefined) return '(absent)';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}…` : s;
}
