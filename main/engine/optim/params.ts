import type * as tf from '@tensorflow/tfjs';

/**
 * Parameters as the nets module exposes them: PyTorch state-dict names → tf.Variable.
 * BN running statistics live in the same map as non-trainable variables (buffers).
 */
export type NamedVariables = ReadonlyMap<string, tf.Variable> | Readonly<Record<string, tf.Variable>>;

export function variableEntries(vars: NamedVariables): [string, tf.Variable][] {
  return vars instanceof Map ? [...vars.entries()] : Object.entries(vars as Record<string, tf.Variable>);
}

/** Trainable parameters only, in the map's order (the order optimiser state is exported in). */
export function trainableEntries(vars: NamedVariables): [string, tf.Variable][] {
  return variableEntries(vars).filter(([, v]) => v.trainable);
}

/** A named float32 array with its shape, the form optimiser state leaves the engine in (checkpoints). */
export interface NamedArray {
  shape: number[];
  data: Float32Array;
}

export type NamedArrays = Record<string, NamedArray>;
