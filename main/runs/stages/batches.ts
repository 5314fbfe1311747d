// The seeded batches of the training programs. Every random draw of iteration `it` comes from (seed, it, stream),
// so a resumed run repeats the uninterrupted one exactly.
import type { ConfigOf, TrainingConfig } from '../../../shared/runs-config';
import { Rng } from '../../engine/aug/rng';
import { applyWeakImage, applyWeakLabel, sampleWeakParams, type WeakOptions, type WeakParams } from '../../engine/aug/weak';
import { strongAugment, type StrongOp } from '../../engine/aug/strong';
import type { StrongAlignOptions } from '../../engine/aug/align';
import { batchIndices } from '../data-order';
import type { ImageSource } from './data';

/** The random streams of one iteration: source batch, target batch, strong views, corrected-image slots. */
export const STREAM = { source: 1, target: 2, strong: 3, corrected: 4 } as const;

/** An 8-bit raster: an RGB image (3 bytes a pixel) or a label map (1). */
type Raster = { width: number; height: number; data: Uint8Array };
export type LabelRaster = Raster;

const weakOptions = (c: TrainingConfig): WeakOptions => ({
  resize: c.aug.resizeBase,
  scaleRange: c.aug.resizeRange,
  cropWidth: c.aug.cropWidth,
  cropHeight: c.aug.cropHeight,
  flipProb: c.aug.flip ? 0.5 : 0,
});

interface WeakBatch {
  indices: number[];
  images: Raster[];
  labels: LabelRaster[];
  params: WeakParams[];
}

/** The weak views (RandomSized, crop, flip) of one batch of `src`, with their labels when `withLabels`; `pick` may replace indices. */
export async function weakBatch(
  src: ImageSource,
  c: TrainingConfig,
  it: number,
  stream: number,
  withLabels: boolean,
  pick: (indices: number[]) => number[] = (i) => i,
): Promise<WeakBatch> {
  const indices = pick(batchIndices(c.seed, it, c.optim.batchSize, src.size, stream));
  const rng = new Rng(c.seed, it, stream);
  const out: WeakBatch = { indices, images: [], labels: [], params: [] };
  for (const i of indices) {
    const img = await src.image(i);
    const p = sampleWeakParams(rng, img.width, img.height, weakOptions(c));
    out.params.push(p);
    out.images.push(applyWeakImage(img, p));
    if (withLabels) out.labels.push(applyWeakLabel(await src.requireLabel(i), p));
  }
  return out;
}

/** The config's strong-view alignment for the 1/4-crop label maps (defaults correct; the reference's quirks selectable). */
export const strongAlignOf = (c: ConfigOf<'stage1' | 'distill'>): StrongAlignOptions => ({ ...c.strongAlign, scale: 4 });

/** The strong views x^S of a target batch, or the weak crops unchanged (no ops) where the config turns them off. */
export function strongViews(images: WeakBatch['images'], c: { seed: number; strongAug: boolean }, it: number): { image: WeakBatch['images'][number]; ops: StrongOp[] }[] {
  const rng = new Rng(c.seed, it, STREAM.strong);
  return images.map((img) => (c.strongAug ? strongAugment(img, rng) : { image: img, ops: [] }));
}

/** Nearest ×1/4 as F.interpolate(scale_factor=0.25) does it: the pixel at (4i, 4j). */
export function quarterNearest(l: LabelRaster): LabelRaster {
  const w = Math.trunc(l.width / 4);
  const h = Math.trunc(l.height / 4);
  const data = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = l.data[4 * y * l.width + 4 * x];
  return { width: w, height: h, data };
}
