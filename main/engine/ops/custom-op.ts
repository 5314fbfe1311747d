// A differentiable op whose input gradients are computed lazily.
// tf.customGrad evaluates every input's gradient eagerly; the engine's own tape only asks for
// gradients of inputs that lie on the path to the differentiated variables. Going through the
// same entry point tf.customGrad uses lets a conv skip its (costly) input gradient when the
// input is the image or a frozen branch. runKernelFunc is private in the typings but is what
// tfjs 4.22's public customGrad calls; the version is pinned in package.json.
import * as tf from '@tensorflow/tfjs';

type SaveFn = (tensors: tf.Tensor[]) => void;
type KernelFuncEngine = {
  runKernelFunc(params: {
    forwardFunc: (backend: unknown, save: SaveFn) => tf.Tensor | tf.Tensor[];
    backwardsFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => Record<string, () => tf.Tensor>;
    inputs: Record<string, tf.Tensor>;
  }): tf.Tensor | tf.Tensor[];
};

/**
 * Runs `forward` as one tape node over `inputs`. `backward(dy, saved)` returns one thunk per input,
 * in order; the engine calls only those it needs.
 */
export function customOp<T extends tf.Tensor>(
  inputs: tf.Tensor[],
  forward: (save: SaveFn) => T,
  backward: (dy: T, saved: tf.Tensor[]) => Array<() => tf.Tensor>,
): T {
  const engine = tf.engine() as unknown as KernelFuncEngine;
  const inputMap: Record<string, tf.Tensor> = {};
  inputs.forEach((t, i) => (inputMap[i] = t));
  return engine.runKernelFunc({
    forwardFunc: (_backend, save) => forward(save),
    backwardsFunc: (dy, saved) => {
      const thunks = backward(dy as T, saved);
      const map: Record<string, () => tf.Tensor> = {};
      thunks.forEach((f, i) => (map[i] = f));
      return map;
    },
    inputs: inputMap,
  }) as T;
}

/** Like customOp with several outputs; `backward` receives one dy per output (zeros for unused ones). */
export function customOpMulti(
  inputs: tf.Tensor[],
  forward: (save: SaveFn) => tf.Tensor[],
  backward: (dys: tf.Tensor[], saved: tf.Tensor[]) => Array<() => tf.Tensor>,
): tf.Tensor[] {
  const engine = tf.engine() as unknown as KernelFuncEngine;
  const inputMap: Record<string, tf.Tensor> = {};
  inputs.forEach((t, i) => (inputMap[i] = t));
  return engine.runKernelFunc({
    forwardFunc: (_backend, save) => forward(save),
    backwardsFunc: (dys, saved) => {
      const thunks = backward(dys as tf.Tensor[], saved);
      const map: Record<string, () => tf.Tensor> = {};
      thunks.forEach((f, i) => (map[i] = f));
      return map;
    },
    inputs: inputMap,
  }) as tf.Tensor[];
}

/**
 * The value of x, cut off from the tape (tfjs has no stopGradient): a node with no inputs is never on
 * a path from the differentiated variables, so backprop neither visits nor zero-fills what produced x.
 * No data is copied.
 */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  return customOp<T>([], () => tf.clone(x), () => []);
}
