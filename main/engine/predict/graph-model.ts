// Running an exported TF.js graph model (the export's `tfjs` format) on images, for its parity check:
// the loader and the tensors stay in the engine, the caller gets typed arrays.
import * as tf from '@tensorflow/tfjs';
import { readData } from '../read';
import { inputTensor, type RgbBytes } from './input';

export interface GraphModelRunner {
  /** Named outputs of one image, as flat arrays in the model's own layout (NHWC). */
  run(image: RgbBytes, outputs: readonly string[]): Promise<(Float32Array | Int32Array)[]>;
  dispose(): void;
}

/** `handler` is a tf.io.IOHandler-compatible loader (interop/tfjs-export.ts tfjsFileHandler). */
export async function loadGraphModel(handler: unknown): Promise<GraphModelRunner> {
  const model = await tf.loadGraphModel(handler as tf.io.IOHandler);
  return {
    async run(image, outputs) {
      const x = inputTensor([image]);
      const outs = model.execute({ image: x }, [...outputs]) as tf.Tensor[];
      try {
        return (await Promise.all(outs.map((t) => readData(t)))) as (Float32Array | Int32Array)[];
      } finally {
        tf.dispose([x, ...outs]);
      }
    },
    dispose: () => model.dispose(),
  };
}

/** The name of the active tfjs backend (reports say which one a reference ran on). */
export const tfjsBackendName = (): string => tf.getBackend();
