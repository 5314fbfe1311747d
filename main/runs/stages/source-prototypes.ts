// Prototype initialisation from labelled source images (calc_prototype.py --source): the labelling model in eval
// mode on each full, un-augmented source image; per image and class the mean feat where the ground truth
// (nearest-downsampled to the feature size) and the prediction agree. Forwards go through the prediction module.
import { sourcePredictionCentroids, type Predictor } from '../../engine/predict';
import type { ClassCentroids } from '../../engine/proda/prototypes';
import type { ImageSource } from './data';

export async function sourceCentroids(
  predictor: Predictor,
  source: ImageSource,
  minPixels: number,
  o: { cancelled: () => boolean; onImage?: (done: number, total: number) => void },
): Promise<ClassCentroids[] | null> {
  const out: ClassCentroids[] = [];
  const n = source.size;
  for (let i = 0; i < n; ) {
    if (o.cancelled()) return null;
    // batches of up to 8 same-size images, as the target pass
    const first = await source.image(i);
    const imgs = [first];
    while (imgs.length < 8 && i + imgs.length < n) {
      const next = await source.image(i + imgs.length);
      if (next.width !== first.width || next.height !== first.height) break;
      imgs.push(next);
    }
    const labels = await Promise.all(imgs.map((_, b) => source.requireLabel(i + b)));
    const preds = await predictor.predict(imgs, { labels: false });
    out.push(await sourcePredictionCentroids(preds, labels, minPixels));
    i += imgs.length;
    o.onImage?.(i, n);
    await new Promise((r) => setImmediate(r));
  }
  return out;
}
