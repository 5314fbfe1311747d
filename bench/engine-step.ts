// The one training step and input batch that the CPU engine benchmark (bench/engine.bench.ts) and the GPU
// benchmark (bench/gpu/gpu-bench.ts) time, matching bench/pytorch_step.py: forward in train mode, logits
// upsampled (bilinear, align_corners) to the input size, cross-entropy against fixed random labels,
// backward, SGD momentum 0.9 / weight decay 2e-4.
import * as tf from '@tensorflow/tfjs';
import { demoConfig } from '../main/engine/nets';
import type { SegNet, SegNetConfig } from '../main/engine/nets';
import { Sgd } from '../main/engine/optim/sgd';
import type { HostBatch } from '../main/engine/parallel/protocol';
import { segmentationLoss } from '../main/engine/parallel/seg-task';
import { readData } from '../main/engine/read';
import { lossAndGrads } from '../main/engine/train/grads';

export const CLASSES = 19;
export type NetKey = 'demo' | 'resnet101';

export function netConfig(key: NetKey): SegNetConfig {
  return key === 'demo' ? demoConfig(CLASSES) : { backbone: 'resnet101', numClasses: CLASSES };
}

/** A fixed pseudo-random batch (NHWC image in [0, 1), labels in [0, CLASSES)). */
export function hostBatch(batch: number, height: number, width: number): HostBatch {
  let s = 12345;
  const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296;
  const image = new Float32Array(batch * height * width * 3).map(() => next());
  const label = new Int32Array(batch * height * width).map(() => Math.floor(next() * CLASSES));
  return { image: { shape: [batch, height, width, 3], data: image }, label: { shape: [batch, height, width], data: label } };
}

export interface Bench {
  forward(): Promise<void>;
  step(): Promise<void>;
  dispose(): void;
}

/**
 * Forward and step closures over one batch on the active backend. Each awaits a read of its result, so
 * the time includes the device's work (GPU backends queue work asynchronously).
 * `checkpoint` recomputes blocks in the backward pass (ResNet-101 on wasm's 4 GB heap).
 */
export function engineBench(net: SegNet, b: HostBatch, checkpoint = false): Bench {
  const x = tf.tensor4d(b.image.data, b.image.shape as [number, number, number, number]);
  const y = tf.tensor3d(b.label.data as Int32Array, b.label.shape as [number, number, number], 'int32');
  const sgd = new Sgd();
  return {
    async forward() {
      const logits = tf.tidy(() => net.apply(x, { training: false }).logits);
      try {
        await readData(logits);
      } finally {
        logits.dispose();
      }
    },
    async step() {
      const { value, grads } = lossAndGrads(net, () => segmentationLoss(net.apply(x, { training: true, dropoutSeed: 1, checkpoint }).logits, y));
      try {
        sgd.step(net.params, grads, () => 1e-4);
        await readData(value);
      } finally {
        tf.dispose([value, ...Object.values(grads)]);
      }
    },
    dispose() {
      tf.dispose([x, y]);
    },
  };
}
