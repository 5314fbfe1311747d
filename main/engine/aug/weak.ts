import type { LabelImage, RgbImage } from './image';
import { cropChannels, flipChannels, resizeNearest, resizeRgbBilinear } from './image';
import type { Rng } from './rng';

/** What the weak augmentation did, in the reference's terms (`RandomSized` (h,w), `RandomCrop` (y1,y2,x1,x2), flip). */
export interface WeakParams {
  resized: [h: number, w: number];
  crop: [y1: number, y2: number, x1: number, x2: number];
  flip: boolean;
}

export interface WeakOptions {
  /** RandomSized base width (`--resize`, 2200 at paper scale) */
  resize: number;
  scaleRange: [number, number];
  cropWidth: number;
  cropHeight: number;
  flipProb: number;
}

export const WEAK_DEFAULTS: WeakOptions = { resize: 2200, scaleRange: [0.5, 1.5], cropWidth: 896, cropHeight: 512, flipProb: 0.5 };

/**
 * Draws RandomSized (w = ⌊U·resize⌋, h = ⌊w/aspect⌋ with the image's aspect), RandomCrop and the flip for an image of
 * width×height. A resized size smaller than the crop is grown to cover it per side (the reference resizes such an image to the
 * crop size; at paper scale, 2200·0.5 = 1100 > 896, it never happens).
 */
export function sampleWeakParams(rng: Rng, width: number, height: number, options: Partial<WeakOptions> = {}): WeakParams {
  const o = { ...WEAK_DEFAULTS, ...options };
  const aspect = width / height;
  let w = Math.trunc(rng.uniform(o.scaleRange[0], o.scaleRange[1]) * o.resize);
  let h = Math.trunc(w / aspect);
  if (w < o.cropWidth || h < o.cropHeight) {
    w = Math.max(w, o.cropWidth);
    h = Math.max(h, o.cropHeight);
  }
  const x1 = rng.randint(0, w - o.cropWidth);
  const y1 = rng.randint(0, h - o.cropHeight);
  const flip = rng.bool(o.flipProb);
  return { resized: [h, w], crop: [y1, y1 + o.cropHeight, x1, x1 + o.cropWidth], flip };
}

export function applyWeakImage(img: RgbImage, p: WeakParams): RgbImage {
  const [h, w] = p.resized;
  const [y1, y2, x1, x2] = p.crop;
  const r = resizeRgbBilinear(img, w, h);
  const c = cropChannels(r, 3, x1, y1, x2 - x1, y2 - y1);
  return p.flip ? flipChannels(c, 3) : c;
}

/** Labels and hard pseudo-labels: nearest resize (PIL NEAREST), crop, flip. */
export function applyWeakLabel(label: LabelImage, p: WeakParams): LabelImage {
  const [h, w] = p.resized;
  const [y1, y2, x1, x2] = p.crop;
  const r = resizeNearest(label, w, h);
  const c = cropChannels(r, 1, x1, y1, x2 - x1, y2 - y1);
  return p.flip ? flipChannels(c, 1) : c;
}

/** Weak augmentation of an image (and optionally its label) with freshly drawn parameters. */
export function weakAugment(
  img: RgbImage,
  rng: Rng,
  options: Partial<WeakOptions> = {},
  label?: LabelImage,
): { image: RgbImage; label?: LabelImage; params: WeakParams } {
  const params = sampleWeakParams(rng, img.width, img.height, options);
  return { image: applyWeakImage(img, params), label: label ? applyWeakLabel(label, params) : undefined, params };
}
