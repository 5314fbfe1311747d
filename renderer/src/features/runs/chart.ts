// Series for the run chart: a loss curve per term on one x axis (iterations), smoothed like TensorBoard
// (a debiased exponential moving average), with values a log axis cannot draw left out, and validation
// mIoU in percent on its own axis. uPlot draws; this decides what it is given.
export interface Point {
  x: number;
  y: number;
}

/**
 * Debiased exponential moving average (TensorBoard's smoothing): weight 0 = raw values, 0.99 = very
 * smooth. The debiasing keeps the first points from being pulled towards zero.
 */
export function smooth(values: readonly (number | null)[], weight: number): (number | null)[] {
  if (weight <= 0) return [...values];
  let acc = 0;
  let n = 0;
  return values.map((v) => {
    if (v === null || !Number.isFinite(v)) return null;
    acc = acc * weight + (1 - weight) * v;
    n++;
    return acc / (1 - weight ** n);
  });
}

export interface ChartSeries {
  /** Shared x values, ascending. */
  x: number[];
  /** One aligned series per loss term (null where the term has no point, or it cannot be drawn on a log axis). */
  losses: { name: string; y: (number | null)[] }[];
  /** Validation mIoU in percent, aligned to x; null where none was computed. */
  miou: (number | null)[] | null;
}

/** Aligns loss terms and validation mIoU on the union of their iterations. */
export function alignSeries(losses: Record<string, readonly Point[]>, miou: readonly Point[], opts: { smoothing: number; log: boolean }): ChartSeries {
  const xs = new Set<number>();
  for (const pts of Object.values(losses)) for (const p of pts) xs.add(p.x);
  for (const p of miou) xs.add(p.x);
  const x = [...xs].sort((a, b) => a - b);
  const at = new Map(x.map((v, i) => [v, i]));
  const aligned = (pts: readonly Point[]) => {
    const y: (number | null)[] = new Array<number | null>(x.length).fill(null);
    for (const p of pts) y[at.get(p.x)!] = Number.isFinite(p.y) ? p.y : null;
    return y;
  };
  const names = Object.keys(losses).sort();
  return {
    x,
    losses: names.map((name) => {
      // Smoothing runs over the term's own points, so gaps of other terms do not reset it.
      const own = losses[name];
      const sm = smooth(
        own.map((p) => p.y),
        opts.smoothing,
      );
      const y = aligned(own.map((p, i) => ({ x: p.x, y: sm[i] ?? NaN })));
      return { name, y: opts.log ? y.map((v) => (v !== null && v > 0 ? v : null)) : y };
    }),
    miou: miou.length ? aligned(miou.map((p) => ({ x: p.x, y: p.y * 100 }))) : null,
  };
}

/** Distinct colours, each at least 4.5:1 on the app's dark panels, for loss terms in name order. */
export const SERIES_COLORS = ['#6ea8ff', '#ffa657', '#56d364', '#e78ae6', '#39c5cf', '#f2cc60', '#ff7b72', '#b4bcff'];
export const MIOU_COLOR = '#ffffff';

export function formatEta(sec: number | null): string {
  if (sec === null || !Number.isFinite(sec)) return '–';
  if (sec < 60) return `${Math.round(sec)} s`;
  if (sec < 3600) return `${Math.floor(sec / 60)} min ${Math.round(sec % 60)} s`;
  return `${Math.floor(sec / 3600)} h ${Math.round((sec % 3600) / 60)} min`;
}
