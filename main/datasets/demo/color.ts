// Colours as [r, g, b] in 0..1 and the HSV ranges the two domains draw them from.
import type { Rng } from './rng';

export type Rgb = [number, number, number];

/** h in degrees, s and v in 0..1. */
export function hsv(h: number, s: number, v: number): Rgb {
  const hh = (((h % 360) + 360) % 360) / 60;
  const i = Math.floor(hh);
  const f = hh - i;
  const p = v * (1 - s);
  const q = v * (1 - s * f);
  const t = v * (1 - s * (1 - f));
  switch (i) {
    case 0:
      return [v, t, p];
    case 1:
      return [q, v, p];
    case 2:
      return [p, v, t];
    case 3:
      return [p, q, v];
    case 4:
      return [t, p, v];
    default:
      return [v, p, q];
  }
}

/** A colour family: hue range (degrees) with saturation and value ranges. */
export interface HsvRange {
  h: [number, number];
  s: [number, number];
  v: [number, number];
}

export const sampleHsv = (rng: Rng, r: HsvRange): Rgb =>
  hsv(rng.uniform(r.h[0], r.h[1]), rng.uniform(r.s[0], r.s[1]), rng.uniform(r.v[0], r.v[1]));

/** Picks one family by weight, then a colour in it. */
export function sampleFamily(rng: Rng, families: readonly (readonly [number, HsvRange])[]): Rgb {
  let total = 0;
  for (const [w] of families) total += w;
  let x = rng.next() * total;
  for (const [w, r] of families) {
    x -= w;
    if (x < 0) return sampleHsv(rng, r);
  }
  return sampleHsv(rng, families[families.length - 1][1]);
}

export const scale = (c: Rgb, k: number): Rgb => [c[0] * k, c[1] * k, c[2] * k];
export const lerp = (a: Rgb, b: Rgb, t: number): Rgb => [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
