// The prediction module: one way to get logits, model-resolution probabilities, features, full-size
// labels and confidence out of a network, for every consumer (pseudo-labels, evaluation, maps, label
// exports, export parity). ONNX Runtime is the default engine; the engine's own tfjs network is the
// reference and the fallback. The ONNX graph is exported from the network in memory, cached by a hash of
// its config and weights, and checked once against tfjs before it is trusted.
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { SegNetConfig } from '../nets/deeplab';
import { buildSegNetGraph } from '../nets/deeplab';
import { SegNet, type NamedWeights } from '../nets/net';
import { buildOnnxModel } from '../nets/onnx-export';
import { OrtForward, ortProviders, TfjsForward, type Forward, type InferenceEngine, type OrtProvider } from './forward';
import type { RgbBytes } from './input';
import { labelsAndConfidence, mirrorX, softmaxChw, type ChwMap, type LabelOrder } from './postprocess';

export interface ModelWeights {
  network: SegNetConfig;
  /** Engine (tfjs) layout, as SegNet.getWeights() returns it. */
  weights: NamedWeights;
}

export interface PredictorOptions {
  engine?: InferenceEngine;
  /** ONNX Runtime execution provider (default cpu). */
  provider?: OrtProvider;
  /** ONNX Runtime intra-op threads (default: every core). */
  threads?: number;
  /** Where exported graphs and their verification are kept across processes (default: memory only). */
  cacheDir?: string | null;
  /** Throw instead of falling back to tfjs when the ONNX graph fails its check (default false). */
  strict?: boolean;
  /** At most this many same-size images per forward (default: 8, 1 above 1 Mpx). */
  maxBatch?: number;
}

export interface PredictOptions {
  /** 'eval' (logits upsampled, then argmax) or 'pseudo-label' (softmax, then upsample); default 'eval'. */
  order?: LabelOrder;
  /** Average with the mirrored prediction of the mirrored image. */
  flip?: boolean;
  /** Size of labels and confidence (default: the image's). */
  size?: { width: number; height: number };
  /** Skip the full-resolution labels (soft labels and centroids need only model-resolution maps). */
  labels?: boolean;
}

export interface Prediction {
  /** Size of labels / conf. */
  width: number;
  height: number;
  /** Model-resolution maps (1/8), channel-first, of the image itself (never flip-averaged). */
  logits: ChwMap;
  feat: ChwMap;
  /** softmax(logits) at model resolution: ProDA's soft pseudo-label layout. */
  soft: ChwMap;
  /** Train ids and their probability at full size, in the requested order; null with labels: false. */
  labels: Uint8Array | null;
  conf: Float32Array | null;
}

export interface ForwardCheck {
  /** Images compared (a fixed probe pattern). */
  probe: string;
  maxAbsLogitDiff: number;
  maxAbsProbDiff: number;
  /** Share of full-size pixels with the same eval-order argmax. */
  argmaxAgreement: number;
  minAgreement: number;
  passed: boolean;
}

export interface InferenceInfo {
  engine: InferenceEngine;
  provider: string;
  threads: number | null;
  /** Content hash of network config + weights: the ONNX cache key. */
  modelHash: string;
  /** The one-time ONNX-vs-tfjs check (null for the tfjs engine). */
  check: ForwardCheck | null;
  /** Why ONNX Runtime was asked for but tfjs runs. */
  fallback: string | null;
}

export interface Predictor {
  readonly info: InferenceInfo;
  predict(images: readonly RgbBytes[], opts?: PredictOptions): Promise<Prediction[]>;
  dispose(): Promise<void>;
}

/** Argmax agreement the ONNX graph must reach against tfjs: the export parity default. */
export const FORWARD_MIN_AGREEMENT = 0.999;

/** sha256 of the network config and every parameter (graph order, name, shape, bytes). */
export function modelHash(model: ModelWeights): string {
  const h = createHash('sha256');
  h.update(JSON.stringify(model.network));
  for (const spec of buildSegNetGraph(model.network).params) {
    const w = model.weights[spec.name];
    if (!w) throw new Error(`model weights lack '${spec.name}'`);
    h.update(`${spec.name}:${w.shape.join('x')};`);
    h.update(new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength));
  }
  return h.digest('hex').slice(0, 24);
}

/**
 * The engine's network for a model (weights given, or initialised from `seed`). SegNet's constructor
 * registers each initial tensor beside its variable; tidy releases those.
 */
export function buildEngineNet(model: { network: SegNetConfig; weights?: NamedWeights }, seed?: number): SegNet {
  let net: SegNet | undefined;
  tf.tidy(() => {
    net = new SegNet(model.network, { weights: model.weights, seed });
  });
  return net as SegNet;
}

/** Exported graphs and checks kept for this process, keyed by model hash (a few models at a time). */
const graphs = new Map<string, { bytes: Uint8Array; check: ForwardCheck | null }>();
const GRAPH_CACHE = 4;

