import * as tf from '@tensorflow/tfjs';
import type { SegNet } from '../nets';
import { resizeBilinearAligned } from '../ops';
import { lrScaleFor, polyLr } from '../optim/schedule';
import type { LrGroups } from '../../../shared/runs-config';
import type { StageKind } from '../optim/schedule';
import type { Sgd } from '../optim/sgd';
import { crossEntropy } from '../proda/losses';
import { IGNORE } from '../proda/rectify';
import { takeNumbers } from '../read';
import { addGrads, localStep, lossAndGrads, sourceCeGrads, trainForward } from './grads';
import type { NamedGrads } from './grads';

export interface SelfTrainBatch {
  source: tf.Tensor4D;
  sourceLabels: tf.Tensor3D;
  /** weak target crop; pseudo-labels and the student both see it */
  target: tf.Tensor4D;
}

export interface SelfTrainState {
  student: SegNet;
  /** source of the pseudo-labels: a frozen net (e.g. the warm-up model) or the student itself (online) */
  labeller: SegNet;
  optimizer: Sgd;
}

export interface SelfTrainOptions {
  iteration: number;
  maxIterations: number;
  polyPower: number;
  lr: number;
  /** pixels whose max probability is ≤ threshold are ignored */
  threshold: number;
  /** LR groups: a layout, or a stage whose reference layout to use ('stage1' flat, 'warmup'/'distill' 1×/10×) */
  groups: StageKind | LrGroups;
  seed: number;
  dropout: boolean;
}

export interface SelfTrainLosses {
  total: number;
  sourceCe: number;
  targetCe: number;
  lr: number;
  labelledFraction: number;
}

/**
 * The gradient half of conventional confidence-thresholded self-training (the ablation's "self-training" row, a baseline
 * for the demo): ŷ = argmax of the labeller's eval-mode softmax at 1/4 crop, ignored where max p ≤ threshold;
 * source CE + target CE.
 */
export async function selfTrainGradients(state: SelfTrainState, batch: SelfTrainBatch, o: SelfTrainOptions): Promise<{ grads: NamedGrads; losses: SelfTrainLosses }> {
  const { student, labeller } = state;
  const lr = polyLr(o.lr, o.iteration, o.maxIterations, o.polyPower);
  const [, th, tw] = batch.target.shape;
  const size: [number, number] = [Math.trunc(th / 4), Math.trunc(tw / 4)];

  const pseudo = tf.tidy(() => {
    const p = tf.softmax(resizeBilinearAligned(labeller.apply(batch.target, { training: false }).logits, size), -1);
    const arg = tf.argMax(p, -1).toInt();
    const labels = tf.where(tf.greater(tf.max(p, -1), o.threshold), arg, tf.fill(arg.shape, IGNORE, 'int32')) as tf.Tensor3D;
    return { labels, labelled: tf.mean(tf.notEqual(labels, IGNORE).toFloat()) };
  });
  const src = sourceCeGrads(student, batch.source, batch.sourceLabels, trainForward(o, 0));
  const tgt = lossAndGrads(student, () =>
    crossEntropy(resizeBilinearAligned(student.apply(batch.target, trainForward(o, 1)).logits, size), pseudo.labels),
  );
  const grads = addGrads(src.grads, tgt.grads);
  pseudo.labels.dispose();
  const [sourceCe, targetCe, labelledFraction] = await takeNumbers([src.value, tgt.value, pseudo.labelled]);
  return { grads, losses: { total: sourceCe + targetCe, sourceCe, targetCe, lr, labelledFraction } };
}

/** The update half: one SGD step with the chosen LR groups. */
export function selfTrainApply(state: SelfTrainState, grads: NamedGrads, o: SelfTrainOptions): void {
  const lr = polyLr(o.lr, o.iteration, o.maxIterations, o.polyPower);
  state.optimizer.step(state.student.params, grads, (name) => lr * lrScaleFor(o.groups, name));
}

/** One self-training iteration in one process. */
export function selfTrainStep(state: SelfTrainState, batch: SelfTrainBatch, o: SelfTrainOptions): Promise<SelfTrainLosses> {
  return localStep(selfTrainGradients(state, batch, o), (grads) => selfTrainApply(state, grads, o));
}
