// Colour tables for overlays: class palettes as 256-entry RGBA lookup tables (any byte value maps to a
// colour, so colourising is one table read per pixel) and perceptual heatmap scales with legend data.
import { IGNORE_LABEL } from '../../../shared/classes';
import type { Rgb } from '../../../shared/classes';

/** 256×4 bytes: RGBA for each possible label byte. Ignore and out-of-set ids are transparent. */
export type LabelLut = Uint8Array;
/** 256×3 bytes: RGB for each of 256 evenly spaced positions along a scale. */
export type ScaleLut = Uint8Array;

export function paletteLut(palette: readonly Rgb[], alpha = 255): LabelLut {
  const lut = new Uint8Array(256 * 4);
  palette.forEach((rgb, k) => {
    lut[k * 4] = rgb[0];
    lut[k * 4 + 1] = rgb[1];
    lut[k * 4 + 2] = rgb[2];
    lut[k * 4 + 3] = alpha;
  });
  lut[IGNORE_LABEL * 4 + 3] = 0;
  return lut;
}

/**
 * Which classes a label layer shows. Solo wins over hide: soloing a class shows only it, whatever is
 * hidden, so toggling solo off restores the previous selection.
 */
export function visibleClasses(numClasses: number, hidden: ReadonlySet<number>, solo: number | null): Uint8Array {
  const vis = new Uint8Array(256);
  for (let k = 0; k < numClasses; k++) vis[k] = solo === null ? (hidden.has(k) ? 0 : 1) : k === solo ? 1 : 0;
  return vis;
}

export const scaleNames = ['viridis', 'magma', 'gray'] as const;
export type ScaleName = (typeof scaleNames)[number];

// Anchor colours at 0, 1/8, ..., 1 of the matplotlib scales (CC0); in between is linear in sRGB,
// which stays within a couple of levels of the full 256-entry tables.
const ANCHORS: Record<ScaleName, readonly string[]> = {
  viridis: ['440154', '472c7a', '3b518b', '2c718e', '21908d', '27ad81', '5cc863', 'aadc32', 'fde725'],
  magma: ['000004', '1c1044', '4f127b', '812581', 'b5367a', 'e55064', 'fb8761', 'fec287', 'fcfdbf'],
  gray: ['000000', 'ffffff'],
};

const hex = (s: string): Rgb => [parseInt(s.slice(0, 2), 16), parseInt(s.slice(2, 4), 16), parseInt(s.slice(4, 6), 16)];

const scaleCache = new Map<ScaleName, ScaleLut>();

export function scaleLut(name: ScaleName): ScaleLut {
  const hit = scaleCache.get(name);
  if (hit) return hit;
  const anchors = ANCHORS[name].map(hex);
  const lut = new Uint8Array(256 * 3);
  const segs = anchors.length - 1;
  for (let i = 0; i < 256; i++) {
    const t = (i / 255) * segs;
    const s = Math.min(segs - 1, Math.floor(t));
    const f = t - s;
    for (let c = 0; c < 3; c++) lut[i * 3 + c] = Math.round(anchors[s][c] * (1 - f) + anchors[s + 1][c] * f);
  }
  scaleCache.set(name, lut);
  return lut;
}

export function scaleColor(name: ScaleName, t: number): Rgb {
  const lut = scaleLut(name);
  const i = Math.max(0, Math.min(255, Math.round(t * 255)));
  return [lut[i * 3], lut[i * 3 + 1], lut[i * 3 + 2]];
}

/** CSS `linear-gradient` stops for a legend bar. */
export function legendGradient(name: ScaleName, steps = 9): string {
  const stops: string[] = [];
  for (let i = 0; i < steps; i++) {
    const t = i / (steps - 1);
    const [r, g, b] = scaleColor(name, t);
    stops.push(`rgb(${r},${g},${b}) ${(t * 100).toFixed(1)}%`);
  }
  return `linear-gradient(to right, ${stops.join(', ')})`;
}

export const rgbCss = (rgb: Rgb): string => `rgb(${rgb[0]},${rgb[1]},${rgb[2]})`;
