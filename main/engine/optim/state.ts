import * as tf from '@tensorflow/tfjs';
import { readData } from '../read';
import type { NamedArrays } from './params';

const COUNTER_KEY = '__iterations';

/** Optimiser state → named float32 arrays (`<prefix><param name>`), plus a scalar step counter. */
export async function exportVariables(
  vars: ReadonlyMap<string, tf.Variable>,
  prefix: string,
  counters: { iterations: number },
): Promise<NamedArrays> {
  const out: NamedArrays = {};
  for (const [name, v] of vars) {
    out[prefix + name] = { shape: [...v.shape], data: Float32Array.from(await readData(v)) };
  }
  out[prefix + COUNTER_KEY] = { shape: [], data: Float32Array.of(counters.iterations) };
  return out;
}

/** Replaces the contents of `vars` with the arrays under `prefix`; returns the stored step counter. */
export function importVariables(vars: Map<string, tf.Variable>, prefix: string, state: NamedArrays): number {
  for (const v of vars.values()) v.dispose();
  vars.clear();
  let iterations = 0;
  for (const [key, arr] of Object.entries(state)) {
    if (!key.startsWith(prefix)) continue;
    const name = key.slice(prefix.length);
    if (name === COUNTER_KEY) {
      iterations = arr.data[0];
      continue;
    }
    const size = arr.shape.reduce((a, b) => a * b, 1);
    if (size !== arr.data.length) {
      throw new Error(`optimiser state '${key}': shape [${arr.shape}] needs ${size} values, got ${arr.data.length}`);
    }
    vars.set(name, tf.tidy(() => tf.variable(tf.tensor(arr.data, arr.shape, 'float32'), false)));
  }
  return iterations;
}

/** A non-trainable float32 zero variable; the initial tensor is freed by tidy (the variable keeps the data). */
export function zerosVariable(shape: readonly number[]): tf.Variable {
  return tf.tidy(() => tf.variable(tf.zeros([...shape]), false));
}
