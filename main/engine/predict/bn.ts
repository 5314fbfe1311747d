// BatchNorm re-estimation: train-mode statistics need the engine's own network (tfjs), so this is the
// one place prediction work stays on tfjs. The result is a new set of weights, which a predictor of
// either engine then uses.
import * as tf from '@tensorflow/tfjs';
import type { SegNet, NamedWeights } from '../nets/net';
import { inputTensor, type RgbBytes } from './input';
import { buildEngineNet, type ModelWeights } from './predictor';

/** Images by index, e.g. a run's ImageSource. */
export interface ImageList {
  readonly size: number;
  image(i: number): Promise<RgbBytes>;
}

/** Evenly spaced picks, so a small re-estimation set covers the whole split deterministically. */
export const spread = (n: number, k: number): number[] => Array.from({ length: Math.min(n, k) }, (_, i) => Math.floor((i * n) / Math.min(n, k)));

/**
 * Replaces BN running statistics by those of target images: two passes of train-mode forwards (dropout
 * off) in batches of 4, so the momentum-0.1 running average forgets all but ~3% of the old statistics.
 */
export async function reestimateBn(net: SegNet, source: ImageList, images: number): Promise<void> {
  const picks = spread(source.size, images);
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < picks.length; i += 4) {
      const imgs = await Promise.all(picks.slice(i, i + 4).map((p) => source.image(p)));
      const sameSize = imgs.every((m) => m.width === imgs[0].width && m.height === imgs[0].height);
      const groups = sameSize ? [imgs] : imgs.map((m) => [m]);
      for (const g of groups) {
        tf.tidy(() => {
          net.apply(inputTensor(g), { training: true, dropout: false, bnTraining: true, updateRunningStats: true });
        });
      }
      await new Promise((r) => setImmediate(r));
    }
  }
}

/** The model's weights with BN statistics re-estimated on `images` of `source` (the input is not changed). */
export async function reestimatedWeights(model: ModelWeights, source: ImageList, images: number): Promise<NamedWeights> {
  const net = buildEngineNet(model);
  try {
    await reestimateBn(net, source, images);
    return await net.getWeights();
  } finally {
    net.dispose();
  }
}
