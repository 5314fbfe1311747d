import * as tf from '@tensorflow/tfjs';

/** Bilinear resize of NHWC maps with PyTorch align_corners=True semantics (ProDA resizes all maps this way). */
export function resizeBilinearAligned(x: tf.Tensor4D, size: readonly [number, number]): tf.Tensor4D {
  if (x.shape[1] === size[0] && x.shape[2] === size[1]) return x;
  return tf.image.resizeBilinear(x, [size[0], size[1]], true, false);
}
