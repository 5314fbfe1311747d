// An edit is stored as the pixels it changed, never as a copy of the raster: runs of ascending pixel
// indices plus the label and touched state before and after. A brush stroke over a 2048×1024 image
// costs a few kilobytes of history instead of 2 MiB.
import type { EditLayers } from './raster';

export interface RasterDiff {
  /** [start, length, start, length, ...] over ascending pixel indices. */
  readonly runs: Uint32Array;
  /** Labels before and after, one per pixel in run order. */
  readonly before: Uint8Array;
  readonly after: Uint8Array;
  /** Touched state before and after, one bit per pixel in run order (LSB first). */
  readonly touchedBefore: Uint8Array;
  readonly touchedAfter: Uint8Array;
}

export const diffPixelCount = (d: RasterDiff): number => d.before.length;

/** Bytes the diff holds, what the history budget counts. */
export const diffBytes = (d: RasterDiff): number =>
  d.runs.byteLength + d.before.byteLength + d.after.byteLength + d.touchedBefore.byteLength + d.touchedAfter.byteLength;

/**
 * Builds the diff of setting, for each index of `footprint` (ascending), the label returned by `next`
 * (or leaving it when `next` returns -1) and the touched state `touchedAfter`. Pixels whose label and
 * touched state both stay the same are left out.
 */
export function buildDiff(
  layers: EditLayers,
  footprint: Uint32Array,
  next: (index: number, label: number) => number,
  touchedAfter: (index: number, label: number) => 0 | 1,
): RasterDiff {
  const n = footprint.length;
  const idx = new Uint32Array(n);
  const before = new Uint8Array(n);
  const after = new Uint8Array(n);
  const tb = new Uint8Array(n);
  const ta = new Uint8Array(n);
  let k = 0;
  for (let i = 0; i < n; i++) {
    const p = footprint[i];
    const cur = layers.labels[p];
    const v = next(p, cur);
    const nv = v < 0 ? cur : v;
    const t0 = layers.touched[p] ? 1 : 0;
    const t1 = touchedAfter(p, cur);
    if (nv === cur && t0 === t1) continue;
    idx[k] = p;
    before[k] = cur;
    after[k] = nv;
    tb[k] = t0;
    ta[k] = t1;
    k++;
  }
  return {
    runs: toRuns(idx.subarray(0, k)),
    before: before.slice(0, k),
    after: after.slice(0, k),
    touchedBefore: packBits(tb.subarray(0, k)),
    touchedAfter: packBits(ta.subarray(0, k)),
  };
}

/** Writes the diff's "after" (redo) or "before" (undo) state into the layers, in place. */
export function applyDiff(layers: EditLayers, diff: RasterDiff, direction: 'forward' | 'backward'): void {
  const values = direction === 'forward' ? diff.after : diff.before;
  const bits = direction === 'forward' ? diff.touchedAfter : diff.touchedBefore;
  let k = 0;
  forEachRunIndex(diff.runs, (p) => {
    layers.labels[p] = values[k];
    layers.touched[p] = (bits[k >> 3] >> (k & 7)) & 1;
    k++;
  });
}

export function forEachRunIndex(runs: Uint32Array, fn: (index: number) => void): void {
  for (let r = 0; r < runs.length; r += 2) {
    const end = runs[r] + runs[r + 1];
    for (let p = runs[r]; p < end; p++) fn(p);
  }
}

export function diffIndices(diff: RasterDiff): Uint32Array {
  const out = new Uint32Array(diff.before.length);
  let k = 0;
  forEachRunIndex(diff.runs, (p) => (out[k++] = p));
  return out;
}

function toRuns(idx: Uint32Array): Uint32Array {
  const runs: number[] = [];
  for (let i = 0; i < idx.length; ) {
    let j = i + 1;
    while (j < idx.length && idx[j] === idx[j - 1] + 1) j++;
    runs.push(idx[i], j - i);
    i = j;
  }
  return Uint32Array.from(runs);
}

function packBits(bits: Uint8Array): Uint8Array {
  const out = new Uint8Array((bits.length + 7) >> 3);
  for (let i = 0; i < bits.length; i++) if (bits[i]) out[i >> 3] |= 1 << (i & 7);
  return out;
}

// Serialised form, for the persisted history and for a diff crossing a process boundary:
// magic "LDF1", five u32 lengths, then the five arrays (runs little-endian u32).
const MAGIC = 0x3146444c;

export function encodeDiff(d: RasterDiff): Uint8Array {
  const head = 24;
  const out = new Uint8Array(head + diffBytes(d));
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, d.runs.length, true);
  view.setUint32(8, d.before.length, true);
  view.setUint32(12, d.after.length, true);
  view.setUint32(16, d.touchedBefore.length, true);
  view.setUint32(20, d.touchedAfter.length, true);
  let o = head;
  for (let i = 0; i < d.runs.length; i++, o += 4) view.setUint32(o, d.runs[i], true);
  for (const part of [d.before, d.after, d.touchedBefore, d.touchedAfter]) {
    out.set(part, o);
    o += part.length;
  }
  return out;
}

/** Reads one diff at `offset`; returns it with the offset just past it. Throws on a torn or foreign buffer. */
export function decodeDiff(buf: Uint8Array, offset = 0): { diff: RasterDiff; next: number } {
  if (buf.length - offset < 24) throw new RangeError('diff: truncated header');
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (view.getUint32(offset, true) !== MAGIC) throw new RangeError('diff: bad magic');
  const nr = view.getUint32(offset + 4, true);
  const lens = [8, 12, 16, 20].map((o) => view.getUint32(offset + o, true));
  let o = offset + 24;
  const total = nr * 4 + lens.reduce((a, b) => a + b, 0);
  if (buf.length - o < total) throw new RangeError('diff: truncated body');
  const runs = new Uint32Array(nr);
  for (let i = 0; i < nr; i++, o += 4) runs[i] = view.getUint32(o, true);
  const parts = lens.map((len) => {
    const p = buf.slice(o, o + len);
    o += len;
    return p;
  });
  const [before, after, touchedBefore, touchedAfter] = parts;
  let covered = 0;
  for (let r = 1; r < runs.length; r += 2) covered += runs[r];
  if (covered !== before.length || after.length !== before.length || touchedBefore.length !== (before.length + 7) >> 3) {
    throw new RangeError('diff: inconsistent lengths');
  }
  return { diff: { runs, before, after, touchedBefore, touchedAfter }, next: o };
}
