import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { closeViolation, fixture, gradViolation, jsonFixture, mismatches } from '../../../fixtures/parity/proda_fixtures';
import { full2weak, softPseudoToWeak, STRONG_ALIGN_REFERENCE, strongLabel, strongMaps } from './align';
import { resizeNearest } from './image';
import type { StrongOp } from './strong';
import type { WeakParams } from './weak';
import { initBackend } from '../backend';
import { TEST_BACKENDS, values } from '../ops/test-utils';
import { readData } from '../read';

type RefParams = Record<string, [number | boolean | number[]]>;

/** The reference's params dict (sentinel 1e4 = not applied) as an op list in its fixed order. */
function opsFromReference(p: RefParams): StrongOp[] {
  const ops: StrongOp[] = [];
  if (p.Hflip[0] === true) ops.push({ op: 'Hflip' });
  for (const k of ['ShearX', 'ShearY', 'TranslateX', 'TranslateY', 'Rotate'] as const) {
    const v = p[k][0] as number;
    if (v !== 1e4) ops.push({ op: k, v });
  }
  const c = p.CutoutAbs[0] as number[];
  ops.push({ op: 'CutoutAbs', x0: c[0], y0: c[1], x1: c[2], y1: c[3] });
  return ops;
}

describe.each(TEST_BACKENDS)('label/map alignment vs the reference label_strong_T and full2weak on %s', (backend) => {
  beforeAll(async () => {
    await initBackend(backend);
  });

  for (let i = 0; i < 4; i++) {
    it(`strong-view transform case ${i} (labels exact, distance maps 1e-5)`, async () => {
      const ops = opsFromReference(jsonFixture<RefParams>(`align${i}`));
      const lab = fixture(`align${i}`, 'label');
      const [, H, W] = lab.shape;
      const out = strongLabel(lab.data as Int32Array, H, W, ops, STRONG_ALIGN_REFERENCE);
      expect(mismatches(out, fixture(`align${i}`, 'label_strong').data)).toBe(0);
      const d = fixture(`align${i}`, 'dist');
      const got = await values(() => strongMaps(tf.tensor4d(d.data, d.shape as [number, number, number, number]), [ops], STRONG_ALIGN_REFERENCE));
      expect(closeViolation(got, fixture(`align${i}`, 'dist_strong').data)).toBe(0);
    });
  }

  it('the clean TranslateX (2v/W) differs from the reference bug on a non-square map', () => {
    const ops: StrongOp[] = [{ op: 'TranslateX', v: 16 }];
    const lab = Int32Array.from({ length: 12 * 16 }, (_, i) => i % 16);
    const bug = strongLabel(lab, 12, 16, ops, STRONG_ALIGN_REFERENCE);
    const clean = strongLabel(lab, 12, 16, ops, { scale: 4 });
    // clean: shift by exactly v/4 = 4 columns; output column j reads input column j+4
    expect(clean[0]).toBe(4);
    expect(clean[11]).toBe(15);
    expect(clean[12]).toBe(250);
    expect(mismatches(bug, clean)).toBeGreaterThan(0);
  });

  it('full2weak: resize (align_corners), crop, flip', async () => {
    const p = jsonFixture<{ RandomSized: number[][]; RandomCrop: number[][]; RandomHorizontallyFlip: boolean[] }>('full2weak');
    const params: WeakParams[] = [0, 1].map((n) => ({
      resized: [p.RandomSized[0][n], p.RandomSized[1][n]],
      crop: [p.RandomCrop[0][n], p.RandomCrop[1][n], p.RandomCrop[2][n], p.RandomCrop[3][n]],
      flip: p.RandomHorizontallyFlip[n],
    }));
    const f = fixture('full2weak', 'feat');
    const got = await values(() => full2weak(tf.tensor4d(f.data, f.shape as [number, number, number, number]), params));
    // interpolation weights are combined in a different order than torch's: compare like gradients
    expect(gradViolation(got, fixture('full2weak', 'weak').data)).toBe(0);
  });

  it('soft pseudo-label (1/8 full) into the weak view at 1/4 crop', async () => {
    const p = jsonFixture<{ RandomSized: number[][]; RandomCrop: number[][]; RandomHorizontallyFlip: boolean[] }>('full2weak');
    const params: WeakParams[] = [0, 1].map((n) => ({
      resized: [p.RandomSized[0][n], p.RandomSized[1][n]],
      crop: [p.RandomCrop[0][n], p.RandomCrop[1][n], p.RandomCrop[2][n], p.RandomCrop[3][n]],
      flip: p.RandomHorizontallyFlip[n],
    }));
    const f = fixture('softweak', 'lpsoft');
    const expected = fixture('softweak', 'weak');
    const got = await values(() => {
      const out = softPseudoToWeak(tf.tensor4d(f.data, f.shape as [number, number, number, number]), [48, 96], params);
      expect(out.shape).toEqual(expected.shape);
      return out;
    });
    expect(gradViolation(got, expected.data)).toBe(0);
  });

  it("stage 1's soft label on a non-square image: RandomSized, crop and flip as the image, then ×1/4", async () => {
    const p = jsonFixture<{ full: [number, number]; RandomSized: number[][]; RandomCrop: number[][]; RandomHorizontallyFlip: boolean[] }>('softroute');
    const params: WeakParams[] = [0, 1].map((n) => ({
      resized: [p.RandomSized[0][n], p.RandomSized[1][n]],
      crop: [p.RandomCrop[0][n], p.RandomCrop[1][n], p.RandomCrop[2][n], p.RandomCrop[3][n]],
      flip: p.RandomHorizontallyFlip[n],
    }));
    expect(params.map((q) => q.flip)).toEqual([false, true]);
    const f = fixture('softroute', 'lpsoft');
    const expected = fixture('softroute', 'weak');
    const [H, W] = p.full;
    const before = tf.memory().numTensors;
    const soft = tf.tensor4d(f.data, f.shape as [number, number, number, number]);
    const out = softPseudoToWeak(soft, [H, W], params);
    expect(out.shape).toEqual(expected.shape);
    expect(gradViolation(await readData(out), expected.data)).toBe(0);
    // The route stage 1 used before (stored map to 1/4 of the full image, then full2weak) is another function.
    const old = await values(() => full2weak(tf.image.resizeBilinear(soft, [Math.trunc(H / 4), Math.trunc(W / 4)], true), params));
    let worst = 0;
    for (let i = 0; i < old.length; i++) worst = Math.max(worst, Math.abs(old[i] - expected.data[i]));
    expect(worst).toBeGreaterThan(0.05);
    tf.dispose([soft, out]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('label resize matches PIL NEAREST', () => {
    const sizes = jsonFixture<{ sizes: [number, number][] }>('nearest').sizes;
    sizes.forEach(([h, w], j) => {
      const src = fixture(`nearest${j}`, 'src');
      const out = resizeNearest({ height: src.shape[0], width: src.shape[1], data: Uint8Array.from(src.data) }, w, h);
      expect(mismatches(out.data, fixture(`nearest${j}`, 'out').data)).toBe(0);
    });
  });
});
