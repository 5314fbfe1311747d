// The engine's only way to bring tensor values to JS. Async because the webgpu backend cannot read
// synchronously in Node (dataSync needs OffscreenCanvas there), and every read checks the WebGPU failure
// latch: a read is where a result is used, so a Dawn validation error never reaches a number.
import type * as tf from '@tensorflow/tfjs';
import { throwIfGpuFailed } from './webgpu';

/** The tensor's values, as dataSync gave them (on cpu the backend's own array: read, do not write); the tensor stays alive. */
export async function readData<T extends tf.DataType = 'float32'>(t: tf.Tensor): Promise<tf.DataTypeMap[T]> {
  const d = (await t.data()) as tf.DataTypeMap[T];
  throwIfGpuFailed();
  return d;
}

/** Reads scalars (first element each) together and frees them. */
export async function takeNumbers(ts: readonly tf.Tensor[]): Promise<number[]> {
  try {
    const ds = await Promise.all(ts.map((t) => t.data()));
    throwIfGpuFailed();
    return ds.map((d) => Number(d[0]));
  } finally {
    for (const t of ts) t.dispose();
  }
}

/** Reads a scalar and frees it. */
export async function takeNumber(t: tf.Tensor): Promise<number> {
  return (await takeNumbers([t]))[0];
}
