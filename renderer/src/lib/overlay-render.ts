// One overlay = one RGBA bitmap. This module turns an overlay spec plus an image's maps into RGBA
// bytes and, for heatmaps, the value range the legend shows. Pure: the worker wraps it.
import type { MapLayer } from '../../../shared/contract/maps';
import type { Rgb } from '../../../shared/classes';
import { paletteLut, scaleLut } from './colormaps';
import type { ScaleName } from './colormaps';
import { errorToRgba, flipsToRgba, labelsToRgba, scalarToRgba } from './colorize';
import { percentileRange } from './heatmap-scale';
import type { ValueRange } from './heatmap-scale';
import { channel, channelMax, channelMin, entropy, errorLayer, findLayer } from './map-layers';

export const overlayIds = [
  'gt',
  'pred',
  'raw',
  'denoised',
  'hard',
  'flips',
  'distClass',
  'distNearest',
  'omega',
  'confidence',
  'entropy',
  'error',
] as const;
export type OverlayId = (typeof overlayIds)[number];

export const overlayTitles: Record<OverlayId, string> = {
  gt: 'Ground truth',
  pred: 'Prediction',
  raw: 'Raw pseudo-label',
  denoised: 'Denoised pseudo-label',
  hard: 'Hard pseudo-label',
  flips: 'Flips (raw → denoised)',
  distClass: 'Distance to class prototype',
  distNearest: 'Distance to nearest prototype',
  omega: 'ω of class',
  confidence: 'Confidence',
  entropy: 'Entropy',
  error: 'Error map',
};

export type OverlayKind = 'label' | 'heatmap' | 'error' | 'flips';

export function overlayKind(id: OverlayId): OverlayKind {
  if (id === 'flips') return 'flips';
  if (id === 'error') return 'error';
  if (id === 'gt' || id === 'pred' || id === 'raw' || id === 'denoised' || id === 'hard') return 'label';
  return 'heatmap';
}

export interface OverlaySpec {
  id: OverlayId;
  /** The class for distClass / omega, and the focus class of the error map (null = right/wrong). */
  cls: number | null;
  /** Error map: which layer is judged and against what. */
  errorOf: 'pred' | 'raw' | 'denoised' | 'hard';
  errorRef: 'gt' | 'pred' | 'raw' | 'denoised' | 'hard';
  visible: Uint8Array;
  outline: boolean;
  scale: ScaleName;
  /** Fixed heatmap range; null picks a robust 2–98 percentile range. */
  range: ValueRange | null;
}

export interface RenderedOverlay {
  rgba: Uint8ClampedArray;
  width: number;
  height: number;
  range: ValueRange | null;
}

/** Which overlays an image's maps can draw. */
export function availableOverlays(layers: readonly MapLayer[]): OverlayId[] {
  const has = (kind: MapLayer['kind'], id: string) => layers.some((l) => l.kind === kind && l.id === id);
  const labelRefs = ['gt', 'pred', 'raw', 'denoised', 'hard'].filter((id) => has('label', id));
  return overlayIds.filter((id) => {
    switch (id) {
      case 'flips':
        return has('label', 'raw') && has('label', 'denoised');
      case 'distClass':
      case 'distNearest':
        return has('vector', 'dist');
      case 'omega':
        return has('vector', 'omega');
      case 'confidence':
        return has('vector', 'probs') || has('scalar', 'conf') || has('vector', 'soft');
      case 'entropy':
        return has('vector', 'probs') || has('vector', 'soft');
      case 'error':
        return labelRefs.length >= 2;
      default:
        return has('label', id);
    }
  });
}

/** The per-pixel scalar a heatmap overlay shows, on its layer's grid. */
export function heatmapValues(layers: readonly MapLayer[], id: OverlayId, cls: number | null): { values: Float32Array; width: number; height: number } {
  const vec = (name: string) => {
    const v = findLayer(layers, 'vector', name);
    if (!v) throw new Error(`overlay ${id} needs the '${name}' layer, which these maps lack`);
    return v;
  };
  const k = cls ?? 0;
  switch (id) {
    case 'distClass': {
      const d = vec('dist');
      return { values: channel(d, k), width: d.width, height: d.height };
    }
    case 'distNearest': {
      const d = vec('dist');
      return { values: channelMin(d), width: d.width, height: d.height };
    }
    case 'omega': {
      const w = vec('omega');
      return { values: channel(w, k), width: w.width, height: w.height };
    }
    case 'confidence': {
      const p = findLayer(layers, 'vector', 'probs');
      if (p) return { values: channelMax(p), width: p.width, height: p.height };
      const c = findLayer(layers, 'scalar', 'conf');
      if (c) return { values: c.data, width: c.width, height: c.height };
      const s = vec('soft');
      return { values: channelMax(s), width: s.width, height: s.height };
    }
    case 'entropy': {
      const p = findLayer(layers, 'vector', 'probs') ?? vec('soft');
      return { values: entropy(p), width: p.width, height: p.height };
    }
    default:
      throw new Error(`overlay ${id} is not a heatmap`);
  }
}

/** Natural fixed ranges where the quantity has one (probabilities, ω); distances use a robust range. */
function defaultRange(id: OverlayId, values: Float32Array, numClasses: number): ValueRange {
  if (id === 'omega' || id === 'confidence') return { min: 0, max: 1 };
  if (id === 'entropy') return { min: 0, max: Math.log(Math.max(2, numClasses)) };
  return percentileRange(values);
}

export function renderOverlay(layers: readonly MapLayer[], spec: OverlaySpec, palette: readonly Rgb[]): RenderedOverlay {
  const kind = overlayKind(spec.id);
  const lut = paletteLut(palette);
  if (kind === 'label') {
    const l = findLayer(layers, 'label', spec.id);
    if (!l) throw new Error(`no '${spec.id}' label layer in these maps`);
    return { rgba: labelsToRgba(l.data, l.width, l.height, lut, spec), width: l.width, height: l.height, range: null };
  }
  if (kind === 'flips') {
    const raw = findLayer(layers, 'label', 'raw');
    const den = findLayer(layers, 'label', 'denoised');
    if (!raw || !den) throw new Error('flips need both the raw and the denoised pseudo-label');
    if (raw.width !== den.width || raw.height !== den.height) throw new Error('raw and denoised pseudo-labels differ in size');
    return { rgba: flipsToRgba(raw.data, den.data, raw.width, raw.height, lut, spec.visible), width: raw.width, height: raw.height, range: null };
  }
  if (kind === 'error') {
    const of = findLayer(layers, 'label', spec.errorOf);
    const ref = findLayer(layers, 'label', spec.errorRef);
    if (!of || !ref) throw new Error(`error map needs '${spec.errorOf}' and '${spec.errorRef}'`);
    const { grid, codes } = errorLayer(of, ref, spec.cls);
    return { rgba: errorToRgba(codes), width: grid.width, height: grid.height, range: null };
  }
  const h = heatmapValues(layers, spec.id, spec.cls);
  const numClasses = (layers.find((l) => l.kind === 'vector') as { channels?: number } | undefined)?.channels ?? 19;
  const range = spec.range ?? defaultRange(spec.id, h.values, numClasses);
  return { rgba: scalarToRgba(h.values, range, scaleLut(spec.scale)), width: h.width, height: h.height, range };
}
