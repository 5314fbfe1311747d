// The network's input, ProDA's normalisation: RGB bytes / 255, no mean or std. One home for both
// layouts: NHWC for the engine (tfjs) and NCHW for ONNX Runtime. Also the training targets' tensor.
import * as tf from '@tensorflow/tfjs';
import { hwcToChw } from '../layout';

/** Interleaved RGB bytes of one image. */
export interface RgbBytes {
  width: number;
  height: number;
  data: Uint8Array;
}

function checkBatch(imgs: readonly RgbBytes[]): { width: number; height: number } {
  if (imgs.length === 0) throw new Error('empty batch');
  const { width, height } = imgs[0];
  for (const img of imgs) {
    if (img.width !== width || img.height !== height) throw new Error(`batch mixes image sizes ${width}×${height} and ${img.width}×${img.height}`);
    if (img.data.length !== width * height * 3) throw new Error(`a ${width}×${height} RGB image needs ${width * height * 3} bytes, got ${img.data.length}`);
  }
  return { width, height };
}

/** [N, H, W, 3] float32. All images must share a size. */
export function nhwcInput(imgs: readonly RgbBytes[]): Float32Array {
  const { width, height } = checkBatch(imgs);
  const data = new Float32Array(imgs.length * width * height * 3);
  imgs.forEach((img, n) => {
    const off = n * width * height * 3;
    for (let i = 0; i < img.data.length; i++) data[off + i] = img.data[i] / 255;
  });
  return data;
}

/** [N, 3, H, W] float32. All images must share a size. */
export function nchwInput(imgs: readonly RgbBytes[]): Float32Array {
  const { width, height } = checkBatch(imgs);
  const hw = width * height;
  const data = new Float32Array(imgs.length * 3 * hw);
  imgs.forEach((img, n) => hwcToChw(img.data, hw, 3, data.subarray(n * 3 * hw, (n + 1) * 3 * hw)));
  for (let i = 0; i < data.length; i++) data[i] /= 255;
  return data;
}

/** NHWC input tensor (the caller disposes it). */
export function inputTensor(imgs: readonly RgbBytes[]): tf.Tensor4D {
  const { width, height } = checkBatch(imgs);
  return tf.tensor4d(nhwcInput(imgs), [imgs.length, height, width, 3]);
}

/** Train-id labels as int32 [N,H,W]. */
export function labelTensor(labels: readonly { width: number; height: number; data: ArrayLike<number> }[]): tf.Tensor3D {
  const { width, height } = labels[0];
  const data = new Int32Array(labels.length * width * height);
  labels.forEach((l, n) => data.set(l.data, n * width * height));
  return tf.tensor3d(data, [labels.length, height, width], 'int32');
}
