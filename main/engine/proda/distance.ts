import * as tf from '@tensorflow/tfjs';
import { customOp } from '../ops/custom-op';

/**
 * d[n,y,x,k] = ‖f[n,y,x,:] − η_k‖₂ (raw Euclidean, no normalisation), NHWC: feat [N,H,W,D], prototypes [C,D] → [N,H,W,C].
 *
 * Computed class by class, like the reference, so there is no N·H·W·C·D intermediate. The gradient is written by hand
 * (∂d_k/∂f = (f − η_k)/d_k, zero where d_k = 0 as torch.norm's backward does) so backprop does not keep 3·C feature-sized
 * tensors on the tape. Gradients flow to `feat` only: the prototypes are constants (buffers in the reference).
 */
export function prototypeDistances(feat: tf.Tensor4D, prototypes: tf.Tensor2D): tf.Tensor4D {
  const [C, D] = prototypes.shape;
  if (feat.shape[3] !== D) {
    throw new Error(`prototypeDistances: feat has ${feat.shape[3]} channels, prototypes have ${D}`);
  }
  // save() clones what it is given when a tape is recording, so the backward pass does not depend on the caller's tensors.
  return customOp<tf.Tensor4D>(
    [feat],
    (save) =>
      tf.tidy(() => {
        const rows = tf.unstack(prototypes);
        // one tidy per class: only the [N,H,W,1] result outlives it, never C feature-sized temporaries at once
        const cols = rows.map((p) => tf.tidy(() => tf.sqrt(tf.sum(tf.square(tf.sub(feat, p)), -1, true))));
        const dist = tf.concat(cols, -1) as tf.Tensor4D;
        save([feat, dist, prototypes]);
        return dist;
      }),
    (dy, saved) => [
      () => {
        const [f, dist, protos] = saved;
        const w = tf.where(tf.greater(dist, 0), tf.div(dy, dist), tf.zerosLike(dist));
        const ws = tf.split(w, C, -1);
        const rows = tf.unstack(protos);
        let acc: tf.Tensor = tf.zerosLike(f);
        for (let k = 0; k < C; k++) {
          const prev = acc;
          acc = tf.tidy(() => tf.add(prev, tf.mul(ws[k], tf.sub(f, rows[k]))));
          prev.dispose();
        }
        return acc;
      },
    ],
  );
}
