import { describe, expect, it } from 'vitest';
import { PALETTE_19 } from '../../../shared/classes';
import type { LabelLayer, MapLayer, VectorLayer } from '../../../shared/contract/maps';
import { percentileRange, legendTicks, scaleIndex } from './heatmap-scale';
import { argmax, channelMin, entropy, flippedShare, resampleNearest } from './map-layers';
import { visibleClasses } from './colormaps';
import { availableOverlays, heatmapValues, renderOverlay } from './overlay-render';
import type { OverlaySpec } from './overlay-render';
import { inspectPixel, rankClasses } from './pixel-inspect';

// 2 classes on a 2×1 grid, channel-first.
const vec = (id: VectorLayer['id'], data: number[], channels = 2, width = 2, height = 1): VectorLayer => ({
  kind: 'vector',
  id,
  width,
  height,
  channels,
  data: new Float32Array(data),
});
const lab = (id: LabelLayer['id'], data: number[], width: number, height: number): LabelLayer => ({
  kind: 'label',
  id,
  width,
  height,
  data: new Uint8Array(data),
});

describe('reductions', () => {
  it('argmax, min and entropy over channels', () => {
    const p = vec('probs', [0.9, 0.5, 0.1, 0.5]);
    expect(Array.from(argmax(p))).toEqual([0, 0]);
    expect(Array.from(argmax(vec('probs', [0.2, 0.7, 0.8, 0.3])))).toEqual([1, 0]);
    expect(Array.from(channelMin(vec('dist', [3, 1, 2, 4])))).toEqual([2, 1]);
    const h = entropy(p);
    expect(h[1]).toBeCloseTo(Math.log(2), 6);
    expect(h[0]).toBeCloseTo(-(0.9 * Math.log(0.9) + 0.1 * Math.log(0.1)), 6);
  });

  it('nearest resampling follows the area cell rule', () => {
    const up = resampleNearest(new Uint8Array([1, 2]), { width: 2, height: 1 }, { width: 4, height: 2 });
    expect(Array.from(up)).toEqual([1, 1, 2, 2, 1, 1, 2, 2]);
    const down = resampleNearest(new Uint8Array([1, 2, 3, 4]), { width: 4, height: 1 }, { width: 2, height: 1 });
    expect(Array.from(down)).toEqual([2, 4]);
  });

  it('flipped share counts changed pixels', () => {
    expect(flippedShare(lab('raw', [0, 1, 2, 3], 4, 1), lab('denoised', [0, 1, 5, 5], 4, 1))).toBe(0.5);
  });
});

describe('heatmap scaling', () => {
  it('robust range clips outliers; constant input gets a non-empty range', () => {
    const v = new Float32Array(1000).map((_, i) => i / 999);
    v[0] = -1000;
    v[999] = 1000;
    const r = percentileRange(v, 2, 98);
    expect(r.min).toBeGreaterThan(-1);
    expect(r.min).toBeLessThan(0.1);
    expect(r.max).toBeLessThan(1.1);
    expect(r.max).toBeGreaterThan(0.9);
    expect(percentileRange(new Float32Array([3, 3, 3]))).toEqual({ min: 3, max: 4 });
    expect(percentileRange(new Float32Array([NaN]))).toEqual({ min: 0, max: 1 });
  });

  it('indices and ticks', () => {
    expect(scaleIndex(5, { min: 0, max: 10 })).toBe(128);
    expect(scaleIndex(Infinity, { min: 0, max: 10 })).toBe(-1);
    expect(legendTicks({ min: 0, max: 2 }, 3).map((t) => t.label)).toEqual(['0.00', '1.00', '2.00']);
  });
});

describe('overlays and the pixel inspector', () => {
  // Image 4×2; labels at full res; vectors at 2×1 (the "1/2" output).
  const layers: MapLayer[] = [
    lab('gt', [0, 0, 1, 1, 0, 0, 1, 250], 4, 2),
    lab('pred', [0, 1, 1, 1, 0, 0, 1, 1], 4, 2),
    lab('raw', [0, 0], 2, 1),
    lab('denoised', [0, 1], 2, 1),
    vec('probs', [0.8, 0.3, 0.2, 0.7]),
    vec('dist', [1, 5, 4, 0.5]),
    vec('omega', [0.95, 0.01, 0.05, 0.99]),
  ];
  const spec = (over: Partial<OverlaySpec>): OverlaySpec => ({
    id: 'gt',
    cls: null,
    errorOf: 'pred',
    errorRef: 'gt',
    visible: visibleClasses(19, new Set(), null),
    outline: false,
    scale: 'viridis',
    range: null,
    ...over,
  });

  it('lists what the maps can draw', () => {
    expect(availableOverlays(layers)).toEqual([
      'gt', 'pred', 'raw', 'denoised', 'flips', 'distClass', 'distNearest', 'omega', 'confidence', 'entropy', 'error',
    ]);
    expect(availableOverlays([layers[0]])).toEqual(['gt']);
  });

  it('distance to a chosen class and ω are that channel', () => {
    expect(Array.from(heatmapValues(layers, 'distClass', 1).values)).toEqual([4, 0.5]);
    expect(Array.from(heatmapValues(layers, 'omega', 0).values)).toEqual([0.949999988079071, 0.009999999776482582]);
    expect(Array.from(heatmapValues(layers, 'confidence', null).values)).toEqual([0.800000011920929, 0.699999988079071]);
  });

  it('renders the error map on the reference grid', () => {
    const r = renderOverlay(layers, spec({ id: 'error' }), PALETTE_19);
    expect([r.width, r.height]).toEqual([4, 2]);
    const alpha = Array.from({ length: 8 }, (_, i) => r.rgba[i * 4 + 3]);
    // pixel 1 is wrong; pixel 7 has ignore GT.
    expect(alpha).toEqual([0, 255, 0, 0, 0, 0, 0, 0]);
  });

  it('renders heatmaps with natural or robust ranges', () => {
    expect(renderOverlay(layers, spec({ id: 'omega', cls: 0 }), PALETTE_19).range).toEqual({ min: 0, max: 1 });
    const d = renderOverlay(layers, spec({ id: 'distNearest' }), PALETTE_19);
    expect(d.range!.min).toBeGreaterThanOrEqual(0.5);
    expect(d.range!.max).toBeLessThanOrEqual(1);
    expect(() => renderOverlay(layers, spec({ id: 'hard' }), PALETTE_19)).toThrow(/no 'hard' label layer/);
  });

  it('reads every layer at the cell under a pixel', () => {
    const v = inspectPixel(layers, 4, 2, 3, 1);
    expect(v.labels).toEqual({ gt: 250, pred: 1, raw: 0, denoised: 1 });
    expect(v.vectors.probs.map((x) => +x.toFixed(3))).toEqual([0.3, 0.7]);
    expect(v.vectors.dist).toEqual([5, 0.5]);
    expect(inspectPixel(layers, 4, 2, 1.7, 0.2).labels).toEqual({ gt: 0, pred: 1, raw: 0, denoised: 0 });
    expect(inspectPixel(layers, 4, 2, 9, 0).labels).toEqual({});
    expect(rankClasses([0.2, 0.5, 0.3], false)).toEqual([1, 2, 0]);
    expect(rankClasses([3, 1, 2], true)).toEqual([1, 2, 0]);
  });
});
