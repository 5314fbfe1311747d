import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PALETTE_19 } from '../../../shared/classes';
import type { MapLayer } from '../../../shared/contract/maps';
import { visibleClasses } from './colormaps';
import { OverlayClient } from './overlay-client';
import type { ToWorker } from './overlay-protocol';

// Node has no ImageData/createImageBitmap: minimal stand-ins that keep the size.
const g = globalThis as unknown as Record<string, unknown>;
const saved = { ImageData: g.ImageData, createImageBitmap: g.createImageBitmap };
beforeAll(() => {
  g.ImageData = class {
    constructor(
      readonly data: Uint8ClampedArray,
      readonly width: number,
      readonly height: number,
    ) {}
  };
  g.createImageBitmap = async (img: { width: number; height: number }) => ({ width: img.width, height: img.height, close() {} });
});
afterAll(() => Object.assign(g, saved));

const layers: MapLayer[] = [{ kind: 'label', id: 'gt', width: 3, height: 2, data: new Uint8Array([0, 1, 2, 3, 4, 250]) }];
const spec = { id: 'gt' as const, cls: null, errorOf: 'pred' as const, errorRef: 'gt' as const, visible: visibleClasses(19, new Set(), null), outline: false, scale: 'viridis' as const, range: null };

class FakeWorker {
  posted: ToWorker[] = [];
  onmessage: ((e: MessageEvent) => void) | null = null;
  onerror: (() => void) | null = null;
  terminated = false;
  postMessage(m: ToWorker) {
    this.posted.push(m);
  }
  terminate() {
    this.terminated = true;
  }
}

describe('OverlayClient', () => {
  it('sends maps once and renders through the worker', async () => {
    const w = new FakeWorker();
    const c = new OverlayClient(() => w as unknown as Worker);
    c.setMaps('k', layers, PALETTE_19);
    const p = c.render('k', spec);
    expect(w.posted.map((m) => m.type)).toEqual(['maps', 'render']);
    const id = (w.posted[1] as { id: number }).id;
    w.onmessage!({ data: { type: 'rendered', id, bitmap: { width: 3, height: 2 }, width: 3, height: 2, range: null, ms: 1 } } as MessageEvent);
    await expect(p).resolves.toMatchObject({ width: 3, height: 2 });
  });

  it('finishes pending renders on the main thread when the worker fails to load', async () => {
    const w = new FakeWorker();
    const c = new OverlayClient(() => w as unknown as Worker);
    c.setMaps('k', layers, PALETTE_19);
    const p = c.render('k', spec);
    w.onerror!();
    expect(w.terminated).toBe(true);
    await expect(p).resolves.toMatchObject({ width: 3, height: 2, range: null });
    // Later renders stay local.
    await expect(c.render('k', spec)).resolves.toMatchObject({ width: 3 });
    expect(w.posted.length).toBe(2);
  });
});
