import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import type { DatasetRef } from '../../shared/datasets';
import { encodeIndexPng, encodePng, encodeRgbPng } from '../io/png';
import { checkDataset, makeDemo, openDataset, readMatNumeric } from './index';

// Reference tables typed in from proda-reference §3.1, independent of shared/classes.ts.
const CS19 = [7, 8, 11, 12, 13, 17, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 31, 32, 33];
const CS16 = [7, 8, 11, 12, 13, 17, 19, 20, 21, 23, 24, 25, 26, 28, 32, 33];
const CS13 = [7, 8, 11, 19, 20, 21, 23, 24, 25, 26, 28, 32, 33];
const SYN19 = [3, 4, 2, 21, 5, 7, 15, 9, 6, 16, 1, 10, 17, 8, 18, 19, 20, 12, 11];
const SYN16 = [3, 4, 2, 21, 5, 7, 15, 9, 6, 1, 10, 17, 8, 19, 12, 11];
const SYN13 = [3, 4, 2, 15, 9, 6, 1, 10, 17, 8, 19, 12, 11];
const expectVia = (table: number[], raw: ArrayLike<number>): number[] => Array.from(raw, (v) => (table.includes(v) ? table.indexOf(v) : 250));

const W = 8;
const H = 5;
const tmp = (): string => mkdtempSync(path.join(os.tmpdir(), 'ds-'));
const put = (file: string, bytes: Uint8Array): void => {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, bytes);
};
const rgb = (seed: number, w = W, h = H) => ({ width: w, height: h, data: Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 37 + seed * 11) & 0xff) });
const ref = (format: DatasetRef['format'], root: string, extra: Partial<DatasetRef> = {}): DatasetRef => ({
  id: 'd',
  name: 'd',
  format,
  root,
  role: 'source',
  classSet: '19',
  ...extra,
});

// Every Cityscapes labelId 0..34 plus 255 (the stored -1), then repeats.
const csIds = Uint8Array.from({ length: W * H }, (_, i) => (i < 35 ? i : 255));

describe('Cityscapes layout', () => {
  const root = tmp();
  const img = 'leftImg8bit/val/aachen/aachen_000000_000019_leftImg8bit.png';
  const lbl = 'gtFine/val/aachen/aachen_000000_000019_gtFine_labelIds.png';
  it('pairs images with gtFine labelIds and maps them pixel for pixel in 19/16/13 modes', async () => {
    put(path.join(root, img), await encodeRgbPng(rgb(1)));
    put(path.join(root, lbl), encodeIndexPng({ width: W, height: H, data: csIds }));
    put(path.join(root, 'leftImg8bit/val/bremen/bremen_000001_000019_leftImg8bit.png'), await encodeRgbPng(rgb(2)));
    put(path.join(root, 'gtFine/val/bremen/bremen_000001_000019_gtFine_labelIds.png'), encodeIndexPng({ width: W, height: H, data: csIds }));
    for (const [set, table] of [
      ['19', CS19],
      ['16', CS16],
      ['13', CS13],
    ] as const) {
      const ds = await openDataset(ref('cityscapes', root, { split: 'val', classSet: set, role: 'target' }));
      const list = await ds.list();
      expect(list.map((e) => e.id)).toEqual(['aachen/aachen_000000_000019_leftImg8bit.png', 'bremen/bremen_000001_000019_leftImg8bit.png']);
      expect(list[0]).toMatchObject({ name: 'aachen_000000_000019', group: 'aachen', labelPath: path.join(root, lbl) });
      const lab = await ds.readLabel(list[0].id);
      expect(Array.from(lab!.data)).toEqual(expectVia(table, csIds));
    }
    const ds = await openDataset(ref('cityscapes', root, { split: 'val' }));
    const im = await ds.readImage('aachen/aachen_000000_000019_leftImg8bit.png');
    expect(Array.from(im.data)).toEqual(Array.from(rgb(1).data));
  });
});

