// The two forward implementations behind the prediction module. Each turns a batch of same-size images
// into eval-mode logits and features at model resolution (1/8), channel-first per image; everything
// after that (softmax, upsampling, flips, argmax) is shared (postprocess.ts), so the implementations
// can only disagree in those maps, which is what their parity check compares.
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import type { SegNet } from '../nets/net';
import { readData } from '../read';
import type { ChwMap } from './postprocess';
import { inputTensor, nchwInput, type RgbBytes } from './input';
import { hwcToChw } from '../layout';

export type InferenceEngine = 'onnxruntime' | 'tfjs';
export const ortProviders = ['cpu', 'webgpu', 'cuda'] as const;
export type OrtProvider = (typeof ortProviders)[number];

export interface ForwardMaps {
  logits: ChwMap[];
  feat: ChwMap[];
}

export interface Forward {
  readonly engine: InferenceEngine;
  /** 'cpu' | 'webgpu' | 'cuda' for ONNX Runtime, the tfjs backend name for tfjs. */
  readonly provider: string;
  readonly threads: number | null;
  run(images: readonly RgbBytes[]): Promise<ForwardMaps>;
  dispose(): Promise<void>;
}

/** Splits an [N, C, h, w] buffer into per-image channel-first maps (copies, so the batch buffer can go). */
function splitNchw(data: Float32Array, dims: readonly number[]): ChwMap[] {
  const [n, c, h, w] = dims;
  const size = c * h * w;
  return Array.from({ length: n }, (_, i) => ({ channels: c, height: h, width: w, data: data.slice(i * size, (i + 1) * size) }));
}

/** [N, h, w, C] → per-image C×h×w. */
function splitNhwc(data: Float32Array, dims: readonly number[]): ChwMap[] {
  const [n, h, w, c] = dims;
  const size = h * w * c;
  return Array.from({ length: n }, (_, i) => ({ channels: c, height: h, width: w, data: hwcToChw(data.subarray(i * size, (i + 1) * size), h * w, c) }));
}

/** The engine's own network (tfjs), eval mode. The reference implementation. */
export class TfjsForward implements Forward {
  readonly engine = 'tfjs' as const;
  readonly threads = null;
  constructor(
    readonly net: SegNet,
    private readonly owned: boolean,
  ) {}

  get provider(): string {
    return tf.getBackend();
  }

  async run(images: readonly RgbBytes[]): Promise<ForwardMaps> {
    const x = inputTensor(images);
    const out = tf.tidy(() => this.net.apply(x, { training: false }));
    x.dispose();
    try {
      const [l, f] = await Promise.all([readData(out.logits), readData(out.feat)]);
      return { logits: splitNhwc(l, out.logits.shape), feat: splitNhwc(f, out.feat.shape) };
    } finally {
      tf.dispose([out.logits, out.feat]);
    }
  }

  async dispose(): Promise<void> {
    if (this.owned) this.net.dispose();
  }
}

/** Providers this onnxruntime-node build can load (cuda needs its optional install). */
export function availableOrtProviders(): string[] {
  const list = (ort as unknown as { listSupportedBackends?: () => { name: string }[] }).listSupportedBackends;
  return list ? list().map((b) => b.name) : ['cpu'];
}

/** An ONNX Runtime session over the `heads` variant of the exported network (outputs logits and feat). */
export class OrtForward implements Forward {
  readonly engine = 'onnxruntime' as const;
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly provider: OrtProvider,
    readonly threads: number,
  ) {}

  static async create(model: Uint8Array, provider: OrtProvider, threads: number): Promise<OrtForward> {
    if (provider !== 'cpu' && !availableOrtProviders().includes(provider)) {
      throw new Error(`ONNX Runtime provider '${provider}' is not available in this build (have: ${availableOrtProviders().join(', ')})`);
    }
    const session = await ort.InferenceSession.create(model, {
      executionProviders: provider === 'cpu' ? ['cpu'] : [provider, 'cpu'],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    });
    return new OrtForward(session, provider, threads);
  }

  async run(images: readonly RgbBytes[]): Promise<ForwardMaps> {
    const { width, height } = images[0];
    const input = new ort.Tensor('float32', nchwInput(images), [images.length, 3, height, width]);
    const r = await this.session.run({ image: input });
    try {
      return { logits: splitNchw(r.logits.data as Float32Array, r.logits.dims), feat: splitNchw(r.feat.data as Float32Array, r.feat.dims) };
    } finally {
      for (const v of Object.values(r)) v.dispose();
      input.dispose();
    }
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
