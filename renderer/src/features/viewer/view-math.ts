// Zoom and pan as pure functions of a view transform: screen = image · scale + offset. Branded point
// types keep image pixels and screen pixels from being mixed up.
export type ImagePx = { readonly x: number; readonly y: number } & { readonly __space: 'image' };
export type ScreenPx = { readonly x: number; readonly y: number } & { readonly __space: 'screen' };
export const imagePx = (x: number, y: number): ImagePx => ({ x, y }) as ImagePx;
export const screenPx = (x: number, y: number): ScreenPx => ({ x, y }) as ScreenPx;

export interface View {
  scale: number;
  x: number;
  y: number;
}

export const MIN_SCALE = 1 / 32;
export const MAX_SCALE = 64;
export const ZOOM_STEP = 1.25;

const clampScale = (s: number) => Math.min(MAX_SCALE, Math.max(MIN_SCALE, s));

export function fitView(imageW: number, imageH: number, viewW: number, viewH: number, margin = 8): View {
  const scale = clampScale(Math.min((viewW - 2 * margin) / imageW, (viewH - 2 * margin) / imageH));
  return { scale, x: (viewW - imageW * scale) / 2, y: (viewH - imageH * scale) / 2 };
}

/** Zooms by `factor` keeping the image point under `at` fixed on screen. */
export function zoomAt(view: View, factor: number, at: ScreenPx): View {
  const scale = clampScale(view.scale * factor);
  const ix = (at.x - view.x) / view.scale;
  const iy = (at.y - view.y) / view.scale;
  return { scale, x: at.x - ix * scale, y: at.y - iy * scale };
}

export const panBy = (view: View, dx: number, dy: number): View => ({ ...view, x: view.x + dx, y: view.y + dy });

export const toImage = (view: View, p: ScreenPx): ImagePx => imagePx((p.x - view.x) / view.scale, (p.y - view.y) / view.scale);
export const toScreen = (view: View, p: ImagePx): ScreenPx => screenPx(p.x * view.scale + view.x, p.y * view.scale + view.y);

/** Wheel delta → zoom factor; trackpads send small deltas, mice ±100. */
export const wheelFactor = (deltaY: number): number => Math.pow(ZOOM_STEP, -Math.max(-4, Math.min(4, deltaY / 100)));

/** Photos look better smoothed when shrunk; at 2× and more, show pixels as pixels. */
export const smoothImage = (scale: number): boolean => scale < 2;
