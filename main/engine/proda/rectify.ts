import * as tf from '@tensorflow/tfjs';

export const IGNORE = 250;

/**
 * Denoising weights ω = softmax_k(−(d − min_k d)·s) over prototype distances d [N,H,W,C]. The per-pixel min shift
 * mirrors the reference (it does not change the softmax, only its rounding).
 */
export function prototypeWeights(dist: tf.Tensor4D, temperature = 1): tf.Tensor4D {
  return tf.tidy(() => {
    const shifted = tf.sub(dist, tf.min(dist, -1, true));
    return tf.softmax(tf.mul(shifted, -temperature), -1) as tf.Tensor4D;
  });
}

/**
 * The normalised max of the rectified label, max_k r_k / Σ_k r_k with r = ω ⊙ p0 [N,H,W]: the confidence a rectified
 * pixel is compared with `train_thred`.
 */
export function rectifiedConfidence(weights: tf.Tensor4D, softPseudo: tf.Tensor4D): tf.Tensor3D {
  return tf.tidy(() => {
    const r = tf.mul(weights, softPseudo);
    return tf.div(tf.max(r, -1), tf.sum(r, -1)) as tf.Tensor3D;
  });
}

/**
 * Rectified pseudo-labels ŷ = argmax_k(ω ⊙ p0) [N,H,W] int32. A pixel becomes 250 when the normalised
 * max of ω ⊙ p0 (rectifiedConfidence) is below `trainThreshold` (default 0: no pixel is ignored, as in the reference stage 1).
 */
export function rectifiedLabels(weights: tf.Tensor4D, softPseudo: tf.Tensor4D, trainThreshold = 0): tf.Tensor3D {
  return tf.tidy(() => {
    const arg = tf.argMax(tf.mul(weights, softPseudo), -1).toInt() as tf.Tensor3D;
    if (!(trainThreshold > 0)) return arg;
    return tf.where(tf.less(rectifiedConfidence(weights, softPseudo), trainThreshold), tf.fill(arg.shape, IGNORE, 'int32'), arg) as tf.Tensor3D;
  });
}
