// Decoding speed for a Cityscapes-size (2048×1024) image and its labelIds PNG, plus the demo generator's
// speed. Run: npm run bench -- decode   (or: npx tsx bench/decode.bench.ts [repeats])
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CITYSCAPES_LABEL_IDS_19, applyLut, cityscapesLabelIdLut } from '../shared/classes';
import { makeDemo } from '../main/datasets/demo';
import { renderScene } from '../main/datasets/demo/scene';
import { openDataset } from '../main/datasets/open';
import { decodeLabel8, decodePng, decodeRgb, encodeIndexPng, encodeRgbPng, thumbnailOf } from '../main/io/png';

const repeats = Number(process.argv[2] ?? 10);

async function time(fn: () => Promise<unknown> | unknown, n = repeats): Promise<{ median: number; min: number }> {
  await fn(); // warm-up
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return { median: t[Math.floor(t.length / 2)], min: t[0] };
}

function table(rows: [string, { median: number; min: number }, string?][]): void {
  const w = Math.max(...rows.map((r) => r[0].length));
  console.log(`${'case'.padEnd(w)}  median ms    min ms  note`);
  console.log(`${'-'.repeat(w)}  ---------  --------  ----`);
  for (const [name, r, note] of rows) console.log(`${name.padEnd(w)}  ${r.median.toFixed(1).padStart(9)}  ${r.min.toFixed(1).padStart(8)}  ${note ?? ''}`);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'decode-bench-'));
  try {
    // A street scene drawn at full Cityscapes size, so the PNGs compress like real frames rather than noise.
    const scene = renderScene(1, 'target-val', 0, 2048, 1024);
    const labelIds = applyLut(scene.label, (() => {
      const lut = new Uint8Array(256);
      CITYSCAPES_LABEL_IDS_19.forEach((id, t) => (lut[t] = id));
      return lut;
    })());
    const root = path.join(dir, 'cs');
    const imgRel = 'leftImg8bit/val/bench/bench_000000_000000_leftImg8bit.png';
    const lblRel = 'gtFine/val/bench/bench_000000_000000_gtFine_labelIds.png';
    const imgBytes = await encodeRgbPng({ width: 2048, height: 1024, data: scene.rgb });
    const lblBytes = encodeIndexPng({ width: 2048, height: 1024, data: labelIds });
    for (const [rel, bytes] of [
      [imgRel, imgBytes],
      [lblRel, lblBytes],
    ] as const) {
      const f = path.join(root, rel);
      await import('node:fs').then((fs) => fs.mkdirSync(path.dirname(f), { recursive: true }));
      writeFileSync(f, bytes);
    }
    console.log(`2048×1024 image PNG ${(imgBytes.length / 1024).toFixed(0)} KiB, labelIds PNG ${(lblBytes.length / 1024).toFixed(0)} KiB; ${repeats} repeats\n`);
    const lut = cityscapesLabelIdLut('19');
    const ds = await openDataset({ id: 'b', name: 'b', format: 'cityscapes', root, split: 'val', role: 'target', classSet: '19' }, { cacheDir: path.join(dir, 'cache') });
    const id = 'bench/bench_000000_000000_leftImg8bit.png';
    const rows: [string, { median: number; min: number }, string?][] = [];
    rows.push(['label: own codec + LUT to trainIds (memory)', await time(() => applyLut(decodeLabel8(lblBytes, 'x').data, lut))]);
    rows.push(['image: sharp decode to RGB (from memory)', await time(() => decodeRgb(imgBytes, 'x'))]);
    rows.push(['image + label via Dataset (file read incl.)', await time(async () => Promise.all([ds.readImage(id), ds.readLabel(id)]))]);
    rows.push(['image: sharp decode + resize to 512×256', await time(() => decodeRgb(imgBytes, 'x', { width: 512, height: 256 }))]);
    rows.push(['image: 512×256 copy from cache (Dataset)', await time(() => ds.readImage(id, { width: 512, height: 256 })), 'after first call']);
    rows.push(['thumbnail 256 px JPEG (uncached)', await time(() => thumbnailOf(imgBytes, 'x', 256))]);
    rows.push(['file read only (image + label)', await time(() => Promise.all([readFile(path.join(root, imgRel)), readFile(path.join(root, lblRel))]))]);
    // Last, so running the label codec on RGB data cannot skew the label timing above (JIT feedback).
    rows.push(['image: own PNG codec (from memory)', await time(() => decodePng(imgBytes, 'x')), 'for comparison']);
    table(rows);

    console.log('\nDemo generator (one core)');
    const n = 40;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) renderScene(2, i % 2 ? 'source' : 'target-train', i, 256, 128);
    const cpuDraw = (process.cpuUsage(c0).user + process.cpuUsage(c0).system) / 1000 / n;
    const wallDraw = (performance.now() - t0) / n;
    const c1 = process.cpuUsage();
    const made = await makeDemo({ out: path.join(dir, 'demo'), seed: 1, count: n });
    const cu = process.cpuUsage(c1);
    const images = n * 2 + Math.ceil(n / 2);
    const cpuMake = (cu.user + cu.system) / 1000 / images;
    console.log(`draw 256×128: ${wallDraw.toFixed(1)} ms wall, ${cpuDraw.toFixed(1)} ms CPU per image`);
    console.log(`makeDemo (draw + 2 PNGs + atomic writes): ${(made.ms / images).toFixed(1)} ms wall, ${cpuMake.toFixed(1)} ms CPU per image`);
    console.log(`=> default demo (400 + 400 + 200 images): ~${((cpuMake * 1000) / 1000).toFixed(0)} s CPU, ~${((made.ms / images) * 1000 / 1000).toFixed(0)} s wall at this load`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
