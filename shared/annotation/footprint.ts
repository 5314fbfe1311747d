// Which pixels a tool covers, as ascending pixel indices. Coverage is decided at pixel centres
// (x + 0.5, y + 0.5) in image coordinates, so results do not depend on zoom and match what a
// rasteriser with pixel-centre sampling would draw.

export type Point = readonly [x: number, y: number];
export type FillRule = 'evenodd' | 'nonzero';

const clampInt = (v: number, lo: number, hi: number): number => Math.max(lo, Math.min(hi, v));

/**
 * Round brush of diameter `size` dragged along `points`: the union of capsules around each segment.
 * A single point stamps one disc.
 */
export function strokeFootprint(width: number, height: number, points: readonly Point[], size: number): Uint32Array {
  if (points.length === 0 || !(size > 0)) return new Uint32Array(0);
  const r = size / 2;
  const r2 = r * r;
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const [x, y] of points) {
    minX = Math.min(minX, x);
    minY = Math.min(minY, y);
    maxX = Math.max(maxX, x);
    maxY = Math.max(maxY, y);
  }
  const x0 = clampInt(Math.floor(minX - r), 0, width);
  const x1 = clampInt(Math.ceil(maxX + r), 0, width);
  const y0 = clampInt(Math.floor(minY - r), 0, height);
  const y1 = clampInt(Math.ceil(maxY + r), 0, height);
  const bw = x1 - x0;
  const bh = y1 - y0;
  if (bw <= 0 || bh <= 0) return new Uint32Array(0);
  const mask = new Uint8Array(bw * bh);
  const segs = points.length === 1 ? 1 : points.length - 1;
  for (let s = 0; s < segs; s++) {
    const [ax, ay] = points[s];
    const [bx, by] = points[Math.min(s + 1, points.length - 1)];
    const dx = bx - ax;
    const dy = by - ay;
    const len2 = dx * dx + dy * dy;
    const sy0 = clampInt(Math.floor(Math.min(ay, by) - r), y0, y1);
    const sy1 = clampInt(Math.ceil(Math.max(ay, by) + r), y0, y1);
    const sx0 = clampInt(Math.floor(Math.min(ax, bx) - r), x0, x1);
    const sx1 = clampInt(Math.ceil(Math.max(ax, bx) + r), x0, x1);
    for (let y = sy0; y < sy1; y++) {
      const cy = y + 0.5;
      const row = (y - y0) * bw;
      for (let x = sx0; x < sx1; x++) {
        const cx = x + 0.5;
        let t = len2 > 0 ? ((cx - ax) * dx + (cy - ay) * dy) / len2 : 0;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        const ex = ax + t * dx - cx;
        const ey = ay + t * dy - cy;
        if (ex * ex + ey * ey <= r2) mask[row + x - x0] = 1;
      }
    }
  }
  return collect(mask, bw, bh, x0, y0, width);
}

/** Polygon interior under the given fill rule (as in SVG/canvas `fill-rule`). Fewer than 3 vertices cover nothing. */
export function polygonFootprint(width: number, height: number, vertices: readonly Point[], rule: FillRule): Uint32Array {
  const n = vertices.length;
  if (n < 3) return new Uint32Array(0);
  let minY = Infinity;
  let maxY = -Infinity;
  for (const [, y] of vertices) {
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  }
  const y0 = clampInt(Math.floor(minY), 0, height);
  const y1 = clampInt(Math.ceil(maxY), 0, height);
  const out: number[] = [];
  const xs: number[] = [];
  const dirs: number[] = [];
  const order: number[] = [];
  for (let y = y0; y < y1; y++) {
    const cy = y + 0.5;
    xs.length = 0;
    dirs.length = 0;
    for (let i = 0; i < n; i++) {
      const [ax, ay] = vertices[i];
      const [bx, by] = vertices[(i + 1) % n];
      if (ay === by) continue;
      // Half-open in y so a vertex shared by two edges is counted once.
      const lo = Math.min(ay, by);
      const hi = Math.max(ay, by);
      if (cy < lo || cy >= hi) continue;
      xs.push(ax + ((cy - ay) * (bx - ax)) / (by - ay));
      dirs.push(by > ay ? 1 : -1);
    }
    if (xs.length < 2) continue;
    order.length = 0;
    for (let k = 0; k < xs.length; k++) order.push(k);
    order.sort((a, b) => xs[a] - xs[b]);
    let winding = 0;
    for (let k = 0; k < order.length - 1; k++) {
      winding += dirs[order[k]];
      const inside = rule === 'nonzero' ? winding !== 0 : (k + 1) % 2 === 1;
      if (!inside) continue;
      // Pixels whose centre lies in [a, b).
      const xa = clampInt(Math.ceil(xs[order[k]] - 0.5), 0, width);
      const xb = clampInt(Math.ceil(xs[order[k + 1]] - 0.5), 0, width);
      for (let x = xa; x < xb; x++) out.push(y * width + x);
    }
  }
  // Spans of one row are disjoint and ascending, rows ascend: already sorted and unique.
  return Uint32Array.from(out);
}

/** The 4-connected region of pixels sharing the seed's label. A seed outside the raster covers nothing. */
export function floodFootprint(width: number, height: number, labels: Uint8Array, sx: number, sy: number): Uint32Array {
  const x = Math.floor(sx);
  const y = Math.floor(sy);
  if (x < 0 || y < 0 || x >= width || y >= height) return new Uint32Array(0);
  const target = labels[y * width + x];
  const seen = new Uint8Array(width * height);
  const stack = new Int32Array(width * height);
  let top = 0;
  let count = 0;
  const start = y * width + x;
  stack[top++] = start;
  seen[start] = 1;
  const visit = (q: number): void => {
    if (!seen[q] && labels[q] === target) {
      seen[q] = 1;
      stack[top++] = q;
    }
  };
  while (top > 0) {
    const p = stack[--top];
    count++;
    const px = p % width;
    if (px > 0) visit(p - 1);
    if (px < width - 1) visit(p + 1);
    if (p >= width) visit(p - width);
    if (p + width < seen.length) visit(p + width);
  }
  const out = new Uint32Array(count);
  let k = 0;
  for (let i = 0; i < seen.length; i++) if (seen[i]) out[k++] = i;
  return out;
}

function collect(mask: Uint8Array, bw: number, bh: number, x0: number, y0: number, width: number): Uint32Array {
  let count = 0;
  for (let i = 0; i < mask.length; i++) count += mask[i];
  const out = new Uint32Array(count);
  let k = 0;
  for (let y = 0; y < bh; y++) {
    for (let x = 0; x < bw; x++) if (mask[y * bw + x]) out[k++] = (y + y0) * width + x + x0;
  }
  return out;
}
