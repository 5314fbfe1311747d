// Scoring a network on a labelled split, as the reference validates (full image, logits upsampled
// with align_corners, argmax, one confusion matrix over the split), with BatchNorm either as trained
// or re-estimated on target images first. Forward passes go through the engine's prediction module.
import { ConfusionMatrix } from '../../engine/eval/confusion';
import { createPredictor, reestimatedWeights, type ModelWeights, type PredictorOptions } from '../../engine/predict';
import type { EvalResult } from '../../../shared/contract/runs';
import type { ImageSource } from './data';
import { BN_REESTIMATE_IMAGES } from '../../../shared/runs-config';

export { reestimateBn, spread } from '../../engine/predict';

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
      const img = await val.image(i);
      const label = await val.requireLabel(i);
      const t0 = performance.now();
      // The evaluation order: logits upsampled to the label's size, then argmax.
      const [p] = await predictor.predict([img], { order: 'eval', size: { width: label.width, height: label.height } });
      seconds += (performance.now() - t0) / 1000;
      cm.add(label.data, p.labels!);
      scored += 1;
      opts.onImage?.(i + 1, n);
      await new Promise((r) => setImmediate(r));
    }
    // Mean over classes that occur in the ground truth: on Cityscapes val (all 19 occur) this is the
    // reference's nanmean; on the demo it leaves out classes the generator never draws.
    const iou = cm.perClassIoU();
    const perClass: (number | null)[] = [];
    let sum = 0;
    let k = 0;
    for (let c = 0; c < C; c++) {
      let gt = 0;
      for (let p = 0; p < C; p++) gt += cm.counts[c * C + p];
      if (gt > 0) {
        perClass.push(iou[c]);
        sum += iou[c];
        k += 1;
      } else perClass.push(null);
    }
    const { engine, provider, threads } = predictor.info;
    return {
      miou: k ? sum / k : 0,
      perClass,
      classNames,
      bn: opts.bn,
      images: scored,
      inference: { engine, provider, threads, secondsPerImage: scored ? seconds / scored : null },
    };
  } finally {
    await predictor.dispose();
  }
}
