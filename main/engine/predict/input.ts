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

/** Per-pixel loss weights [N,h,w] from 0/1 maps (hand-corrected pixels): `weight` where the map is set, 1 elsewhere. */
export function pixelWeightTensor(marked: readonly { width: number; height: number; data: ArrayLike<number> }[], weight: number): tf.Tensor3D {
  const { width: w, height: h } = marked[0];
  const data = new Float32Array(marked.length * w * h);
  marked.forEach((t, n) => {
    for (let i = 0; i < w * h; i++) data[n * w * h + i] = t.data[i] ? weight : 1;
  });
  return tf.tensor3d(data, [marked.length, h, w]);
}

/** Stored soft labels, one [C, h, w] float32 array an image (the pseudo-label run's layout), as one NHWC batch [N, h, w, C]. */
export function softLabelTensor(maps: readonly { shape: readonly number[]; data: Float32Array }[]): tf.Tensor4D {
  return tf.tidy(() => {
    const each = maps.map((m) => {
      const [C, h, w] = m.shape;
      return tf.tensor3d(m.data, [C, h, w]).transpose([1, 2, 0]).expandDims(0) as tf.Tensor4D;
    });
    return tf.concat(each, 0) as tf.Tensor4D;
  });
}
