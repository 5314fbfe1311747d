import * as tf from '@tensorflow/tfjs';
import { IGNORE } from './rectify';

/*
 * ProDA's loss terms, NHWC: logits [N,H,W,C], labels int32 [N,H,W] with 250 = ignore.
 * Every mask is computed from a non-differentiated input (labels, teacher maps): tfjs 4.22 has no gradient for
 * comparison ops, so a mask derived from a tensor on the gradient path would break backprop.
 * All functions return scalar tensors; callers run them inside tf.tidy / variableGrads.
 */

function validMask(labels: tf.Tensor, numClasses: number): tf.Tensor {
  // Anything outside [0, C) is ignored: 250, and (defensively) any other out-of-range id.
  return tf.logicalAnd(tf.greaterEqual(labels, 0), tf.less(labels, numClasses)).toFloat();
}

/** Cross-entropy with ignore 250, mean over valid pixels (0 when no pixel is valid; torch would give NaN). */
export function crossEntropy(logits: tf.Tensor4D, labels: tf.Tensor3D): tf.Scalar {
  const C = logits.shape[3];
  const onehot = tf.oneHot(labels.toInt(), C); // out-of-range ids → all-zero rows
  const nll = tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits, -1), onehot)));
  const count = tf.sum(validMask(labels, C));
  // + 0 turns the −0 of an all-ignored batch into +0
  return tf.add(tf.div(nll, tf.maximum(count, 1)), 0) as tf.Scalar;
}

/**
 * Cross-entropy with a loss weight per pixel, normalised like crossEntropy by the count of non-ignored pixels, so
 * all-ones weights give the plain loss and a weight-w pixel counts w times. Used for hand-corrected target pixels.
 */
export function weightedCrossEntropy(logits: tf.Tensor4D, labels: tf.Tensor3D, weights: tf.Tensor3D): tf.Scalar {
  const C = logits.shape[3];
  const onehot = tf.oneHot(labels.toInt(), C);
  const perPixel = tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits, -1), onehot), -1));
  const nll = tf.sum(tf.mul(perPixel, weights));
  const count = tf.sum(validMask(labels, C));
  return tf.add(tf.div(nll, tf.maximum(count, 1)), 0) as tf.Scalar;
}

/**
 * Reverse cross-entropy of the reference (`rce`): −Σ_k clamp(p_k,1e-7,1)·log(clamp(onehot_k,1e-4,1)), masked, divided
 * by (#valid + 1e-6). Since log(1e-4) = −9.2103, this is 9.2103·Σ_{k≠ŷ} clamp(p_k) ≈ 9.2103·(1 − p_ŷ).
 */
export function reverseCrossEntropy(logits: tf.Tensor4D, labels: tf.Tensor3D): tf.Scalar {
  const C = logits.shape[3];
  const p = tf.clipByValue(tf.softmax(logits, -1), 1e-7, 1);
  const logq = tf.log(tf.clipByValue(tf.oneHot(labels.toInt(), C).toFloat(), 1e-4, 1));
  const mask = validMask(labels, C);
  const perPixel = tf.neg(tf.sum(tf.mul(p, logq), -1));
  return tf.div(tf.sum(tf.mul(perPixel, mask)), tf.add(tf.sum(mask), 1e-6)) as tf.Scalar;
}

export interface SceTerms {
  loss: tf.Scalar;
  ce: tf.Scalar;
  rce: tf.Scalar;
}

/** Symmetric cross-entropy α·CE + β·RCE (stage 1 defaults α = 0.1, β = 1). */
export function symmetricCrossEntropy(logits: tf.Tensor4D, labels: tf.Tensor3D, alpha = 0.1, beta = 1): SceTerms {
  const ce = crossEntropy(logits, labels);
  const rce = reverseCrossEntropy(logits, labels);
  return { loss: tf.add(tf.mul(ce, alpha), tf.mul(rce, beta)) as tf.Scalar, ce, rce };
}

/** MRKLD regulariser: −Σ log p / (N·C·H·W) = per pixel the mean over classes of −log p_k. */
export function mrkld(logits: tf.Tensor4D): tf.Scalar {
  return tf.neg(tf.mean(tf.logSoftmax(logits, -1))) as tf.Scalar;
}

