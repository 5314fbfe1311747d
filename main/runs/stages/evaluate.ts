// Scoring a network on a labelled split, as the reference validates (full image, logits upsampled
// with align_corners, argmax, one confusion matrix over the split), with BatchNorm either as trained
// or re-estimated on target images first. Forward passes go through the engine's prediction module.
import { ConfusionMatrix, iouWithNulls } from '../../engine/eval/confusion';
import { createPredictor, reestimatedWeights, type ModelWeights, type PredictorOptions } from '../../engine/predict';
import type { EvalResult } from '../../../shared/contract/runs';
import type { ImageSource } from './data';
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
  /** Inference engine, provider and threads (default: ONNX Runtime on every core). */
  inference?: PredictorOptions;
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

/** Images scored per forward: same-size images with same-size labels share one batch. */
const EVAL_BATCH = 8;

export async function evaluate(model: ModelWeights, val: ImageSource, opts: EvalOptions): Promise<EvalResult> {
  const classNames = [...val.dataset.classSet.names];
  const C = classNames.length;
  let weights = model.weights;
  if (opts.bn === 'reestimate') {
    if (!opts.bnSource) throw new Error('BN re-estimation needs target images (bnData)');
    weights = await reestimatedWeights(model, opts.bnSource, opts.bnImages ?? BN_REESTIMATE_IMAGES);
  }
  const predictor = await createPredictor({ network: model.network, weights }, opts.inference);
  try {
    const cm = new ConfusionMatrix(C);
    const n = opts.limit && opts.limit > 0 ? Math.min(opts.limit, val.size) : val.size;
    let scored = 0;
    let seconds = 0;
    for (let i = 0; i < n; i++) {
      if (opts.cancelled?.()) break;
      const first = await val.image(i);
      const firstLabel = await val.requireLabel(i);
      const batch = [first];
      const labels = [firstLabel];
      while (batch.length < EVAL_BATCH && i + batch.length < n) {
        const next = await val.image(i + batch.length);
        if (next.width !== first.width || next.height !== first.height) break;
        const label = await val.requireLabel(i + batch.length);
        if (label.width !== firstLabel.width || label.height !== firstLabel.height) break;
        batch.push(next);
        labels.push(label);
      }
      const t0 = performance.now();
      // The evaluation order: logits upsampled to the label's size, then argmax.
      const preds = await predictor.predict(batch, { order: 'eval', size: { width: firstLabel.width, height: firstLabel.height } });
      seconds += (performance.now() - t0) / 1000;
      for (let b = 0; b < batch.length; b++) cm.add(labels[b].data, preds[b].labels!);
      scored += batch.length;
      i += batch.length - 1;
      opts.onImage?.(i + 1, n);
      await new Promise((r) => setImmediate(r));
    }
    const { engine, provider, threads } = predictor.info;
    return {
      ...evalNumbers(cm),
      classNames,
      bn: opts.bn,
      images: scored,
      inference: { engine, provider, threads, secondsPerImage: scored ? seconds / scored : null },
    };
  } finally {
    await predictor.dispose();
  }
}
