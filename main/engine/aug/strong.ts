import type { RgbImage } from './image';
import {
  affineRgb,
  autoContrast,
  brightness,
  color,
  contrast,
  equalize,
  fillRect,
  flipChannels,
  posterize,
  rotateRgb,
  sharpness,
  solarize,
} from './image';
import type { Rng } from './rng';

/**
 * One applied strong-augmentation op with the exact parameter it used. Geometric ones (Hflip, Shear, Translate, Rotate,
 * CutoutAbs) are what the label/map alignment replays; the list is in application order.
 */
export type StrongOp =
  | { op: 'Hflip' }
  | { op: 'AutoContrast' | 'Equalize' | 'Identity' }
  | { op: 'Brightness' | 'Color' | 'Contrast' | 'Sharpness'; factor: number }
  | { op: 'Posterize'; bits: number }
  | { op: 'Solarize'; threshold: number }
  /** shear factor (PIL affine coefficient), signed */
  | { op: 'ShearX' | 'ShearY'; v: number }
  /** translation in image pixels, signed */
  | { op: 'TranslateX' | 'TranslateY'; v: number }
  /** degrees, counter-clockwise, signed */
  | { op: 'Rotate'; v: number }
  /** filled rectangle [x0,x1)×[y0,y1) in image pixels */
  | { op: 'CutoutAbs'; x0: number; y0: number; x1: number; y1: number };

export type StrongOpName = StrongOp['op'];

/** The FixMatch pool ProDA draws from: (name, max magnitude, bias); magnitude value = v·max/10 + bias. */
export const FIXMATCH_POOL: readonly (readonly [StrongOpName, number, number])[] = [
  ['AutoContrast', 0, 0],
  ['Brightness', 0.9, 0.05],
  ['Color', 0.9, 0.05],
  ['Contrast', 0.9, 0.05],
  ['Equalize', 0, 0],
  ['Identity', 0, 0],
  ['Posterize', 4, 4],
  ['Rotate', 30, 0],
  ['Sharpness', 0.9, 0.05],
  ['ShearX', 0.3, 0],
  ['ShearY', 0.3, 0],
  ['Solarize', 256, 0],
  ['TranslateX', 0.3, 0],
  ['TranslateY', 0.3, 0],
];

export interface StrongOptions {
  /** ops drawn with replacement (RandAugmentMC n) */
  n: number;
  /** magnitudes are randint(1, m−1) (RandAugmentMC m) */
  m: number;
  /** probability of each drawn op being applied */
  opProb: number;
  flipProb: number;
  /** always-on CutoutAbs of side min(W,H)//3 (false disables it, e.g. for tests) */
  cutout: boolean;
  /** grey used by geometric ops outside the image */
  fill: number;
  /** grey of the cutout square */
  cutoutFill: number;
}

export const STRONG_DEFAULTS: StrongOptions = { n: 2, m: 10, opProb: 0.5, flipProb: 0.5, cutout: true, fill: 128, cutoutFill: 127 };

const PARAMETER_MAX = 10;

/** Draws the ordered list of ops for a W×H strong view (RandAugmentMC(2, 10) + CutoutAbs) from `rng`. */
export function sampleStrongOps(rng: Rng, width: number, height: number, options: Partial<StrongOptions> = {}): StrongOp[] {
  const o = { ...STRONG_DEFAULTS, ...options };
  const ops: StrongOp[] = [];
  if (rng.bool(o.flipProb)) ops.push({ op: 'Hflip' });
  for (let i = 0; i < o.n; i++) {
    const [name, maxV, bias] = rng.choice(FIXMATCH_POOL);
    const v = rng.randint(1, o.m - 1);
    if (!rng.bool(o.opProb)) continue;
    const fv = (v * maxV) / PARAMETER_MAX + bias;
    const iv = Math.trunc((v * maxV) / PARAMETER_MAX) + bias;
    const sign = (): number => (rng.bool(0.5) ? -1 : 1);
    switch (name) {
      case 'AutoContrast':
      case 'Equalize':
      case 'Identity':
        ops.push({ op: name });
        break;
      case 'Brightness':
      case 'Color':
      case 'Contrast':
      case 'Sharpness':
        ops.push({ op: name, factor: fv });
        break;
      case 'Posterize':
        ops.push({ op: 'Posterize', bits: iv });
        break;
      case 'Solarize':
        ops.push({ op: 'Solarize', threshold: 256 - iv });
        break;
      case 'Rotate':
        ops.push({ op: 'Rotate', v: sign() * iv });
        break;
      case 'ShearX':
      case 'ShearY':
        ops.push({ op: name, v: sign() * fv });
        break;
      case 'TranslateX':
        ops.push({ op: 'TranslateX', v: Math.trunc(sign() * fv * width) });
        break;
      case 'TranslateY':
        ops.push({ op: 'TranslateY', v: Math.trunc(sign() * fv * height) });
        break;
      default:
        throw new Error(`sampleStrongOps: op ${name} is not in the pool`);
    }
  }
  if (o.cutout) {
    const side = Math.floor(Math.min(width, height) / 3);
    const cx = rng.uniform(0, width);
    const cy = rng.uniform(0, height);
    const x0 = Math.trunc(Math.max(0, cx - side / 2));
    const y0 = Math.trunc(Math.max(0, cy - side / 2));
    ops.push({ op: 'CutoutAbs', x0, y0, x1: Math.trunc(Math.min(width, x0 + side)), y1: Math.trunc(Math.min(height, y0 + side)) });
  }
  return ops;
}

/** Replays a recorded op list on an RGB image (deterministic; the same list gives the same image). */
export function applyStrongOps(img: RgbImage, ops: readonly StrongOp[], options: Partial<StrongOptions> = {}): RgbImage {
  const o = { ...STRONG_DEFAULTS, ...options };
  let out = img;
  for (const op of ops) {
    switch (op.op) {
      case 'Hflip':
        out = flipChannels(out, 3);
        break;
      case 'AutoContrast':
        out = autoContrast(out);
        break;
      case 'Equalize':
        out = equalize(out);
        break;
      case 'Identity':
        break;
      case 'Brightness':
        out = brightness(out, op.factor);
        break;
      case 'Color':
        out = color(out, op.factor);
        break;
      case 'Contrast':
        out = contrast(out, op.factor);
        break;
      case 'Sharpness':
        out = sharpness(out, op.factor);
        break;
      case 'Posterize':
        out = posterize(out, op.bits);
        break;
      case 'Solarize':
        out = solarize(out, op.threshold);
        break;
      case 'Rotate':
        out = rotateRgb(out, op.v, o.fill);
        break;
      case 'ShearX':
        out = affineRgb(out, [1, op.v, 0, 0, 1, 0], o.fill);
        break;
      case 'ShearY':
        out = affineRgb(out, [1, 0, 0, op.v, 1, 0], o.fill);
        break;
      case 'TranslateX':
        out = affineRgb(out, [1, 0, op.v, 0, 1, 0], o.fill);
        break;
      case 'TranslateY':
        out = affineRgb(out, [1, 0, 0, 0, 1, op.v], o.fill);
        break;
      case 'CutoutAbs':
        out = fillRect(out, op.x0, op.y0, op.x1, op.y1, o.cutoutFill);
        break;
    }
  }
  return out;
}

/** Draw and apply in one go: the strong view of a weak crop plus the ordered list of what was done. */
export function strongAugment(img: RgbImage, rng: Rng, options: Partial<StrongOptions> = {}): { image: RgbImage; ops: StrongOp[] } {
  const ops = sampleStrongOps(rng, img.width, img.height, options);
  return { image: applyStrongOps(img, ops, options), ops };
}
