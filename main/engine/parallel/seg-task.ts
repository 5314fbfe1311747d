// A ParallelTask for supervised segmentation (source-only training, and the benchmark step):
// logits upsampled (bilinear, align_corners) to the label size, cross-entropy ignoring 250,
// SGD momentum 0.9 / weight decay 2e-4 with the official 1×/10× groups.
import * as tf from '@tensorflow/tfjs';
import type { SegNetConfig } from '../nets';
import { SegNet } from '../nets';
import { isBackboneParam } from '../optim/schedule';
import { Sgd } from '../optim/sgd';
import { readData, takeNumber } from '../read';
import { lossAndGrads } from '../train/grads';
import type { HostBatch, Packed, ParallelTask, ShardResult } from './protocol';
import { pack, unpack } from './protocol';

export interface SegTaskInit {
  config: SegNetConfig;
  seed: number;
  lr: number;
  /** Multiplier for head parameters (official warm-up/fine-tune: 10). */
  headLrScale?: number;
  dropoutSeed?: number;
}

export const IGNORE = 250;

/** Mean cross-entropy over non-ignored pixels of logits upsampled to the labels' size. */
export function segmentationLoss(logits: tf.Tensor4D, labels: tf.Tensor3D): tf.Scalar {
  const [n, h, w] = labels.shape;
  const c = logits.shape[3];
  const up = tf.image.resizeBilinear(logits, [h, w], true);
  const flat = tf.reshape(labels, [n * h * w]);
  const valid = tf.cast(tf.notEqual(flat, IGNORE), 'float32');
  const safe = tf.mul(flat, tf.cast(valid, 'int32'));
  const logp = tf.logSoftmax(tf.reshape(up, [n * h * w, c]));
  const picked = tf.sum(tf.mul(logp, tf.oneHot(safe, c)), 1);
  return tf.div(tf.neg(tf.sum(tf.mul(picked, valid))), tf.maximum(tf.sum(valid), 1)) as tf.Scalar;
}

export class SegTask implements ParallelTask<SegTaskInit> {
  private net: SegNet | null = null;
  private sgd: Sgd | null = null;
  private o: SegTaskInit | null = null;

  init(o: SegTaskInit): void {
    this.o = o;
    this.net = new SegNet(o.config, { seed: o.seed });
    this.sgd = new Sgd();
  }

  async grads(shard: HostBatch, step: number): Promise<ShardResult> {
    const net = this.need();
    const seed = (this.o?.dropoutSeed ?? 0) * 1000003 + step;
    const { value, grads } = tf.tidy(() => {
      const x = tf.tensor4d(shard.image.data, shard.image.shape as [number, number, number, number], 'float32');
      const y = tf.tensor3d(shard.label.data, shard.label.shape as [number, number, number], 'int32');
      return lossAndGrads(net, () => segmentationLoss(net.apply(x, { training: true, dropoutSeed: seed }).logits, y));
    });
    const loss = await takeNumber(value);
    const host: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const [k, g] of Object.entries(grads)) {
      host[k] = { shape: g.shape, data: await readData(g) };
      g.dispose();
    }
    return { losses: { loss }, grads: pack(host), buffers: pack(await this.buffers()) };
  }

  apply(gradsPacked: Packed, buffersPacked: Packed, _step: number): void {
    const net = this.need();
    const o = this.o as SegTaskInit;
    const grads = tf.tidy(() => Object.fromEntries(Object.entries(unpack(gradsPacked)).map(([k, v]) => [k, tf.tensor(v.data, v.shape)])));
    const head = o.headLrScale ?? 1;
    (this.sgd as Sgd).step(net.params, grads, (name) => (isBackboneParam(name) ? o.lr : o.lr * head));
    tf.dispose(Object.values(grads));
    for (const [k, v] of Object.entries(unpack(buffersPacked))) tf.tidy(() => net.params.get(k)?.assign(tf.tensor(v.data, v.shape)));
  }

  weights(): Promise<Record<string, { shape: number[]; data: Float32Array }>> {
    return this.need().getWeights();
  }

  dispose(): void {
    this.net?.dispose();
    this.sgd?.dispose();
    this.net = null;
  }

  private async buffers(): Promise<Record<string, { shape: number[]; data: Float32Array }>> {
    const net = this.need();
    const out: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const p of net.graph.params) if (!p.trainable) out[p.name] = { shape: p.shape, data: await readData(net.params.get(p.name) as tf.Variable) };
    return out;
  }

  private need(): SegNet {
    if (!this.net) throw new Error('SegTask: init() was not called');
    return this.net;
  }
}

export default new SegTask();
