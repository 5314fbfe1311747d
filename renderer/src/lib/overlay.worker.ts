// Off-main-thread colourisation: RGBA built here and handed back as a transferable ImageBitmap, so a
// 2048×1024 mask never blocks panning. One bitmap per overlay: a 2048×1024 canvas is well within
// every browser's limit, so tiling would only add draw calls.
/// <reference lib="webworker" />
import type { MapLayer } from '../../../shared/contract/maps';
import type { Rgb } from '../../../shared/classes';
import type { FromWorker, ToWorker } from './overlay-protocol';
import { renderOverlay } from './overlay-render';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const maps = new Map<string, { layers: MapLayer[]; palette: readonly Rgb[] }>();

scope.onmessage = async (e: MessageEvent<ToWorker>) => {
  const msg = e.data;
  if (msg.type === 'maps') {
    maps.set(msg.key, { layers: msg.layers, palette: msg.palette });
    return;
  }
  if (msg.type === 'drop') {
    maps.delete(msg.key);
    return;
  }
  const t0 = performance.now();
  try {
    const m = maps.get(msg.key);
    if (!m) throw new Error(`overlay worker: no maps for ${msg.key}`);
    const r = renderOverlay(m.layers, msg.spec, m.palette);
    const bitmap = await createImageBitmap(new ImageData(r.rgba as Uint8ClampedArray<ArrayBuffer>, r.width, r.height));
    const reply: FromWorker = { type: 'rendered', id: msg.id, bitmap, width: r.width, height: r.height, range: r.range, ms: performance.now() - t0 };
    scope.postMessage(reply, [bitmap]);
  } catch (err) {
    const reply: FromWorker = { type: 'failed', id: msg.id, message: err instanceof Error ? err.message : String(err) };
    scope.postMessage(reply);
  }
};