function remember(hash: string, entry: { bytes: Uint8Array; check: ForwardCheck | null }): void {
  graphs.delete(hash);
  graphs.set(hash, entry);
  while (graphs.size > GRAPH_CACHE) graphs.delete(graphs.keys().next().value as string);
}

async function readDiskCache(dir: string, hash: string): Promise<{ bytes: Uint8Array; check: ForwardCheck | null } | null> {
  try {
    const bytes = new Uint8Array(await fsp.readFile(path.join(dir, `${hash}.onnx`)));
    let check: ForwardCheck | null = null;
    try {
      check = JSON.parse(await fsp.readFile(path.join(dir, `${hash}.check.json`), 'utf8')) as ForwardCheck;
    } catch {
      check = null;
    }
    return { bytes, check };
  } catch {
    return null;
  }
}

async function writeDiskFile(dir: string, name: string, bytes: Uint8Array | string): Promise<void> {
  await fsp.mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.${name}.${process.pid}.tmp`);
  try {
    await fsp.writeFile(tmp, bytes);
    await fsp.rename(tmp, path.join(dir, name));
  } catch {
    // A cache that cannot be written only costs a re-export next time.
    await fsp.rm(tmp, { force: true });
  }
}

/** A deterministic probe image with structure at several scales (not a constant, which every net agrees on). */
export function probeImage(width = 96, height = 72): RgbBytes {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = (x * (7 + c) + y * (13 - 2 * c) + ((x >> 3) ^ (y >> 3)) * 41 + c * 85) & 255;
  return { width, height, data };
}

/** Compares two implementations' maps of the same images (logits, probabilities, full-size argmax). */
export function compareForward(a: readonly ChwMap[], b: readonly ChwMap[], sizes: readonly { width: number; height: number }[], minAgreement = FORWARD_MIN_AGREEMENT) {
  let maxAbsLogitDiff = 0;
  let maxAbsProbDiff = 0;
  let same = 0;
  let pixels = 0;
  for (let i = 0; i < a.length; i++) {
    const la = a[i];
    const lb = b[i];
    if (la.data.length !== lb.data.length) throw new Error(`maps differ in shape: ${la.channels}×${la.height}×${la.width} vs ${lb.channels}×${lb.height}×${lb.width}`);
    for (let k = 0; k < la.data.length; k++) {
      const d = Math.abs(la.data[k] - lb.data[k]);
      maxAbsLogitDiff = Number.isNaN(d) ? Infinity : Math.max(maxAbsLogitDiff, d);
    }
    const pa = softmaxChw(la).data;
    const pb = softmaxChw(lb).data;
    for (let k = 0; k < pa.length; k++) maxAbsProbDiff = Math.max(maxAbsProbDiff, Math.abs(pa[k] - pb[k]) || 0);
    const { width, height } = sizes[i];
    const ya = labelsAndConfidence(la, null, height, width, 'eval').labels;
    const yb = labelsAndConfidence(lb, null, height, width, 'eval').labels;
    for (let p = 0; p < ya.length; p++) if (ya[p] === yb[p]) same++;
    pixels += ya.length;
  }
  const argmaxAgreement = pixels ? same / pixels : 1;
  return { maxAbsLogitDiff, maxAbsProbDiff, argmaxAgreement, minAgreement, passed: argmaxAgreement >= minAgreement && Number.isFinite(maxAbsLogitDiff) };
}

async function checkAgainstTfjs(ortForward: Forward, tfjs: Forward): Promise<ForwardCheck> {
  const probes = [probeImage(96, 72), probeImage(61, 45)];
  const a: ChwMap[] = [];
  const b: ChwMap[] = [];
  for (const p of probes) {
    a.push(...(await ortForward.run([p])).logits);
    b.push(...(await tfjs.run([p])).logits);
  }
  return { probe: probes.map((p) => `${p.width}x${p.height}`).join(','), ...compareForward(a, b, probes) };
}

/** A prediction from one image's model-resolution maps (and its mirror's logits for flip averaging). */
export function predictionOf(logits: ChwMap, feat: ChwMap, mirrored: ChwMap | null, size: { width: number; height: number }, opts: PredictOptions = {}): Prediction {
  const lc = opts.labels === false ? null : labelsAndConfidence(logits, opts.flip ? mirrored : null, size.height, size.width, opts.order ?? 'eval');
  return { width: size.width, height: size.height, logits, feat, soft: softmaxChw(logits), labels: lc?.labels ?? null, conf: lc?.conf ?? null };
}

class ModulePredictor implements Predictor {
  constructor(
    private readonly forward: Forward,
    readonly info: InferenceInfo,
    private readonly maxBatch: number | undefined,
  ) {}

  async predict(images: readonly RgbBytes[], opts: PredictOptions = {}): Promise<Prediction[]> {
    const out: Prediction[] = [];
    for (let i = 0; i < images.length; ) {
      const first = images[i];
      const cap = this.maxBatch ?? (first.width * first.height > 1 << 20 ? 1 : 8);
      let j = i + 1;
      while (j < images.length && j - i < cap && images[j].width === first.width && images[j].height === first.height) j++;
      const batch = images.slice(i, j);
      const maps = await this.forward.run(batch);
      const mirrored = opts.flip && opts.labels !== false ? await this.forward.run(batch.map((m) => ({ ...m, data: mirrorX(m.data, m.width, m.height, 3) }))) : null;
      batch.forEach((img, b) => {
        out.push(predictionOf(maps.logits[b], maps.feat[b], mirrored ? mirrored.logits[b] : null, opts.size ?? { width: img.width, height: img.height }, opts));
      });
      i = j;
    }
    return out;
  }

  async dispose(): Promise<void> {
    await this.forward.dispose();
  }
}

/**
 * A predictor over a network's weights. With the ONNX Runtime engine the graph comes from the cache or is
 * exported now and, the first time, checked against the tfjs network on two probe images; a failed check
 * falls back to tfjs (and says so in info.fallback) unless `strict`.
 */
export async function createPredictor(model: ModelWeights, options: PredictorOptions = {}): Promise<Predictor> {
  const opts = { ...inferenceFromEnv(), ...options };
  const hash = modelHash(model);
  const engine = opts.engine ?? 'onnxruntime';
  const tfjsInfo = (fallback: string | null, check: ForwardCheck | null, fwd: Forward): InferenceInfo => ({
    engine: 'tfjs',
    provider: fwd.provider,
    threads: null,
    modelHash: hash,
    check,
    fallback,
  });
  if (engine === 'tfjs') {
    const fwd = new TfjsForward(buildEngineNet(model), true);
    return new ModulePredictor(fwd, tfjsInfo(null, null, fwd), opts.maxBatch);
  }
  const provider = opts.provider ?? 'cpu';
  const threads = opts.threads ?? availableParallelism();
  let entry = graphs.get(hash) ?? (opts.cacheDir ? await readDiskCache(opts.cacheDir, hash) : null);
  if (!entry) {
    const graph = buildSegNetGraph(model.network);
    const params = new Map(Object.entries(model.weights).map(([k, v]) => [k, v.data]));
    entry = { bytes: buildOnnxModel(graph, params, { variant: 'heads', metadata: { modelHash: hash } }), check: null };
    if (opts.cacheDir) await writeDiskFile(opts.cacheDir, `${hash}.onnx`, entry.bytes);
  }
  remember(hash, entry);
  const ortForward = await OrtForward.create(entry.bytes, provider, threads);
  if (!entry.check) {
    const ref = new TfjsForward(buildEngineNet(model), true);
    try {
      entry.check = await checkAgainstTfjs(ortForward, ref);
    } finally {
      await ref.dispose();
    }
    if (opts.cacheDir) await writeDiskFile(opts.cacheDir, `${hash}.check.json`, JSON.stringify(entry.check));
  }
  const check = entry.check;
  if (!check.passed) {
    await ortForward.dispose();
    const reason = `ONNX graph ${hash} disagrees with the engine: argmax agreement ${(check.argmaxAgreement * 100).toFixed(3)}% (< ${(check.minAgreement * 100).toFixed(1)}%), max |Δlogit| ${check.maxAbsLogitDiff.toExponential(2)}`;
    if (opts.strict) throw new Error(reason);
    const fwd = new TfjsForward(buildEngineNet(model), true);
    return new ModulePredictor(fwd, tfjsInfo(reason, check, fwd), opts.maxBatch);
  }
  return new ModulePredictor(ortForward, { engine: 'onnxruntime', provider, threads, modelHash: hash, check, fallback: null }, opts.maxBatch);
}

/**
 * Defaults a command line or a parent process hands down: PRODA_INFERENCE (onnxruntime | tfjs),
 * PRODA_ORT_PROVIDER (cpu | webgpu | cuda), PRODA_ORT_THREADS, PRODA_ONNX_CACHE (a folder).
 */
export function inferenceFromEnv(env: NodeJS.ProcessEnv = process.env): PredictorOptions {
  const out: PredictorOptions = {};
  const engine = env.PRODA_INFERENCE?.trim();
  if (engine) {
    if (engine !== 'onnxruntime' && engine !== 'tfjs') throw new Error(`PRODA_INFERENCE="${engine}" is not onnxruntime or tfjs`);
    out.engine = engine;
  }
  const provider = env.PRODA_ORT_PROVIDER?.trim();
  if (provider) {
    if (!(ortProviders as readonly string[]).includes(provider)) throw new Error(`PRODA_ORT_PROVIDER="${provider}" is not one of ${ortProviders.join(', ')}`);
    out.provider = provider as OrtProvider;
  }
  const threads = env.PRODA_ORT_THREADS?.trim();
  if (threads) {
    const n = Number(threads);
    if (!Number.isInteger(n) || n < 1) throw new Error(`PRODA_ORT_THREADS="${threads}" is not a positive integer`);
    out.threads = n;
  }
  if (env.PRODA_ONNX_CACHE?.trim()) out.cacheDir = env.PRODA_ONNX_CACHE.trim();
  return out;
}

/** For tests: forget the in-process graph cache. */
export function clearGraphCache(): void {
  graphs.clear();
}
