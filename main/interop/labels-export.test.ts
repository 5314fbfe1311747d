import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IGNORE_LABEL, cityscapesLabelIdLut, colorize, type ClassSetId } from '../../shared/classes';
import { readNpy } from '../io/npy';
import { decodeLabel8, decodePng } from '../io/png';
import { openDataset } from '../datasets';
import { encodePng } from '../io/png';
import { writeFileAtomic } from '../io/atomic';
import { exportLabels } from './labels-export';
import { pythonHas, runPython } from './torch-fixtures';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'labels-export-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function randomLabels(w: number, h: number, classes: number, seed: number): Uint8Array {
  let s = seed;
  const out = new Uint8Array(w * h);
  for (let i = 0; i < out.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    const r = s % (classes + 1);
    out[i] = r === classes ? IGNORE_LABEL : r;
  }
  return out;
}

describe.each(['19', '16', '13'] as ClassSetId[])('label export, %s classes', (set) => {
  const classes = { '19': 19, '16': 16, '13': 13 }[set];
  const w = 37;
  const h = 23;
  const trainIds = randomLabels(w, h, classes, 7 + classes);
  const confidence = Float32Array.from({ length: w * h }, (_, i) => ((i * 37) % 101) / 100);
  const soft = { channels: classes, height: 3, width: 5, data: Float32Array.from({ length: classes * 15 }, (_, i) => i / 7) };
  const out = path.join(tmp, set);
  const imagePath = '/data/cs/leftImg8bit/val/aachen/aachen_000000_000019_leftImg8bit.png';

  it('writes the Cityscapes and ProDA layouts, and every PNG reads back pixel for pixel', async () => {
    const res = await exportLabels([{ entry: { id: 'val/aachen/x', imagePath, split: 'val', group: 'aachen' }, width: w, height: h, trainIds, confidence, soft }], {
      outDir: out,
      classSet: set,
      layouts: ['cityscapes', 'proda'],
    });
    expect(res.images).toBe(1);
    const read = (rel: string) => new Uint8Array(readFileSync(path.join(out, rel)));
    const gt = 'cityscapes/gtFine/val/aachen/aachen_000000_000019';
    // labelIds through the reader's LUT give back the train ids (ignore stays ignore)
    const labelIds = decodeLabel8(read(`${gt}_gtFine_labelIds.png`), 'labelIds');
    const lut = cityscapesLabelIdLut(set);
    expect(Array.from(labelIds.data, (v) => lut[v])).toEqual(Array.from(trainIds));
    expect(decodeLabel8(read('cityscapes/results/aachen/aachen_000000_000019_leftImg8bit.png'), 'r').data).toEqual(labelIds.data);
    // instanceIds, as cityscapesScripts' evaluator opens it: 16-bit, no instances, so each pixel is its labelId
    const inst = decodePng(read(`${gt}_gtFine_instanceIds.png`), 'instanceIds');
    expect(inst.bitDepth).toBe(16);
    expect(inst.channels).toBe(1);
    expect(Array.from(inst.data)).toEqual(Array.from(labelIds.data));
    expect(decodeLabel8(read(`${gt}_gtFine_labelTrainIds.png`), 't').data).toEqual(trainIds);
    const colour = decodePng(read(`${gt}_gtFine_color.png`), 'c');
    expect(colour.channels).toBe(3);
    expect(Uint8Array.from(colour.data)).toEqual(colorize(trainIds, set));
    const conf16 = decodePng(read('cityscapes/conf/aachen/aachen_000000_000019_conf.png'), 'conf');
    expect(conf16.bitDepth).toBe(16);
    expect(Math.max(...Array.from(conf16.data, (v, i) => Math.abs(v / 65535 - confidence[i])))).toBeLessThan(1e-5);

    const base = 'proda/aachen_000000_000019_leftImg8bit';
    expect(decodeLabel8(read(`${base}.png`), 'p').data).toEqual(trainIds);
    expect(Uint8Array.from(decodePng(read(`${base}_color.png`), 'pc').data)).toEqual(colorize(trainIds, set));
    const conf = readNpy(read(`${base}_conf.npy`));
    expect(conf.dtype).toBe('float16');
    expect(conf.shape).toEqual([h, w]);
    const softBack = readNpy(read(`${base}.npy`));
    expect(softBack.dtype).toBe('float32');
    expect(softBack.shape).toEqual([classes, 3, 5]);
    expect(Array.from(softBack.data as Float32Array)).toEqual(Array.from(soft.data));
  });

  it('refuses train ids outside the class set, naming the image', async () => {
    const bad = trainIds.slice();
    bad[5] = classes;
    await expect(
      exportLabels([{ entry: { id: 'x', imagePath }, width: w, height: h, trainIds: bad }], { outDir: out, classSet: set, layouts: ['proda'] }),
    ).rejects.toThrow(/aachen_000000_000019_leftImg8bit\.png: train id/);
  });
});

