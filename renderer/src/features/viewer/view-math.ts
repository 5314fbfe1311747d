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

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The part of the image inside the viewport, in image pixels (integer bounds; may be empty). */
export function visibleImageRect(view: View, viewW: number, viewH: number, imageW: number, imageH: number): Rect {
  const x0 = Math.max(0, Math.floor(-view.x / view.scale));
  const y0 = Math.max(0, Math.floor(-view.y / view.scale));
  const x1 = Math.min(imageW, Math.ceil((viewW - view.x) / view.scale));
  const y1 = Math.min(imageH, Math.ceil((viewH - view.y) / view.scale));
  return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
}

/**
 * Source crop of a bitmap of size bw×bh that covers `visible` of a W×H image, snapped outwards to whole
 * bitmap pixels so low-resolution layers (1/8 heatmaps) stay aligned with the image; `dest` is where
 * that crop lands in image pixels. Drawing only this part keeps zoomed-in frames cheap.
 */
export function cropFor(visible: Rect, bw: number, bh: number, imageW: number, imageH: number): { crop: Rect; dest: Rect } {
  const sx = bw / imageW;
  const sy = bh / imageH;
  const x0 = Math.max(0, Math.floor(visible.x * sx));
  const y0 = Math.max(0, Math.floor(visible.y * sy));
  const x1 = Math.min(bw, Math.ceil((visible.x + visible.width) * sx));
  const y1 = Math.min(bh, Math.ceil((visible.y + visible.height) * sy));
  const crop = { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
  return { crop, dest: { x: x0 / sx, y: y0 / sy, width: crop.width / sx, height: crop.height / sy } };
}
