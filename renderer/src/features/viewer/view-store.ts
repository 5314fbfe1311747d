// The shared zoom/pan/cursor state. The viewer, the side-by-side twin and the annotation editor all
// read and write this one store, so they stay locked together.
import { createStore } from './store';
import type { Store } from './store';
import { fitView, panBy, screenPx, zoomAt } from './view-math';
import type { ImagePx, View } from './view-math';

export interface ViewStoreState {
  view: View;
  /** Viewer canvas size in CSS pixels (one pane in side-by-side mode). */
  viewport: { w: number; h: number };
  image: { w: number; h: number } | null;
  /** Image pixel under the pointer, or null when the pointer is outside the image. */
  cursor: ImagePx | null;
  /** Set once the user zooms or pans; until then the view follows fit-to-window on resize. */
  userMoved: boolean;
}

export type ViewStore = Store<ViewStoreState>;

export const createViewStore = (): ViewStore =>
  createStore<ViewStoreState>({ view: { scale: 1, x: 0, y: 0 }, viewport: { w: 800, h: 600 }, image: null, cursor: null, userMoved: false });

export function fitToWindow(store: ViewStore): void {
  const s = store.get();
  if (!s.image) return;
  store.set({ ...s, view: fitView(s.image.w, s.image.h, s.viewport.w, s.viewport.h), userMoved: false });
}

export function setViewport(store: ViewStore, w: number, h: number): void {
  const s = store.get();
  if (s.viewport.w === w && s.viewport.h === h) return;
  store.set({ ...s, viewport: { w, h } });
  if (!s.userMoved) fitToWindow(store);
}

export function setImage(store: ViewStore, w: number, h: number): void {
  const s = store.get();
  if (s.image && s.image.w === w && s.image.h === h) return;
  store.set({ ...s, image: { w, h }, userMoved: false });
  fitToWindow(store);
}

export function zoomBy(store: ViewStore, factor: number, at?: { x: number; y: number }): void {
  const s = store.get();
  const p = at ? screenPx(at.x, at.y) : screenPx(s.viewport.w / 2, s.viewport.h / 2);
  store.set({ ...s, view: zoomAt(s.view, factor, p), userMoved: true });
}

export function pan(store: ViewStore, dx: number, dy: number): void {
  const s = store.get();
  store.set({ ...s, view: panBy(s.view, dx, dy), userMoved: true });
}

export function setView(store: ViewStore, view: View): void {
  store.set({ ...store.get(), view, userMoved: true });
}
