import * as tf from '@tensorflow/tfjs';
import type { SegNet } from '../nets';
import { resizeBilinearAligned } from '../ops';
import type { Sgd } from '../optim/sgd';
import { crossEntropy } from '../proda/losses';
import { IGNORE } from '../proda/rectify';
import { localStep, sourceAndTargetGradients } from './grads';
import type { NamedGrads, SourceTargetLosses } from './grads';
import { sgdUpdate, type StepOptions } from './step-options';

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

export interface SelfTrainOptions extends StepOptions {
  /** pixels whose max probability is ≤ threshold are ignored */
  threshold: number;
}

export type SelfTrainLosses = SourceTargetLosses;

/**
 * The gradient half of conventional confidence-thresholded self-training (the ablation's "self-training" row, a baseline
 * for the demo): ŷ = argmax of the labeller's eval-mode softmax at 1/4 crop, ignored where max p ≤ threshold;
 * source CE + target CE. The labels come first, so an online labeller (the student itself) sees the BN statistics
 * from before this iteration's source forward.
 */
export async function selfTrainGradients(state: SelfTrainState, batch: SelfTrainBatch, o: SelfTrainOptions): Promise<{ grads: NamedGrads; losses: SelfTrainLosses }> {
  const { student, labeller } = state;
  const [, th, tw] = batch.target.shape;
  const size: [number, number] = [Math.trunc(th / 4), Math.trunc(tw / 4)];
  const g = await sourceAndTargetGradients(
    student,
    batch,
    o,
    () => {
      const p = tf.softmax(resizeBilinearAligned(labeller.apply(batch.target, { training: false }).logits, size), -1);
      const arg = tf.argMax(p, -1).toInt();
      const labels = tf.where(tf.greater(tf.max(p, -1), o.threshold), arg, tf.fill(arg.shape, IGNORE, 'int32')) as tf.Tensor3D;
      return { labels, labelled: tf.mean(tf.notEqual(labels, IGNORE).toFloat()) as tf.Scalar };
    },
    (p, forward) => crossEntropy(resizeBilinearAligned(student.apply(batch.target, forward).logits, size), p.labels),
  );
  return { grads: g.grads, losses: g.losses };
}

/** One self-training iteration in one process: the gradients, then one SGD step (self-training's reference groups: flat). */
export function selfTrainStep(state: SelfTrainState, batch: SelfTrainBatch, o: SelfTrainOptions): Promise<SelfTrainLosses> {
  return localStep(selfTrainGradients(state, batch, o), (grads) => sgdUpdate(state.optimizer, state.student, grads, o, 'selftrain'));
}