// A MATLAB v5 file with numeric column vectors, written per the MAT-file format spec; `compress` wraps each
// variable in a miCOMPRESSED element as MATLAB -v7 does.
function matFile(vars: Record<string, number[]>, compress: boolean): Uint8Array {
  const el = (type: number, body: Uint8Array): Uint8Array => {
    const padded = new Uint8Array(8 + Math.ceil(body.length / 8) * 8);
    const v = new DataView(padded.buffer);
    v.setUint32(0, type, true);
    v.setUint32(4, body.length, true);
    padded.set(body, 8);
    return padded;
  };
  const u32 = (...xs: number[]) => new Uint8Array(Uint32Array.from(xs).buffer);
  const parts: Uint8Array[] = [];
  const header = new Uint8Array(128).fill(0x20);
  header.set(new TextEncoder().encode('MATLAB 5.0 MAT-file, written by a test'));
  header.fill(0, 116, 124);
  header.set([0x00, 0x01, 0x49, 0x4d], 124);
  parts.push(header);
  for (const [name, values] of Object.entries(vars)) {
    const body = Buffer.concat([
      el(6, u32(6, 0)), // array flags: mxDOUBLE_CLASS
      el(5, new Uint8Array(Int32Array.from([values.length, 1]).buffer)),
      el(1, new TextEncoder().encode(name)),
      el(9, new Uint8Array(Float64Array.from(values).buffer)),
    ]);
    const matrix = el(14, body);
    if (compress) {
      const z = zlib.deflateSync(matrix);
      const c = new Uint8Array(8 + z.length);
      new DataView(c.buffer).setUint32(0, 15, true);
      new DataView(c.buffer).setUint32(4, z.length, true);
      c.set(z, 8);
      parts.push(c);
    } else parts.push(matrix);
  }
  return Buffer.concat(parts);
}

describe('GTA5 layout', () => {
  it('reads palette labelIds, works without split.mat, and uses it when present', async () => {
    const root = tmp();
    const pal = Array.from({ length: 256 }, (_, i) => [i, 255 - i, (i * 7) & 0xff] as [number, number, number]);
    for (const n of ['00001', '00002', '00003']) {
      put(path.join(root, 'images', `${n}.png`), await encodeRgbPng(rgb(Number(n))));
      put(path.join(root, 'labels', `${n}.png`), encodeIndexPng({ width: W, height: H, data: csIds }, pal));
    }
    const all = await openDataset(ref('gta5', root, { classSet: '16' }));
    expect((await all.list()).map((e) => e.name)).toEqual(['00001', '00002', '00003']);
    expect(Array.from((await all.readLabel('00002.png'))!.data)).toEqual(expectVia(CS16, csIds));
    await expect(openDataset(ref('gta5', root, { split: 'val' })).then((d) => d.listWithProblems())).resolves.toMatchObject({
      entries: [],
      problems: [{ kind: 'missing-file', file: path.join(root, 'split.mat') }],
    });
    put(path.join(root, 'split.mat'), matFile({ trainIds: [1, 3], valIds: [2], testIds: [] }, true));
    const val = await openDataset(ref('gta5', root, { split: 'val' }));
    expect((await val.list()).map((e) => e.name)).toEqual(['00002']);
    const train = await openDataset(ref('gta5', root, { split: 'train' }));
    expect((await train.list()).map((e) => e.name)).toEqual(['00001', '00003']);
  });

  it('reads uncompressed .mat too and rejects HDF5 ones', () => {
    const m = readMatNumeric(matFile({ trainIds: [5, 6, 7], valIds: [1] }, false), 'split.mat');
    expect(m.get('trainIds')).toEqual([5, 6, 7]);
    expect(m.get('valIds')).toEqual([1]);
    const h5 = new Uint8Array(200);
    h5.set(new TextEncoder().encode('MATLAB 7.3 MAT-file'));
    expect(() => readMatNumeric(h5, 'x/split.mat')).toThrow(/x\/split\.mat: MATLAB 7\.3/);
  });
});

