// What the viewer shows: which overlays, how, and which comparison. Pure transitions (state in, state
// out) so keyboard shortcuts, panel controls and tests all go through the same code.
import type { ScaleName } from '../../lib/colormaps';
import { overlayKind, overlayIds } from '../../lib/overlay-render';
import type { OverlayId } from '../../lib/overlay-render';

export interface OverlayState {
  id: OverlayId;
  on: boolean;
  opacity: number;
  outline: boolean;
  hidden: number[];
  solo: number | null;
}

export type CompareMode = 'none' | 'swipe' | 'side';

export interface ViewerState {
  overlays: OverlayState[];
  /** Class for distance-to-class, ω, and the error map's focus. */
  focusClass: number;
  /** Error map: judge this layer... */
  errorOf: 'pred' | 'raw' | 'denoised' | 'hard';
  /** ...against this one; focus the error map on focusClass (TP/FP/FN) or show right/wrong. */
  errorRef: 'gt' | 'pred' | 'raw' | 'denoised' | 'hard';
  errorFocus: boolean;
  scale: ScaleName;
  compare: { mode: CompareMode; a: OverlayId; b: OverlayId; split: number };
}

export const OPACITY_STEP = 0.1;

export function initialViewerState(): ViewerState {
  return {
    overlays: overlayIds.map((id) => ({ id, on: false, opacity: overlayKind(id) === 'heatmap' ? 0.75 : 0.6, outline: false, hidden: [], solo: null })),
    focusClass: 0,
    errorOf: 'pred',
    errorRef: 'gt',
    errorFocus: false,
    scale: 'viridis',
    compare: { mode: 'none', a: 'raw', b: 'denoised', split: 0.5 },
  };
}

const mapOverlay = (s: ViewerState, id: OverlayId, f: (o: OverlayState) => OverlayState): ViewerState => ({
  ...s,
  overlays: s.overlays.map((o) => (o.id === id ? f(o) : o)),
});

export const setOn = (s: ViewerState, id: OverlayId, on: boolean): ViewerState => mapOverlay(s, id, (o) => ({ ...o, on }));
export const toggle = (s: ViewerState, id: OverlayId): ViewerState => mapOverlay(s, id, (o) => ({ ...o, on: !o.on }));

/** Heatmaps share one scale and legend: turning one on turns the other heatmaps off. */
export function show(s: ViewerState, id: OverlayId): ViewerState {
  let next = setOn(s, id, true);
  if (overlayKind(id) === 'heatmap') for (const o of next.overlays) if (o.id !== id && overlayKind(o.id) === 'heatmap') next = setOn(next, o.id, false);
  return next;
}

/** Key n (1-based) toggles the n-th available overlay. */
export function toggleNth(s: ViewerState, available: readonly OverlayId[], n: number): ViewerState {
  const id = available[n - 1];
  if (!id) return s;
  const cur = s.overlays.find((o) => o.id === id);
  return cur?.on ? setOn(s, id, false) : show(s, id);
}

export const setOpacity = (s: ViewerState, id: OverlayId, opacity: number): ViewerState =>
  mapOverlay(s, id, (o) => ({ ...o, opacity: Math.round(Math.min(1, Math.max(0, opacity)) * 100) / 100 }));

/** Steps the opacity of every overlay that is on (the keyboard has no notion of a selected layer). */
export function stepOpacity(s: ViewerState, delta: number): ViewerState {
  let next = s;
  for (const o of s.overlays) if (o.on) next = setOpacity(next, o.id, o.opacity + delta);
  return next;
}

export const setOutline = (s: ViewerState, id: OverlayId, outline: boolean): ViewerState => mapOverlay(s, id, (o) => ({ ...o, outline }));

export const toggleClass = (s: ViewerState, id: OverlayId, cls: number): ViewerState =>
  mapOverlay(s, id, (o) => ({ ...o, hidden: o.hidden.includes(cls) ? o.hidden.filter((c) => c !== cls) : [...o.hidden, cls].sort((a, b) => a - b) }));

/** Solo a class; soloing the soloed class again clears solo. */
export const soloClass = (s: ViewerState, id: OverlayId, cls: number): ViewerState => mapOverlay(s, id, (o) => ({ ...o, solo: o.solo === cls ? null : cls }));

export const setCompare = (s: ViewerState, patch: Partial<ViewerState['compare']>): ViewerState => ({
  ...s,
  compare: { ...s.compare, ...patch, split: Math.min(1, Math.max(0, patch.split ?? s.compare.split)) },
});

/** Overlays drawn in normal mode, bottom to top: labels first, then heatmaps, errors and flips on top. */
export function drawOrder(s: ViewerState): OverlayState[] {
  const rank = { label: 0, heatmap: 1, error: 2, flips: 3 } as const;
  return s.overlays.filter((o) => o.on).sort((a, b) => rank[overlayKind(a.id)] - rank[overlayKind(b.id)]);
}
