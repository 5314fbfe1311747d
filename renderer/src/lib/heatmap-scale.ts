// Value ranges for heatmaps. Distances have long tails (a few far-off pixels), so the default range is
// robust: it clips at percentiles instead of the raw min/max, and the legend says so.
export interface ValueRange {
  min: number;
  max: number;
}

/**
 * Percentiles (0..100) of the finite values, from an evenly strided sample of at most 65,536 values:
 * exact for small maps, and immune to the coarse bins a histogram gets when a few outliers stretch it.
 */
export function percentileRange(values: ArrayLike<number>, lowPct = 2, highPct = 98): ValueRange {
  const cap = 65536;
  const stride = Math.max(1, Math.ceil(values.length / cap));
  const sample: number[] = [];
  for (let i = 0; i < values.length; i += stride) if (Number.isFinite(values[i])) sample.push(values[i]);
  if (sample.length === 0) return { min: 0, max: 1 };
  const sorted = Float64Array.from(sample).sort();
  const at = (pct: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.round((pct / 100) * (sorted.length - 1))))];
  const lo = at(lowPct);
  const hi = at(highPct);
  if (hi > lo) return { min: lo, max: hi };
  const min = sorted[0];
  const max = sorted[sorted.length - 1];
  return max > min ? { min, max } : { min, max: min + 1 };
}

/** Maps a value to 0..255 along the range; non-finite values → -1 (drawn transparent). */
export function scaleIndex(v: number, range: ValueRange): number {
  if (!Number.isFinite(v)) return -1;
  const t = (v - range.min) / (range.max - range.min);
  return t <= 0 ? 0 : t >= 1 ? 255 : Math.round(t * 255);
}

/** Evenly spaced legend ticks with labels formatted to the range's magnitude. */
export function legendTicks(range: ValueRange, count = 5): { t: number; value: number; label: string }[] {
  const span = range.max - range.min;
  const digits = span >= 100 ? 0 : span >= 10 ? 1 : span >= 1 ? 2 : 3;
  return Array.from({ length: count }, (_, i) => {
    const t = count === 1 ? 0 : i / (count - 1);
    const value = range.min + t * span;
    return { t, value, label: value.toFixed(digits) };
  });
}