/**
 * MRENT regulariser (`regular_type 'MRENT'`): Σ p·log p / (N·H·W), the negative entropy per pixel; minimising it
 * pushes every pixel's prediction towards uniform. The reference ships it unused (its commands pick MRKLD).
 */
export function mrent(logits: tf.Tensor4D): tf.Scalar {
  const logp = tf.logSoftmax(logits, -1);
  return tf.mean(tf.sum(tf.mul(tf.exp(logp), logp), -1)) as tf.Scalar;
}

export type RegularType = 'MRKLD' | 'MRENT';

/** The stage-1 regulariser named by `regular_type`. */
export function regularLoss(logits: tf.Tensor4D, type: RegularType = 'MRKLD'): tf.Scalar {
  return type === 'MRENT' ? mrent(logits) : mrkld(logits);
}

/** Σ t·(log t − s) with torch's kl_div convention that elements with t = 0 contribute 0. `t` is never differentiated. */
function klElements(target: tf.Tensor, studentLog: tf.Tensor): tf.Tensor {
  const pos = tf.greater(target, 0);
  const logT = tf.log(tf.where(pos, target, tf.onesLike(target)));
  return tf.mul(target, tf.sub(logT, studentLog));
}

/** The structure-KL mask m = (d̃ ≠ 250) per (pixel, class) of the teacher distances in the strong view, float 0/1. */
export function structureKlMask(teacherDist: tf.Tensor4D): tf.Tensor4D {
  return tf.notEqual(teacherDist, IGNORE).toFloat() as tf.Tensor4D;
}

/**
 * Structure-learning KL. `teacherDist` is the EMA weak-view distance map carried into the strong view (250 where out
 * of view or cut out, in every class channel); `studentDist` the student strong-view distances (differentiated).
 * L = Σ m·z̃·(log z̃ − log z) / Σ m with m = (d̃ ≠ 250) per (pixel, class): per-pixel KL divided by C.
 * Empty reduction: when no element is in view (Σ m = 0) this returns 0 with zero gradient, where torch's
 * `sum / mask.sum()` gives NaN and a NaN step; as in crossEntropy, 0 is what training wants (the run log counts
 * such iterations).
 */
export function structureKl(teacherDist: tf.Tensor4D, studentDist: tf.Tensor4D, temperature = 1): tf.Scalar {
  const mask = structureKlMask(teacherDist);
  const teacher = tf.softmax(tf.mul(teacherDist, -temperature), -1);
  const studentLog = tf.logSoftmax(tf.mul(studentDist, -temperature), -1);
  const kl = tf.mul(klElements(teacher, studentLog), mask);
  return tf.div(tf.sum(kl), tf.maximum(tf.sum(mask), 1)) as tf.Scalar;
}

/**
 * How the distillation KL treats the student. 'log_softmax' is KL(p_T‖p_S) as intended (issues #20, #43);
 * 'softmax-reference-bug' passes softmax probabilities where kl_div expects log-probabilities, as the released code does.
 */
export type KdStudent = 'log_softmax' | 'softmax-reference-bug';

/** Distillation KL averaged over all N·H·W·C elements (the reference's `teacher != 250` mask is always 1). */
export function distillationKl(
  studentLogits: tf.Tensor4D,
  teacherLogits: tf.Tensor4D,
  kdStudent: KdStudent = 'log_softmax',
): tf.Scalar {
  const teacher = tf.softmax(teacherLogits, -1);
  const student = kdStudent === 'log_softmax' ? tf.logSoftmax(studentLogits, -1) : tf.softmax(studentLogits, -1);
  return tf.mean(klElements(teacher, student)) as tf.Scalar;
}

/** LS-GAN term: mean((D(x) − label)²) with label 0 = source, 1 = target (nn.MSELoss). */
export function lsganLoss(dOut: tf.Tensor, label: 0 | 1): tf.Scalar {
  return tf.mean(tf.square(tf.sub(dOut, label))) as tf.Scalar;
}