describe.skipIf(!pythonHas('PIL') || !pythonHas('numpy'))('the ProDA layout as the official loader reads it (PIL + numpy)', () => {
  it('reads labels as uint8 train ids, conf as float16 H×W, soft as float32 C×h×w', async () => {
    const w = 21;
    const h = 13;
    const trainIds = randomLabels(w, h, 19, 3);
    const confidence = Float32Array.from({ length: w * h }, (_, i) => (i % 97) / 96);
    const soft = { channels: 19, height: 2, width: 3, data: Float32Array.from({ length: 19 * 6 }, (_, i) => i / 113) };
    const out = path.join(tmp, 'pil');
    const imagePath = '/x/leftImg8bit/train/ulm/ulm_000001_000019_leftImg8bit.png';
    await exportLabels([{ entry: { id: 'a', imagePath }, width: w, height: h, trainIds, confidence, soft }], { outDir: out, classSet: '19', layouts: ['proda'] });
    const base = path.join(out, 'proda', 'ulm_000001_000019_leftImg8bit');
    const py = [
      'import sys, json, numpy as np',
      'from PIL import Image',
      'b = sys.argv[1]',
      'lab = np.asarray(Image.open(b + ".png")); col = np.asarray(Image.open(b + "_color.png").convert("RGB"))',
      'conf = np.load(b + "_conf.npy"); soft = np.load(b + ".npy")',
      'print(json.dumps({"lab": lab.ravel().tolist(), "labDtype": str(lab.dtype), "col0": col[0, 0].tolist(), "conf": [str(conf.dtype), list(conf.shape), float(conf.ravel()[50])], "soft": [str(soft.dtype), list(soft.shape), float(soft[4, 1, 2])]}))',
    ].join('\n');
    const r = runPython(['-c', py, base]);
    expect(r.stderr).toBe('');
    const j = JSON.parse(r.stdout);
    expect(j.lab).toEqual(Array.from(trainIds));
    expect(j.labDtype).toBe('uint8');
    expect(j.col0).toEqual(Array.from(colorize(trainIds.subarray(0, 1), '19')));
    expect(j.conf.slice(0, 2)).toEqual(['float16', [h, w]]);
    expect(j.conf[2]).toBeCloseTo(confidence[50], 3);
    expect(j.soft.slice(0, 2)).toEqual(['float32', [19, 2, 3]]);
    expect(j.soft[2]).toBeCloseTo(soft.data[4 * 6 + 1 * 3 + 2], 6);
  });
});

describe('label export round-trips through the Cityscapes dataset reader', () => {
  it.each(['19', '16'] as ClassSetId[])('%s classes: readLabel gives back the exported train ids pixel for pixel', async (set) => {
    const classes = set === '19' ? 19 : 16;
    const root = path.join(tmp, `cs-${set}`, 'cityscapes');
    const frames = [
      { city: 'aachen', name: 'aachen_000000_000019', w: 40, h: 20 },
      { city: 'bremen', name: 'bremen_000001_000019', w: 33, h: 17 },
    ];
    for (const f of frames) {
      const rgb = new Uint8Array(f.w * f.h * 3).map((_, i) => (i * 13) % 256);
      await writeFileAtomic(path.join(root, 'leftImg8bit', 'val', f.city, `${f.name}_leftImg8bit.png`), encodePng({ width: f.w, height: f.h, colorType: 2, bitDepth: 8, data: rgb }));
    }
    const ref = { id: 'cs', name: 'cs', format: 'cityscapes' as const, root, split: 'val', role: 'target' as const, classSet: set };
    const before = await openDataset(ref, {});
    const entries = await before.list();
    expect(entries.map((e) => e.name)).toEqual(frames.map((f) => f.name));
    const want = new Map(entries.map((e, k) => [e.id, randomLabels(frames[k].w, frames[k].h, classes, 100 + k)]));
    await exportLabels(
      entries.map((entry, k) => ({ entry, width: frames[k].w, height: frames[k].h, trainIds: want.get(entry.id)! })),
      { outDir: path.dirname(root), classSet: set, layouts: ['cityscapes'] },
    );
    const after = await openDataset(ref, {});
    for (const e of await after.list()) {
      const label = await after.readLabel(e.id);
      expect(label, e.id).not.toBeNull();
      expect(label!.data).toEqual(want.get(e.id));
    }
  });
});