describe('SYNTHIA layout', () => {
  it('reads the class id from channel 0 of 16-bit labels, ignoring junk channels', async () => {
    const root = tmp();
    const ids = Uint16Array.from({ length: W * H }, (_, i) => (i < 23 ? i : [300, 1000, 65535][i % 3]));
    const rgba = new Uint16Array(W * H * 4);
    ids.forEach((v, i) => rgba.set([v, (i * 4099) & 0xffff, 0xffff - i * 3, 40000], i * 4));
    put(path.join(root, 'RGB', '0000000.png'), await encodeRgbPng(rgb(3)));
    put(path.join(root, 'GT', 'LABELS', '0000000.png'), encodePng({ width: W, height: H, colorType: 6, bitDepth: 16, data: rgba }));
    for (const [set, table] of [
      ['19', SYN19],
      ['16', SYN16],
      ['13', SYN13],
    ] as const) {
      const ds = await openDataset(ref('synthia', root, { classSet: set }));
      expect(Array.from((await ds.readLabel('0000000.png'))!.data)).toEqual(expectVia(table, ids));
    }
    const report = await checkDataset(ref('synthia', root));
    expect(report.problems.map((p) => p.kind)).toEqual(['unknown-label-id']);
    expect(report.problems[0].message).toMatch(/SYNTHIA id 300 \(\d+ px\), SYNTHIA id 1000 .*SYNTHIA id 65535/);
  });

  it('reports an 8-bit label and a size mismatch by file', async () => {
    const root = tmp();
    put(path.join(root, 'RGB', 'a.png'), await encodeRgbPng(rgb(1)));
    put(path.join(root, 'GT', 'LABELS', 'a.png'), encodePng({ width: W, height: H, colorType: 2, bitDepth: 8, data: new Uint8Array(W * H * 3) }));
    put(path.join(root, 'RGB', 'b.png'), await encodeRgbPng(rgb(1, 4, 4)));
    put(path.join(root, 'GT', 'LABELS', 'b.png'), encodePng({ width: W, height: H, colorType: 2, bitDepth: 16, data: new Uint16Array(W * H * 3) }));
    const report = await checkDataset(ref('synthia', root));
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => [p.kind, path.basename(p.file!)])).toEqual([
      ['wrong-bit-depth', 'a.png'],
      ['size-mismatch', 'b.png'],
    ]);
  });
});

async function folderFixture(root: string, bad: boolean): Promise<void> {
  writeFileSync(path.join(root, 'classes.txt'), '# my classes\nroad\nSidewalk\nvoid\ncar\ntraffic_light\n');
  for (const n of ['a', 'b', 'c']) {
    put(path.join(root, 'images', `${n}.png`), await encodeRgbPng(rgb(n.charCodeAt(0))));
    put(path.join(root, 'masks', `${n}.png`), encodeIndexPng({ width: W, height: H, data: Uint8Array.from({ length: W * H }, (_, i) => [0, 1, 2, 3, 4, 255][i % 6]) }));
  }
  if (bad) {
    put(path.join(root, 'images', 'b.png'), new TextEncoder().encode('\x89PNG this is not really a png'));
    put(path.join(root, 'images', 'd.png'), await encodeRgbPng(rgb(4)));
    put(path.join(root, 'masks', 'c.png'), encodeIndexPng({ width: W, height: H, data: Uint8Array.from({ length: W * H }, (_, i) => (i === 5 ? 9 : 0)) }));
  }
}

