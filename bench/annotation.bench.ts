// Label-editing cost on a Cityscapes-size (2048×1024) raster: each tool's op (compute + apply), undo,
// the history bytes per step, the snapshot write (3 PNGs + history) and a cold reopen with log replay.
// Run: npm run bench -- annotation   (or: npx tsx bench/annotation.bench.ts [repeats])
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyDiff, diffBytes, diffPixelCount } from '../shared/annotation/diff';
import { createDoc, performEdit, performUndo } from '../shared/annotation/editor';
import { computeEdit, type EditOp } from '../shared/annotation/ops';
import { LabelStore } from '../main/labels/store';

const repeats = Number(process.argv[2] ?? 10);
const W = 2048;
const H = 1024;

// A plausible starting layer: horizontal bands of classes, like road / buildings / sky.
const base = new Uint8Array(W * H);
for (let y = 0; y < H; y++) base.fill(y < 300 ? 10 : y < 600 ? 2 : 0, y * W, (y + 1) * W);

const stroke = (i: number): [number, number][] => Array.from({ length: 40 }, (_, k) => [200 + k * 30 + i, 650 + 40 * Math.sin(k / 5)]);
const ops: [string, EditOp][] = [
  ['brush 24 px, 40-point stroke', { tool: 'brush', points: stroke(0), size: 24, classId: 1 }],
  ['eraser 24 px, 40-point stroke', { tool: 'eraser', points: stroke(0), size: 24 }],
  ['replace 2→8 in a 64 px stroke', { tool: 'replace', points: [[100, 400], [1900, 500]], size: 64, from: 2, to: 8 }],
  ['flood fill, 614k-px region', { tool: 'fill', x: 1000, y: 150, classId: 8 }],
  ['polygon, 12 vertices', { tool: 'polygon', vertices: Array.from({ length: 12 }, (_, k) => [1000 + 400 * Math.cos((k * Math.PI) / 6), 500 + 300 * Math.sin((k * Math.PI) / 6)] as [number, number]), rule: 'evenodd', classId: 13 }],
];

function median(fn: () => void): number {
  fn();
  const t: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  return t.sort((a, b) => a - b)[Math.floor(t.length / 2)];
}

console.log(`raster ${W}×${H}, median of ${repeats}\n`);
console.log('| op | ms (compute + apply + revert) | changed px | diff bytes | bytes per changed px |');
console.log('|---|---|---|---|---|');
for (const [name, op] of ops) {
  const doc = createDoc({ width: W, height: H, data: base });
  let px = 0;
  let bytes = 0;
  const ms = median(() => {
    const d = computeEdit(doc.layers, op);
    applyDiff(doc.layers, d, 'forward');
    applyDiff(doc.layers, d, 'backward');
    px = diffPixelCount(d);
    bytes = diffBytes(d);
  });
  console.log(`| ${name} | ${ms.toFixed(1)} | ${px} | ${bytes} | ${(bytes / Math.max(1, px)).toFixed(2)} |`);
}

let doc = createDoc({ width: W, height: H, data: base });
const t0 = performance.now();
for (let i = 0; i < 200; i++) doc = performEdit(doc, { tool: 'brush', points: stroke(i), size: 16, classId: (i % 18) + 1 }).doc;
const t1 = performance.now();
for (let i = 0; i < 200; i++) doc = performUndo(doc).doc;
const t2 = performance.now();
console.log(`\n200 brush strokes: ${((t1 - t0) / 200).toFixed(1)} ms each; 200 undos: ${((t2 - t1) / 200).toFixed(1)} ms each`);
console.log(`history after 200 strokes: ${(doc.history.bytes / 1024).toFixed(0)} KiB (one raster copy: ${(W * H) / 1024} KiB)`);

const root = mkdtempSync(path.join(os.tmpdir(), 'ann-bench-'));
try {
  const store = new LabelStore(root, { debounceMs: 60_000 });
  const img = await store.get('d', 'i', async () => ({ raster: { width: W, height: H, data: base }, start: { source: 'layer', label: 'bench' } }));
  for (let i = 0; i < 50; i++) await img.step({ kind: 'edit', op: { tool: 'brush', points: stroke(i), size: 16, classId: (i % 18) + 1 } });
  const s0 = performance.now();
  await img.flush();
  const s1 = performance.now();
  for (let i = 50; i < 80; i++) await img.step({ kind: 'edit', op: { tool: 'brush', points: stroke(i), size: 16, classId: 3 } });
  const logged = performance.now();
  const r0 = performance.now();
  const again = await new LabelStore(root).get('d', 'i', () => Promise.reject(new Error('must restore')));
  const r1 = performance.now();
  console.log(`step incl. fsynced log line: ${((logged - s1) / 30).toFixed(1)} ms; snapshot (3 PNGs + history): ${(s1 - s0).toFixed(0)} ms`);
  console.log(`reopen: snapshot + replay of 30 logged steps (and a fresh snapshot): ${(r1 - r0).toFixed(0)} ms, seq ${again.seq}`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
