// calc_prototype's per-image class centroids from predictions (model-resolution feat and logits, as the
// prediction module returns them), through the engine's one centroid implementation.
import * as tf from '@tensorflow/tfjs';
import { classCentroids, sourceClassCentroids, type ClassCentroids } from '../proda/prototypes';
import type { ChwMap } from './postprocess';

const nhwc = (maps: readonly ChwMap[]): tf.Tensor4D => {
  const { channels: c, height: h, width: w } = maps[0];
  for (const m of maps) if (m.channels !== c || m.height !== h || m.width !== w) throw new Error('centroids: maps of one batch must share a shape');
  const data = new Float32Array(maps.length * c * h * w);
  maps.forEach((m, i) => data.set(m.data, i * c * h * w));
  return tf.tidy(() => tf.transpose(tf.tensor4d(data, [maps.length, c, h, w]), [0, 2, 3, 1]) as tf.Tensor4D);
};

type FeatAndLogits = { feat: ChwMap; logits: ChwMap };

async function withTensors<T>(preds: readonly FeatAndLogits[], f: (feat: tf.Tensor4D, logits: tf.Tensor4D) => Promise<T>): Promise<T> {
  const feat = nhwc(preds.map((p) => p.feat));
  const logits = nhwc(preds.map((p) => p.logits));
  try {
    return await f(feat, logits);
  } finally {
    tf.dispose([feat, logits]);
  }
}

/** Target centroids: mean feat where the prediction says k. */
export function predictionCentroids(preds: readonly FeatAndLogits[], minPixels: number): Promise<ClassCentroids> {
  return withTensors(preds, (feat, logits) => classCentroids(feat, logits, minPixels));
}

/**
 * Source centroids (calc_prototype.py --source): mean feat where the ground truth (full size, nearest-downsampled
 * to the feature size) and the prediction agree.
 */
export function sourcePredictionCentroids(
  preds: readonly FeatAndLogits[],
  truth: readonly { width: number; height: number; data: ArrayLike<number> }[],
  minPixels: number,
): Promise<ClassCentroids> {
  return withTensors(preds, (feat, logits) => sourceClassCentroids(feat, logits, truth, minPixels));
}
