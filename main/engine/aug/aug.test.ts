import { describe, expect, it } from 'vitest';
import { strongLabel } from './align';
import { Rng } from './rng';
import { applyStrongOps, sampleStrongOps, STRONG_DEFAULTS, strongAugment } from './strong';
import { applyWeakImage, applyWeakLabel, sampleWeakParams } from './weak';

const ramp = (w: number, h: number): { width: number; height: number; data: Uint8Array } => {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set([x * 4, y * 4, 100], (y * w + x) * 3);
  return { width: w, height: h, data };
};

describe('seeded RNG', () => {
  it('replays from its seed and separates streams', () => {
    const a = new Rng(1337, 3);
    const b = new Rng(1337, 3);
    const c = new Rng(1337, 4);
    const xs = Array.from({ length: 5 }, () => a.random());
    expect(Array.from({ length: 5 }, () => b.random())).toEqual(xs);
    expect(c.random()).not.toBe(xs[0]);
    for (let i = 0; i < 200; i++) {
      const r = a.randint(1, 9);
      expect(r >= 1 && r <= 9).toBe(true);
    }
  });
});

describe('weak augmentation', () => {
  it('records RandomSized, RandomCrop and flip, and label follows image geometry', () => {
    const rng = new Rng(7);
    const p = sampleWeakParams(rng, 64, 32, { resize: 64, cropWidth: 40, cropHeight: 16 });
    const [h, w] = p.resized;
    expect(w).toBeGreaterThanOrEqual(40);
    expect(h).toBe(Math.max(Math.trunc(w / 2), 16));
    expect(p.crop[1] - p.crop[0]).toBe(16);
    expect(p.crop[3] - p.crop[2]).toBe(40);
    expect(p.crop[3]).toBeLessThanOrEqual(w);
    const img = applyWeakImage(ramp(64, 32), p);
    expect([img.width, img.height]).toEqual([40, 16]);
    // a label whose value is the source column: after the same weak aug it tracks the image's red ramp
    const label = { width: 64, height: 32, data: Uint8Array.from({ length: 64 * 32 }, (_, i) => i % 64) };
    const l = applyWeakLabel(label, { ...p, flip: true });
    const l0 = applyWeakLabel(label, { ...p, flip: false });
    expect(l.data[0]).toBe(l0.data[39]);
  });
});

describe('strong augmentation', () => {
  it('is deterministic per seed, records ordered ops, always ends with the cutout', () => {
    const img = ramp(48, 30);
    const a = strongAugment(img, new Rng(11));
    const b = strongAugment(img, new Rng(11));
    expect(a.ops).toEqual(b.ops);
    expect(a.image.data).toEqual(b.image.data);
    expect(applyStrongOps(img, a.ops).data).toEqual(a.image.data);
    const last = a.ops[a.ops.length - 1];
    expect(last.op).toBe('CutoutAbs');
    if (last.op === 'CutoutAbs') expect(last.x1 - last.x0).toBeLessThanOrEqual(10); // min(48,30)//3
  });

  it('draws magnitudes in range over many seeds', () => {
    const seen = new Set<string>();
    for (let s = 0; s < 300; s++) {
      for (const op of sampleStrongOps(new Rng(s), 896, 512)) {
        seen.add(op.op);
        if (op.op === 'Rotate') expect(Math.abs(op.v) >= 3 && Math.abs(op.v) <= 27).toBe(true);
        if (op.op === 'ShearX' || op.op === 'ShearY') expect(Math.abs(op.v)).toBeLessThanOrEqual(0.27 + 1e-12);
        if (op.op === 'TranslateX') expect(Math.abs(op.v)).toBeLessThanOrEqual(Math.trunc(0.27 * 896));
        if (op.op === 'Brightness') expect(op.factor >= 0.14 - 1e-12 && op.factor <= 0.86 + 1e-12).toBe(true);
        if (op.op === 'Posterize') expect(op.bits >= 4 && op.bits <= 7).toBe(true);
        if (op.op === 'Solarize') expect(op.threshold >= 256 - 230 && op.threshold <= 256 - 25).toBe(true);
        if (op.op === 'CutoutAbs') expect(op.x1 - op.x0).toBeLessThanOrEqual(170);
      }
    }
    expect(seen.size).toBeGreaterThanOrEqual(14);
  });

  it('label transform in recorded order agrees with the image for flip + translation + cutout', () => {
    const W = 32;
    const H = 16;
    const img = ramp(W, H);
    const ops = [{ op: 'Hflip' as const }, { op: 'TranslateX' as const, v: 4 }, { op: 'CutoutAbs' as const, x0: 0, y0: 0, x1: 8, y1: 4 }];
    const out = applyStrongOps(img, ops, STRONG_DEFAULTS);
    const label = Int32Array.from({ length: W * H }, (_, i) => i % W);
    const lab = strongLabel(label, H, W, ops, { scale: 1 });
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const l = lab[y * W + x];
        const r = out.data[(y * W + x) * 3];
        if (l === 250) expect(r === 127 || r === 128).toBe(true);
        else expect(r).toBe(l * 4);
      }
    }
  });

  it('label transform follows the image through rotate, shear and translate in recorded order', () => {
    const W = 48;
    const H = 32;
    const img = ramp(W, H); // R = 4x, G = 4y
    const ops = [
      { op: 'Rotate' as const, v: 13 },
      { op: 'ShearX' as const, v: 0.12 },
      { op: 'TranslateY' as const, v: -3 },
      { op: 'ShearY' as const, v: -0.09 },
      { op: 'TranslateX' as const, v: 5 },
    ];
    const out = applyStrongOps(img, ops);
    const cols = Int32Array.from({ length: W * H }, (_, i) => i % W);
    const rows = Int32Array.from({ length: W * H }, (_, i) => Math.floor(i / W));
    // mean and max |image coordinate − label coordinate| over pixels in view (nearest sampling errors of ±½ px compound
    // over the chain, so the max bound is ½ px per op; the mean stays well under a pixel when the geometry agrees)
    const errors = (order: 'recorded' | 'fixed-reference') => {
      const lc = strongLabel(cols, H, W, ops, { scale: 1, order });
      const lr = strongLabel(rows, H, W, ops, { scale: 1, order });
      let max = 0;
      let sum = 0;
      let n = 0;
      for (let y = 2; y < H - 2; y++) {
        for (let x = 2; x < W - 2; x++) {
          const i = y * W + x;
          // B is 100 everywhere in the ramp: B ≠ 100 marks pixels blended with the grey fill at an intermediate border
          if (lc[i] === 250 || out.data[i * 3 + 2] !== 100) continue;
          const e = Math.max(Math.abs(out.data[i * 3] / 4 - lc[i]), Math.abs(out.data[i * 3 + 1] / 4 - lr[i]));
          max = Math.max(max, e);
          sum += e;
          n++;
        }
      }
      return { max, mean: sum / n, n };
    };
    const rec = errors('recorded');
    expect(rec.n).toBeGreaterThan(W * H * 0.4);
    expect(rec.max).toBeLessThanOrEqual(0.5 * ops.length + 0.5);
    expect(rec.mean).toBeLessThan(0.6);
    // the reference's fixed order (shears and translations before the rotation) misplaces the labels
    expect(errors('fixed-reference').mean).toBeGreaterThan(2 * rec.mean);
  });
});
