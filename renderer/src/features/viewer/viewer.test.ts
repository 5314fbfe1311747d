import { describe, expect, it } from 'vitest';
import { actionForKey } from './shortcuts';
import { fitView, panBy, screenPx, toImage, toScreen, imagePx, zoomAt, wheelFactor, MAX_SCALE } from './view-math';
import {
  drawOrder,
  initialViewerState,
  setCompare,
  show,
  soloClass,
  stepOpacity,
  toggleClass,
  toggleNth,
} from './viewer-state';

describe('view math', () => {
  it('fits and centres the image', () => {
    const v = fitView(2048, 1024, 1040, 536, 8);
    expect(v.scale).toBeCloseTo(0.5, 9);
    expect(v.x).toBeCloseTo(8, 9);
    expect(v.y).toBeCloseTo(12, 9);
  });

  it('zooming keeps the point under the cursor fixed, and round-trips coordinates', () => {
    const v = { scale: 0.5, x: 10, y: 20 };
    const at = screenPx(300, 200);
    const before = toImage(v, at);
    const z = zoomAt(v, 4, at);
    expect(z.scale).toBe(2);
    const after = toImage(z, at);
    expect(after.x).toBeCloseTo(before.x, 9);
    expect(after.y).toBeCloseTo(before.y, 9);
    const p = toScreen(z, imagePx(17, 33));
    expect(toImage(z, p)).toEqual({ x: 17, y: 33 });
    expect(zoomAt(v, 1e6, at).scale).toBe(MAX_SCALE);
    expect(panBy(v, 5, -5)).toEqual({ scale: 0.5, x: 15, y: 15 });
    expect(wheelFactor(-100)).toBeGreaterThan(1);
    expect(wheelFactor(100)).toBeLessThan(1);
  });
});

describe('viewer state', () => {
  it('toggles the n-th available layer; heatmaps are exclusive', () => {
    const avail = ['gt', 'denoised', 'flips', 'distClass', 'omega'] as const;
    let s = toggleNth(initialViewerState(), avail, 2);
    expect(drawOrder(s).map((o) => o.id)).toEqual(['denoised']);
    s = toggleNth(s, avail, 3);
    s = toggleNth(s, avail, 4);
    s = toggleNth(s, avail, 5);
    expect(drawOrder(s).map((o) => o.id)).toEqual(['denoised', 'omega', 'flips']);
    s = toggleNth(s, avail, 2);
    expect(drawOrder(s).map((o) => o.id)).toEqual(['omega', 'flips']);
    expect(toggleNth(s, avail, 9)).toBe(s);
  });

  it('steps opacity of shown layers within 0..1', () => {
    let s = show(initialViewerState(), 'gt');
    for (let i = 0; i < 10; i++) s = stepOpacity(s, 0.1);
    expect(s.overlays.find((o) => o.id === 'gt')!.opacity).toBe(1);
    expect(s.overlays.find((o) => o.id === 'pred')!.opacity).toBe(0.6);
    s = stepOpacity(s, -0.3);
    expect(s.overlays.find((o) => o.id === 'gt')!.opacity).toBe(0.7);
  });

  it('hides, shows and solos classes', () => {
    let s = toggleClass(initialViewerState(), 'gt', 13);
    s = toggleClass(s, 'gt', 2);
    expect(s.overlays[0].hidden).toEqual([2, 13]);
    s = toggleClass(s, 'gt', 13);
    expect(s.overlays[0].hidden).toEqual([2]);
    s = soloClass(s, 'gt', 5);
    expect(s.overlays[0].solo).toBe(5);
    expect(soloClass(s, 'gt', 5).overlays[0].solo).toBeNull();
    expect(setCompare(s, { split: 3 }).compare.split).toBe(1);
  });
});

describe('shortcuts', () => {
  it('maps keys to actions', () => {
    expect(actionForKey({ key: '3' })).toEqual({ type: 'toggleLayer', n: 3 });
    expect(actionForKey({ key: 'ArrowRight' })).toEqual({ type: 'nextImage' });
    expect(actionForKey({ key: 'ArrowRight', shiftKey: true })).toEqual({ type: 'pan', dx: -64, dy: 0 });
    expect(actionForKey({ key: 'w' })).toEqual({ type: 'nextWorst' });
    expect(actionForKey({ key: ']' })).toEqual({ type: 'opacity', delta: 0.1 });
    expect(actionForKey({ key: 'w', ctrlKey: true })).toBeNull();
    expect(actionForKey({ key: 'x' })).toBeNull();
  });
});

describe('viewport culling', () => {
  it('crops each bitmap to the visible part, snapped to its own pixels', async () => {
    const { visibleImageRect, cropFor } = await import('./view-math');
    // 2048×1024 image at scale 4, shifted so image x 100..420, y 50..230 are visible in 1280×720.
    const vis = visibleImageRect({ scale: 4, x: -400, y: -200 }, 1280, 720, 2048, 1024);
    expect(vis).toEqual({ x: 100, y: 50, width: 320, height: 180 });
    const full = cropFor(vis, 2048, 1024, 2048, 1024);
    expect(full.crop).toEqual(vis);
    expect(full.dest).toEqual(vis);
    // A 1/8 heatmap (256×128): crop snaps outwards to whole cells.
    const low = cropFor(vis, 256, 128, 2048, 1024);
    expect(low.crop).toEqual({ x: 12, y: 6, width: 41, height: 23 });
    expect(low.dest).toEqual({ x: 96, y: 48, width: 328, height: 184 });
    expect(visibleImageRect({ scale: 1, x: 5000, y: 0 }, 1280, 720, 2048, 1024).width).toBe(0);
  });
});
