// How code outside the engine hands tensors to a step without holding them: the engine's own builders
// (inputTensor, labelTensor, softLabelTensor, ...) make them in a tidy scope, the step uses them, and they are
// freed here, where they were made, even when the step throws.
import * as tf from '@tensorflow/tfjs';

/**
 * Runs `use` on the tensors `make` builds and disposes them after. `make` runs in a tidy scope: intermediates are
 * freed, and if it throws, so are the tensors it had made.
 */
export async function withTensors<T extends Record<string, tf.Tensor | undefined>, R>(make: () => T, use: (t: T) => Promise<R>): Promise<R> {
  const t = tf.tidy(make);
  try {
    return await use(t);
  } finally {
    tf.dispose(Object.values(t).filter((x): x is tf.Tensor => x !== undefined));
  }
}

/** Tensors alive in the engine now (the run progress's leak watch). */
export const liveTensors = (): number => tf.memory().numTensors;
