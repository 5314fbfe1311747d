// What the pixel inspector shows under the cursor: every layer's value at the cell covering the image
// pixel, with the same cell rule main uses for maps.pixel, so the two can be compared exactly.
import { layerCell } from '../../../shared/contract/maps';
import type { MapLayer, PixelValues } from '../../../shared/contract/maps';

export function inspectPixel(layers: readonly MapLayer[], imageW: number, imageH: number, x: number, y: number): PixelValues {
  const px = Math.floor(x);
  const py = Math.floor(y);
  const out: PixelValues = { x: px, y: py, labels: {}, vectors: {}, scalars: {} };
  if (px < 0 || py < 0 || px >= imageW || py >= imageH) return out;
  for (const l of layers) {
    const { cx, cy } = layerCell(px, py, imageW, imageH, l.width, l.height);
    const i = cy * l.width + cx;
    if (l.kind === 'label') out.labels[l.id] = l.data[i];
    else if (l.kind === 'scalar') out.scalars[l.id] = l.data[i];
    else {
      const n = l.width * l.height;
      out.vectors[l.id] = Array.from({ length: l.channels }, (_, k) => l.data[k * n + i]);
    }
  }
  return out;
}

/** Classes sorted by a vector's value at the pixel (probabilities descending, distances ascending). */
export function rankClasses(values: readonly number[], ascending: boolean): number[] {
  const idx = values.map((_, k) => k);
  return idx.sort((a, b) => (ascending ? values[a] - values[b] : values[b] - values[a]) || a - b);
}
