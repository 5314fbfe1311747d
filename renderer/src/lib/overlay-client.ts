// Main-thread side of the overlay worker: one worker, maps registered per image key, renders as
// promises. Where workers are unavailable it renders in-thread (same pure code), which is slower
// but correct.
import type { MapLayer } from '../../../shared/contract/maps';
import type { Rgb } from '../../../shared/classes';
import type { ValueRange } from './heatmap-scale';
import type { FromWorker, ToWorker } from './overlay-protocol';
import { renderOverlay } from './overlay-render';
import type { OverlaySpec } from './overlay-render';

export interface OverlayBitmap {
  bitmap: ImageBitmap;
  width: number;
  height: number;
  range: ValueRange | null;
  ms: number;
}

export class OverlayClient {
  private worker: Worker | null;
  private nextId = 1;
  private pending = new Map<number, { key: string; spec: OverlaySpec; resolve: (b: OverlayBitmap) => void; reject: (e: Error) => void }>();
  private local = new Map<string, { layers: MapLayer[]; palette: readonly Rgb[] }>();

  constructor(makeWorker: (() => Worker) | null = defaultWorker) {
    this.worker = null;
    try {
      this.worker = makeWorker ? makeWorker() : null;
    } catch {
      this.worker = null;
    }
    if (this.worker) {
      this.worker.onmessage = (e: MessageEvent<FromWorker>) => this.onReply(e.data);
      // A worker that cannot load (blocked script, missing file) must not leave renders hanging:
      // drop it and finish the outstanding ones on this thread.
      this.worker.onerror = () => this.fallBack();
    }
  }

  private fallBack(): void {
    this.worker?.terminate();
    this.worker = null;
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const p of waiting) this.render(p.key, p.spec).then(p.resolve, p.reject);
  }

  setMaps(key: string, layers: MapLayer[], palette: readonly Rgb[]): void {
    this.local.set(key, { layers, palette });
    // Structured clone copies the arrays: the caller keeps its maps for the pixel inspector.
    this.post({ type: 'maps', key, layers, palette });
  }

  drop(key: string): void {
    this.local.delete(key);
    this.post({ type: 'drop', key });
  }

  async render(key: string, spec: OverlaySpec): Promise<OverlayBitmap> {
    if (!this.worker) {
      const t0 = performance.now();
      const m = this.local.get(key);
      if (!m) throw new Error(`no maps registered for ${key}`);
      const r = renderOverlay(m.layers, spec, m.palette);
      const bitmap = await createImageBitmap(new ImageData(r.rgba as Uint8ClampedArray<ArrayBuffer>, r.width, r.height));
      return { bitmap, width: r.width, height: r.height, range: r.range, ms: performance.now() - t0 };
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { key, spec, resolve, reject });
      this.post({ type: 'render', id, key, spec });
    });
  }

  dispose(): void {
    this.worker?.terminate();
    for (const p of this.pending.values()) p.reject(new Error('overlay client disposed'));
    this.pending.clear();
  }

  private post(msg: ToWorker): void {
    this.worker?.postMessage(msg);
  }

  private onReply(msg: FromWorker): void {
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.type === 'failed') p.reject(new Error(msg.message));
    else p.resolve({ bitmap: msg.bitmap, width: msg.width, height: msg.height, range: msg.range, ms: msg.ms });
  }
}

function defaultWorker(): Worker {
  return new Worker(new URL('./overlay.worker.ts', import.meta.url), { type: 'module' });
}
