// Float RGB (0..1) plus a train-id label plane, and the few fill primitives the objects need.
// A pixel belongs to a shape when its centre is inside; thin far objects keep at least one pixel column.
import type { Rgb } from './color';

export const C = {
  road: 0,
  sidewalk: 1,
  building: 2,
  wall: 3,
  fence: 4,
  pole: 5,
  light: 6,
  sign: 7,
  vegetation: 8,
  terrain: 9,
  sky: 10,
  person: 11,
  rider: 12,
  car: 13,
  truck: 14,
  bus: 15,
  bicycle: 18,
  void: 250,
} as const;

export interface Canvas {
  w: number;
  h: number;
  rgb: Float32Array;
  label: Uint8Array;
}

export const newCanvas = (w: number, h: number): Canvas => ({ w, h, rgb: new Float32Array(w * h * 3), label: new Uint8Array(w * h).fill(250) });

/** Per-pixel colour: either flat, or a function of the pixel (texture). */
export type Paint = Rgb | ((px: number, py: number) => Rgb);

export function put(cv: Canvas, px: number, py: number, cls: number, paint: Paint): void {
  const i = py * cv.w + px;
  const c = typeof paint === 'function' ? paint(px, py) : paint;
  cv.rgb[i * 3] = c[0];
  cv.rgb[i * 3 + 1] = c[1];
  cv.rgb[i * 3 + 2] = c[2];
  cv.label[i] = cls;
}

/** Pixel columns [start, end) whose centres lie in [x0, x1); never empty while the span is at least 0.3 px. */
function span(x0: number, x1: number): [number, number] {
  let a = Math.round(x0);
  let b = Math.round(x1);
  if (b <= a && x1 - x0 >= 0.3) {
    a = Math.floor((x0 + x1) / 2);
    b = a + 1;
  }
  return [a, b];
}

export function fillRect(cv: Canvas, x0: number, y0: number, x1: number, y1: number, cls: number, paint: Paint): void {
  const [xa, xb] = span(x0, x1);
  const [ya, yb] = span(y0, y1);
  for (let y = Math.max(0, ya); y < Math.min(cv.h, yb); y++) for (let x = Math.max(0, xa); x < Math.min(cv.w, xb); x++) put(cv, x, y, cls, paint);
}

/** Ellipse; `edge` (optional) returns a radius factor per pixel for ragged outlines (foliage). */
export function fillEllipse(
  cv: Canvas,
  cx: number,
  cy: number,
  rx: number,
  ry: number,
  cls: number,
  paint: Paint,
  edge?: (px: number, py: number) => number,
): void {
  if (rx < 0.25 || ry < 0.25) return;
  const x0 = Math.max(0, Math.floor(cx - rx * 1.3));
  const x1 = Math.min(cv.w - 1, Math.ceil(cx + rx * 1.3));
  const y0 = Math.max(0, Math.floor(cy - ry * 1.3));
  const y1 = Math.min(cv.h - 1, Math.ceil(cy + ry * 1.3));
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const dx = (x + 0.5 - cx) / rx;
      const dy = (y + 0.5 - cy) / ry;
      const k = edge ? edge(x, y) : 1;
      if (dx * dx + dy * dy <= k * k) put(cv, x, y, cls, paint);
    }
  }
}

/** Any simple polygon, even-odd scanline fill. */
export function fillPolygon(cv: Canvas, pts: readonly (readonly [number, number])[], cls: number, paint: Paint): void {
  let minY = Infinity;
  let maxY = -Infinity;
  for (const [, y] of pts) {
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  }
  const xs: number[] = [];
  for (let py = Math.max(0, Math.floor(minY)); py <= Math.min(cv.h - 1, Math.ceil(maxY)); py++) {
    const sy = py + 0.5;
    xs.length = 0;
    for (let i = 0; i < pts.length; i++) {
      const [ax, ay] = pts[i];
      const [bx, by] = pts[(i + 1) % pts.length];
      if ((ay <= sy && by > sy) || (by <= sy && ay > sy)) xs.push(ax + ((sy - ay) / (by - ay)) * (bx - ax));
    }
    xs.sort((a, b) => a - b);
    for (let k = 0; k + 1 < xs.length; k += 2) {
      const [a, b] = span(xs[k], xs[k + 1]);
      for (let x = Math.max(0, a); x < Math.min(cv.w, b); x++) put(cv, x, py, cls, paint);
    }
  }
}
