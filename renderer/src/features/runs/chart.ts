// Line-chart geometry for live loss and mIoU curves: data → SVG path strings, no chart library.
export interface Point {
  x: number;
  y: number;
}

export interface Extent {
  min: number;
  max: number;
}

export function extent(values: readonly number[], pad = 0.05): Extent {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return { min: 0, max: 1 };
  let min = Math.min(...finite);
  let max = Math.max(...finite);
  if (max === min) {
    min -= 0.5;
    max += 0.5;
  }
  const p = (max - min) * pad;
  return { min: min - p, max: max + p };
}

/** An SVG path through the points in a w×h box (y up); non-finite points break the line. */
export function linePath(points: readonly Point[], xs: Extent, ys: Extent, w: number, h: number): string {
  const sx = (x: number) => ((x - xs.min) / (xs.max - xs.min || 1)) * w;
  const sy = (y: number) => h - ((y - ys.min) / (ys.max - ys.min || 1)) * h;
  let d = '';
  let pen = false;
  for (const p of points) {
    if (!Number.isFinite(p.y)) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`;
    pen = true;
  }
  return d;
}

/** Exponential moving average, for a readable loss curve over noisy iterations. */
export function smooth(values: readonly number[], alpha = 0.3): number[] {
  const out: number[] = [];
  let acc: number | null = null;
  for (const v of values) {
    acc = acc === null ? v : alpha * v + (1 - alpha) * acc;
    out.push(acc);
  }
  return out;
}

export function formatEta(sec: number | null): string {
  if (sec === null || !Number.isFinite(sec)) return '–';
  if (sec < 60) return `${Math.round(sec)} s`;
  if (sec < 3600) return `${Math.floor(sec / 60)} min ${Math.round(sec % 60)} s`;
  return `${Math.floor(sec / 3600)} h ${Math.round((sec % 3600) / 60)} min`;
}
