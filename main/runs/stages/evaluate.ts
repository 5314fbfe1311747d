// Scoring a network on a labelled split, as the reference validates (full image, logits upsampled
// with align_corners, argmax, one confusion matrix over the split), with BatchNorm either as trained
// or re-estimated on target images first.
import * as tf from '@tensorflow/tfjs';
import type { SegNet } from '../../engine/nets';
import { ConfusionMatrix, iouWithNulls, predictLabels } from '../../engine/eval/confusion';
import type { EvalResult } from '../../../shared/contract/runs';
import type { ImageSource} from './data';
import { inputTensor } from './data';
import { BN_REESTIMATE_IMAGES } from '../../../shared/runs-config';

export interface EvalOptions {
  bn: 'running' | 'reestimate';
  /** Images whose statistics replace the running ones (labels unused). */
  bnSource?: ImageSource;
  bnImages?: number;
  /** Score only the first N images (0 = all). */
  limit?: number;
  onImage?: (done: number, total: number) => void;
  cancelled?: () => boolean;
}

/** Evenly spaced picks, so a small re-estimation set covers the whole split deterministically. */
export const spread = (n: number, k: number): number[] => Array.from({ length: Math.min(n, k) }, (_, i) => Math.floor((i * n) / Math.min(n, k)));

function bnBuffers(net: SegNet): [string, tf.Variable][] {
  return [...net.params.entries()].filter(([name, v]) => !v.trainable && /running_(mean|var)$/.test(name));
}

/** Copies of the BN running statistics, to put back after a temporary re-estimation. */
export function saveBn(net: SegNet): Map<string, tf.Tensor> {
  return new Map(bnBuffers(net).map(([k, v]) => [k, tf.clone(v)]));
}
export function restoreBn(net: SegNet, saved: Map<string, tf.Tensor>): void {
  for (const [k, t] of saved) {
    net.params.get(k)?.assign(t);
    t.dispose();
  }
}

/**
 * Replaces BN running statistics by those of target images: two passes of train-mode forwards (dropout
 * off) in batches of 4, so the momentum-0.1 running average forgets all but ~3% of the old statistics.
 */
export async function reestimateBn(net: SegNet, source: Pick<ImageSource, 'size' | 'image'>, images: number): Promise<void> {
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

const finiteOrNull = (v: number): number | null => (Number.isFinite(v) ? v : null);

/**
 * The split's scores by the one definition (engine/eval/confusion, runningScore's): IoU 0 for a class predicted but
 * absent from the ground truth, in the mean; null for a class absent from both, left out. 0 when nothing was scored.
 */
export function evalNumbers(cm: ConfusionMatrix): Pick<EvalResult, 'miou' | 'perClass' | 'pixelAccuracy' | 'meanAccuracy' | 'frequencyWeightedIoU'> {
  const { perClass, miou } = iouWithNulls(cm);
  return {
    miou: miou ?? 0,
    perClass,
    pixelAccuracy: finiteOrNull(cm.pixelAccuracy()),
    meanAccuracy: finiteOrNull(cm.meanAccuracy()),
    frequencyWeightedIoU: finiteOrNull(cm.frequencyWeightedIoU()),
  };
}

export async function evaluate(net: SegNet, val: ImageSource, opts: EvalOptions): Promise<EvalResult> {
  const classNames = [...val.dataset.classSet.names];
  const C = classNames.length;
  const saved = opts.bn === 'reestimate' ? saveBn(net) : null;
  try {
    if (opts.bn === 'reestimate') {
      if (!opts.bnSource) throw new Error('BN re-estimation needs target images (bnData)');
      await reestimateBn(net, opts.bnSource, opts.bnImages ?? BN_REESTIMATE_IMAGES);
    }
    const cm = new ConfusionMatrix(C);
    const n = opts.limit && opts.limit > 0 ? Math.min(opts.limit, val.size) : val.size;
    let scored = 0;
    // Batches of up to 8 same-size images: per-call overhead dominates small images on wasm.
    for (let i = 0; i < n; ) {
      if (opts.cancelled?.()) break;
      const first = await val.image(i);
      const batch = [first];
      while (batch.length < 8 && i + batch.length < n) {
        const next = await val.image(i + batch.length);
        if (next.width !== first.width || next.height !== first.height) break;
        batch.push(next);
      }
      const logits = tf.tidy(() => net.apply(inputTensor(batch), { training: false }).logits);
      for (let b = 0; b < batch.length; b++) {
        const label = await val.requireLabel(i + b);
        const one = tf.slice(logits, [b, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D;
        const pred = await predictLabels(one, label.height, label.width).finally(() => one.dispose());
        cm.add(label.data, pred);
        scored += 1;
      }
      logits.dispose();
      i += batch.length;
      opts.onImage?.(i, n);
      await new Promise((r) => setImmediate(r));
    }
    return { ...evalNumbers(cm), classNames, bn: opts.bn, images: scored };
  } finally {
    if (saved) restoreBn(net, saved);
  }
}
