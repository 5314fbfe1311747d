// Normalisation layers with gradients that are correct on every backend.
// Batch norm is one tape node with the closed-form backward: fewer full-size passes than tfjs's
// op-by-op gradient, and it avoids the tf.moments(keepDims=true) gradient trap.
import * as tf from '@tensorflow/tfjs';
import { customOpMulti } from './custom-op';

export const NORM_EPS = 1e-5;

export interface BatchNormTrainResult {
  y: tf.Tensor4D;
  /** Batch mean per channel (not differentiable: only for running statistics). */
  mean: tf.Tensor1D;
  /** Biased batch variance per channel (not differentiable). */
  variance: tf.Tensor1D;
}

/** Train-mode batch norm over N,H,W (NHWC), like torch.nn.BatchNorm2d in training. */
export function batchNormTrain(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps = NORM_EPS): BatchNormTrainResult {
  const m = x.shape[0] * x.shape[1] * x.shape[2];
  const [y, mean, variance] = customOpMulti(
    [x, gamma, beta],
    (save) => {
      const mu = tf.mean(x, [0, 1, 2]);
      const xc = tf.sub(x, mu);
      const v = tf.mean(tf.square(xc), [0, 1, 2]);
      const rstd = tf.rsqrt(tf.add(v, eps));
      const xhat = tf.mul(xc, rstd);
      save([xhat, rstd, gamma]);
      return [tf.add(tf.mul(xhat, gamma), beta), mu, v];
    },
    ([dy], [xhat, rstd, g]) => {
      const dbeta = () => tf.sum(dy, [0, 1, 2]);
      const dgamma = () => tf.sum(tf.mul(dy, xhat), [0, 1, 2]);
      const dx = () =>
        tf.tidy(() => {
          const sdy = tf.div(tf.sum(dy, [0, 1, 2]), m);
          const sdyx = tf.div(tf.sum(tf.mul(dy, xhat), [0, 1, 2]), m);
          const k = tf.mul(g, rstd);
          return tf.mul(tf.sub(tf.sub(dy, sdy), tf.mul(xhat, sdyx)), k);
        });
      return [dx, dgamma, dbeta];
    },
  );
  return { y: y as tf.Tensor4D, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}

/** Eval-mode batch norm with running statistics (differentiable in x, gamma, beta by tfjs itself). */
export function batchNormEval(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  runningMean: tf.Tensor1D,
  runningVar: tf.Tensor1D,
  eps = NORM_EPS,
): tf.Tensor4D {
  const scale = tf.mul(gamma, tf.rsqrt(tf.add(runningVar, eps)));
  const shift = tf.sub(beta, tf.mul(runningMean, scale));
  return tf.add(tf.mul(x, scale), shift);
}

/**
 * PyTorch's running-statistics update: momentum 0.1 by default and the unbiased batch variance
 * (n/(n-1)) for running_var, although normalisation itself used the biased one.
 */
export function updatedRunningStats(
  runningMean: tf.Tensor1D,
  runningVar: tf.Tensor1D,
  batchMean: tf.Tensor1D,
  batchVar: tf.Tensor1D,
  count: number,
  momentum = 0.1,
): { mean: tf.Tensor1D; variance: tf.Tensor1D } {
  const unbiased = count > 1 ? tf.mul(batchVar, count / (count - 1)) : batchVar;
  return {
    mean: tf.add(tf.mul(runningMean, 1 - momentum), tf.mul(batchMean, momentum)),
    variance: tf.add(tf.mul(runningVar, 1 - momentum), tf.mul(unbiased, momentum)),
  };
}

/** GroupNorm over (H, W, C/G) per sample, affine per channel, like torch.nn.GroupNorm. */
export function groupNorm(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, groups: number, eps = NORM_EPS): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  if (c % groups !== 0) throw new Error(`groupNorm: ${c} channels do not split into ${groups} groups`);
  const xg = tf.reshape(x, [n, h * w, groups, c / groups]);
  const mu = tf.mean(xg, [1, 3], true);
  const xc = tf.sub(xg, mu);
  const v = tf.mean(tf.square(xc), [1, 3], true);
  const xhat = tf.reshape(tf.mul(xc, tf.rsqrt(tf.add(v, eps))), [n, h, w, c]);
  return tf.add(tf.mul(xhat, gamma), beta);
}
