// Messages between the main thread and the overlay worker. Maps are sent once per image (by key) and
// kept in the worker, so re-rendering after an opacity/class/scale change copies nothing large.
import type { MapLayer } from '../../../shared/contract/maps';
import type { Rgb } from '../../../shared/classes';
import type { ValueRange } from './heatmap-scale';
import type { OverlaySpec } from './overlay-render';

export type ToWorker =
  | { type: 'maps'; key: string; layers: MapLayer[]; palette: readonly Rgb[] }
  | { type: 'drop'; key: string }
  | { type: 'render'; id: number; key: string; spec: OverlaySpec };

export type FromWorker =
  | { type: 'rendered'; id: number; bitmap: ImageBitmap; width: number; height: number; range: ValueRange | null; ms: number }
  | { type: 'failed'; id: number; message: string };