describe('folder layout and the dataset check', () => {
  it('maps mask values through the class list', async () => {
    const root = tmp();
    await folderFixture(root, false);
    const ds = await openDataset(ref('folder', root));
    const lab = await ds.readLabel('a.png');
    expect(Array.from(lab!.data.slice(0, 6))).toEqual([0, 1, 250, 13, 6, 250]);
    const report = await checkDataset(ref('folder', root));
    expect(report.ok).toBe(true);
    expect(report.problems).toEqual([]);
    expect(report.counts).toMatchObject({ images: 3, labels: 3, pairs: 3 });
    expect(report.sizes).toEqual([{ width: W, height: H, count: 3 }]);
    expect(report.histogram.pixels[0] + report.histogram.pixels[13] + report.histogram.ignore).toBeGreaterThan(0);
    expect(report.histogram.total).toBe(3 * W * H);
  });

  it('lists a corrupt PNG, a missing label and an unknown id, each by file, without crashing', async () => {
    const root = tmp();
    await folderFixture(root, true);
    const ds = await openDataset(ref('folder', root));
    expect((await ds.list()).map((e) => e.id)).toEqual(['a.png', 'b.png', 'c.png', 'd.png']);
    await expect(ds.readImage('b.png')).rejects.toThrow(path.join(root, 'images', 'b.png'));
    const report = await checkDataset(ref('folder', root));
    expect(report.ok).toBe(false);
    const lines = report.problems.map((p) => `${p.kind} ${path.relative(root, p.file!)}`);
    expect(lines).toEqual(['unmatched-image images/d.png', 'unreadable images/b.png', 'unknown-label-id masks/c.png']);
    expect(report.problems[2].message).toMatch(/mask value 9 \(1 px\)/);
  });

  it('reports a missing root, a missing class list and unknown class names', async () => {
    const missing = await checkDataset(ref('folder', '/nonexistent/dataset'));
    expect(missing.problems.map((p) => p.kind)).toContain('missing-folder');
    const root = tmp();
    await folderFixture(root, false);
    writeFileSync(path.join(root, 'classes.txt'), 'road\ntree\n');
    const r = await checkDataset(ref('folder', root));
    expect(r.problems[0]).toMatchObject({ kind: 'bad-class-list', message: expect.stringContaining("line 2: 'tree'") });
  });
});

describe('demo format', () => {
  it('reads splits, hides target-train labels unless asked, remaps to 16 classes, caches thumbnails', async () => {
    const root = tmp();
    await makeDemo({ out: root, seed: 4, width: 64, height: 32, count: 2 });
    const cacheDir = tmp();
    const src = await openDataset(ref('demo', root), { cacheDir });
    expect((await src.list()).map((e) => e.id)).toEqual(['source/images/000000.png', 'source/images/000001.png']);
    expect(await src.readLabel('source/images/000000.png')).not.toBeNull();
    const tgt = await openDataset(ref('demo', root, { role: 'target' }));
    expect(await tgt.readLabel('target-train/images/000000.png')).toBeNull();
    const tgtEval = await openDataset(ref('demo', root, { role: 'target', classSet: '16' }), { evalLabels: true });
    const l16 = await tgtEval.readLabel('target-train/images/000000.png');
    expect(Math.max(...Array.from(l16!.data).filter((v) => v !== 250))).toBeLessThan(16);
    const t1 = await src.thumbnail('source/images/000001.png', 32);
    expect(t1.mime).toBe('image/jpeg');
    const small = await src.readImage('source/images/000001.png', { width: 32, height: 16 });
    expect([small.width, small.height]).toEqual([32, 16]);
    const cached = readdirSync(path.join(cacheDir, 'datasets'), { recursive: true }).filter((f) => /\.(jpg|rgb)$/.test(String(f)));
    expect(cached).toHaveLength(2);
    expect((await src.thumbnail('source/images/000001.png', 32)).bytes).toEqual(t1.bytes);
    const again = await src.readImage('source/images/000001.png', { width: 32, height: 16 });
    expect(again.data).toEqual(small.data);

    const report = await checkDataset(ref('demo', root));
    expect(report.ok).toBe(true);
    expect(report.counts.bySplit).toEqual({ source: 2, 'target-train': 2, 'target-val': 1 });
    expect(report.colorStats.map((s) => s.domain)).toEqual(['source', 'target-train', 'target-val']);
    const [s, t] = report.colorStats;
    expect(s.saturation).toBeGreaterThan(t.saturation);
  });
});
