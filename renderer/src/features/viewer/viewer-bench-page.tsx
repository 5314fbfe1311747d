// Benchmark page (bench/viewer.bench.ts builds and drives it): the real Viewer on a synthetic
// 2048×1024 image with three overlays colourised by the real worker, plus a driver that applies one
// pan/zoom step per animation frame and records frame intervals and Konva draw times.
import { useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { PALETTE_19 } from '../../../../shared/classes';
import type { MapLayer } from '../../../../shared/contract/maps';
import { visibleClasses } from '../../lib/colormaps';
import { OverlayClient } from '../../lib/overlay-client';
import type { OverlayId, OverlaySpec } from '../../lib/overlay-render';
import { Viewer } from './Viewer';
import type { ViewerOverlay } from './Viewer';
import { createViewStore, fitToWindow, pan, setImage, setViewport, zoomBy } from './view-store';
import Konva from 'konva';

const W = 2048;
const H = 1024;
const C = 19;

function synthetic(): { photo: Promise<ImageBitmap>; layers: MapLayer[] } {
  const rgba = new Uint8ClampedArray(W * H * 4);
  const gt = new Uint8Array(W * H);
  const pred = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = y * W + x;
      rgba[i * 4] = (x * 255) / W;
      rgba[i * 4 + 1] = (y * 255) / H;
      rgba[i * 4 + 2] = ((x ^ y) & 255) as number;
      rgba[i * 4 + 3] = 255;
      // Blocky "scene": bands and rectangles of classes, with a shifted copy as the prediction.
      gt[i] = y < H * 0.4 ? 10 : y > H * 0.75 ? 0 : (Math.floor(x / 97) + Math.floor(y / 61)) % C;
      pred[i] = (x + 7) % 211 < 9 ? 13 : gt[i];
    }
  }
  const fw = Math.ceil(W / 8) + 1;
  const fh = Math.ceil(H / 8) + 1;
  const dist = new Float32Array(C * fw * fh);
  for (let k = 0; k < C; k++) for (let i = 0; i < fw * fh; i++) dist[k * fw * fh + i] = 5 + 3 * Math.sin(i * 0.013 + k) + (i % fw) / fw;
  const layers: MapLayer[] = [
    { kind: 'label', id: 'gt', width: W, height: H, data: gt },
    { kind: 'label', id: 'pred', width: W, height: H, data: pred },
    { kind: 'vector', id: 'dist', width: fw, height: fh, channels: C, data: dist },
  ];
  return { photo: createImageBitmap(new ImageData(rgba, W, H)), layers };
}

const store = createViewStore();

function BenchApp() {
  const [photo, setPhoto] = useState<ImageBitmap | null>(null);
  const [overlays, setOverlays] = useState<ViewerOverlay[]>([]);
  useEffect(() => {
    const { photo, layers } = synthetic();
    const client = new OverlayClient();
    client.setMaps('bench', layers, PALETTE_19);
    const spec = (id: OverlayId, outline = false): OverlaySpec => ({
      id,
      cls: 13,
      errorOf: 'pred',
      errorRef: 'gt',
      visible: visibleClasses(C, new Set(), null),
      outline,
      scale: 'viridis',
      range: null,
    });
    const t0 = performance.now();
    Promise.all([photo, client.render('bench', spec('gt')), client.render('bench', spec('pred', true)), client.render('bench', spec('distClass'))]).then(
      ([p, a, b, d]) => {
        (window as unknown as { colouriseMs: number }).colouriseMs = performance.now() - t0;
        setPhoto(p);
        setOverlays([
          { id: 'gt', bitmap: a.bitmap, opacity: 0.5 },
          { id: 'pred', bitmap: b.bitmap, opacity: 0.8 },
          { id: 'distClass', bitmap: d.bitmap, opacity: 0.4 },
        ]);
      },
    );
    setViewport(store, 1280, 720);
    setImage(store, W, H);
  }, []);
  return <Viewer store={store} width={1280} height={720} photo={photo} imageWidth={W} imageHeight={H} overlays={overlays} />;
}

async function run(steps: number): Promise<{ intervals: number[]; draws: number[] }> {
  fitToWindow(store);
  const stage = Konva.stages[0];
  const draws: number[] = [];
  let t = 0;
  for (const layer of stage.getLayers()) {
    layer.on('beforeDraw', () => (t = performance.now()));
    layer.on('draw', () => draws.push(performance.now() - t));
  }
  const intervals: number[] = [];
  let last = await new Promise<number>((r) => requestAnimationFrame(r));
  for (let i = 0; i < steps; i++) {
    // Zoom in towards a point for 20 steps, pan for 30, zoom out for 20, pan back for 30.
    const phase = i % 100;
    if (phase < 20) zoomBy(store, 1.15, { x: 500, y: 300 });
    else if (phase < 50) pan(store, -25, -12);
    else if (phase < 70) zoomBy(store, 1 / 1.15, { x: 700, y: 400 });
    else pan(store, 25, 12);
    const now = await new Promise<number>((r) => requestAnimationFrame(r));
    intervals.push(now - last);
    last = now;
  }
  // Per-layer draw events → per-frame draw time: group consecutive events by frame count.
  return { intervals, draws };
}

/**
 * The CPU cost of one frame with nothing deferred: apply the step, draw every layer now, and read a
 * pixel back from each layer canvas, which forces the canvas to finish rasterising.
 */
async function raster(steps: number): Promise<number[]> {
  fitToWindow(store);
  const stage = Konva.stages[0];
  const out: number[] = [];
  for (let i = 0; i < steps; i++) {
    const phase = i % 100;
    const t0 = performance.now();
    if (phase < 20) zoomBy(store, 1.15, { x: 500, y: 300 });
    else if (phase < 50) pan(store, -25, -12);
    else if (phase < 70) zoomBy(store, 1 / 1.15, { x: 700, y: 400 });
    else pan(store, 25, 12);
    stage.draw();
    for (const layer of stage.getLayers()) layer.getNativeCanvasElement().getContext('2d')!.getImageData(0, 0, 1, 1);
    out.push(performance.now() - t0);
    await new Promise((r) => requestAnimationFrame(r));
  }
  return out;
}

Object.assign(window, { benchRaster: raster, benchRun: run, benchReady: () => Konva.stages[0]?.getLayers()[1]?.getChildren().length === 3 });
createRoot(document.getElementById('root')!).render(<BenchApp />);
