// Turns what a model and ProDA's artifacts give for one image (logits, features, prototypes, the soft
// pseudo-label, GT) into the inspector's layers. tfjs math stays inside tidy; what leaves is typed
// arrays plus shape, channel-first (C×H×W, the layout of ProDA's soft-label .npy), because that is
// what crosses the contract. Engine inputs are NHWC (tfjs layout) and converted here.
import * as tf from '@tensorflow/tfjs';
import { IGNORE_LABEL } from '../../shared/classes';
import type { ImageStats, LabelLayer, MapLayer, ScalarLayer, VectorLayer } from '../../shared/contract/maps';
import { confusionFromCounts, iouWithNulls } from '../engine/eval/confusion';
import type { Prediction } from '../engine/predict';
import { resizeBilinearAligned } from '../engine/ops/resize';
import { readData } from '../engine/read';
import { prototypeDistances } from '../engine/proda/distance';
import { prototypeWeights, rectifiedLabels } from '../engine/proda/rectify';
import { chwToHwc, hwcToChw } from '../engine/layout';

/** A C×H×W map, as ProDA's soft-label .npy files store it. */
export interface ChwMap {
  channels: number;
  height: number;
  width: number;
  data: Float32Array;
}

export interface PlainLabels {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface ComposeInput {
  imageWidth: number;
  imageHeight: number;
  numClasses: number;
  /**
   * The model's prediction (engine/predict, evaluation order): labels at image size, the softmax and
   * the feature map at output resolution (1/8), channel-first.
   */
  prediction?: Pick<Prediction, 'labels' | 'soft' | 'feat'>;
  /** C×D class prototypes η. */
  prototypes?: { data: Float32Array; classes: number; dims: number };
  /** The fixed soft pseudo-label p_t0 (warm-up softmax), C×H×W. */
  soft?: ChwMap;
  gt?: PlainLabels | null;
  hard?: PlainLabels | null;
  conf?: { width: number; height: number; data: Float32Array } | null;
  /** ProDA's proto_temperature s in ω = softmax(−d·s); 1 in the reference. */
  temperature?: number;
  /**
   * Without `soft`, take the prediction's own softmax as p_t0: only for a source that keeps no soft
   * pseudo-labels at all (an import, a warm-up run). A source whose pseudo-label run skipped this image
   * gets no raw/denoised layers, rather than labels its run never made.
   */
  ownSoftmaxAsP0?: boolean;
}

const labelsFrom = (arr: Int32Array): Uint8Array => Uint8Array.from(arr, (v) => (v >= 0 && v < 256 ? v : IGNORE_LABEL));

export interface Composed {
  layers: MapLayer[];
  stats: Omit<ImageStats, 'imageId'>;
  /** Per (gt, pred) pixel counts for the confusion matrix, C×C row-major; null without GT and prediction. */
  confusion: Float64Array | null;
}

export async function composeMaps(input: ComposeInput): Promise<Composed> {
  const { imageWidth: W, imageHeight: H, numClasses: C } = input;
  const temperature = input.temperature ?? 1;
  const layers: MapLayer[] = [];
  if (input.gt) {
    checkSize('gt', input.gt, W, H);
    layers.push({ kind: 'label', id: 'gt', width: W, height: H, data: input.gt.data });
  }
  if (input.hard) {
    checkSize('hard pseudo-label', input.hard, W, H);
    layers.push({ kind: 'label', id: 'hard', width: W, height: H, data: input.hard.data });
  }
  if (input.conf) layers.push({ kind: 'scalar', id: 'conf', width: input.conf.width, height: input.conf.height, data: input.conf.data });

  let pred: Uint8Array | null = null;
  let probsChw: Float32Array | null = null;
  const P = input.prediction;
  if (P) {
    if (P.soft.channels !== C) throw new Error(`the prediction has ${P.soft.channels} classes, the class set has ${C}`);
    if (!P.labels || P.labels.length !== W * H) throw new Error(`the prediction's labels are not ${W}×${H}`);
    pred = P.labels;
    probsChw = P.soft.data;
    layers.push({ kind: 'label', id: 'pred', width: W, height: H, data: pred });
    layers.push({ kind: 'vector', id: 'probs', width: P.soft.width, height: P.soft.height, channels: C, data: probsChw });
  }

  if (input.soft) {
    const S = input.soft;
    if (S.channels !== C) throw new Error(`soft pseudo-label has ${S.channels} channels, the class set has ${C}`);
    layers.push({ kind: 'vector', id: 'soft', width: S.width, height: S.height, channels: C, data: S.data });
  }

  let rawL: LabelLayer | null = null;
  let denL: LabelLayer | null = null;
  if (P && input.prototypes) {
    const F = P.feat;
    const eta0 = input.prototypes;
    if (eta0.dims !== F.channels) throw new Error(`prototypes are ${eta0.dims}-d, the feature map has ${F.channels} channels`);
    if (eta0.classes !== C) throw new Error(`there are ${eta0.classes} prototypes for ${C} classes`);
    const f = tf.tensor4d(chwToHwc(F.data, F.channels, F.height * F.width), [1, F.height, F.width, F.channels]);
    const eta = tf.tensor2d(eta0.data, [eta0.classes, eta0.dims]);
    // p_t0: the stored soft pseudo-label; for a source that keeps none (an import, a warm-up run) the
    // model's own softmax, what ProDA's pseudo-label step would store from this network.
    const p0Src = input.soft ?? (input.ownSoftmaxAsP0 ? P.soft : null);
    const soft = p0Src ? tf.tensor4d(chwToHwc(p0Src.data, C, p0Src.height * p0Src.width), [1, p0Src.height, p0Src.width, C]) : null;
    const outs = tf.tidy(() => {
      const d = prototypeDistances(f, eta);
      const w = prototypeWeights(d, temperature);
      if (!soft) return [d, w];
      // p_t0 on the feature grid (ProDA resizes everything with align_corners bilinear).
      const p0 = resizeBilinearAligned(soft, [F.height, F.width]);
      return [d, w, tf.argMax(p0, -1), rectifiedLabels(w, p0)];
    });
    f.dispose();
    eta.dispose();
    soft?.dispose();
    const [dT, wT, rawT, denT] = outs;
    try {
      const [d, w] = await Promise.all([readData(dT), readData(wT)]);
      layers.push({ kind: 'vector', id: 'dist', width: F.width, height: F.height, channels: C, data: hwcToChw(d, F.height * F.width, C) });
      layers.push({ kind: 'vector', id: 'omega', width: F.width, height: F.height, channels: C, data: hwcToChw(w, F.height * F.width, C) });
      if (rawT && denT) {
        const [raw, den] = await Promise.all([readData<'int32'>(rawT), readData<'int32'>(denT)]);
        rawL = { kind: 'label', id: 'raw', width: F.width, height: F.height, data: labelsFrom(raw) };
        denL = { kind: 'label', id: 'denoised', width: F.width, height: F.height, data: labelsFrom(den) };
        layers.push(rawL, denL);
      }
    } finally {
      for (const t of outs) t.dispose();
    }
  } else if (input.soft) {
    // No features: the raw pseudo-label is still the soft label's argmax.
    const S = input.soft;
    rawL = { kind: 'label', id: 'raw', width: S.width, height: S.height, data: argmaxChw(S.data, C, S.width * S.height) };
    layers.push(rawL);
  }

  // Official artifacts have no logits: the hard pseudo-label then stands in as the prediction.
  return { layers, ...imageStats({ numClasses: C, gt: input.gt ?? null, pred: pred ?? input.hard?.data ?? null, probs: probsChw, soft: input.soft ?? null, raw: rawL, denoised: denL }) };
}

function checkSize(what: string, l: PlainLabels, W: number, H: number): void {
  if (l.width !== W || l.height !== H) throw new Error(`${what} is ${l.width}×${l.height}, the image is ${W}×${H}`);
}

function argmaxChw(data: Float32Array, c: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let best = data[i];
    let arg = 0;
    for (let k = 1; k < c; k++) {
      const v = data[k * n + i];
      if (v > best) {
        best = v;
        arg = k;
      }
    }
    out[i] = arg;
  }
  return out;
}

function meanMax(data: Float32Array, c: number, n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    let best = data[i];
    for (let k = 1; k < c; k++) if (data[k * n + i] > best) best = data[k * n + i];
    sum += best;
  }
  return n ? sum / n : 0;
}

/** The per-image numbers triage sorts by, and the image's confusion counts. */
export function imageStats(a: {
  numClasses: number;
  gt: PlainLabels | null;
  pred: Uint8Array | null;
  probs: Float32Array | null;
  soft: ChwMap | null;
  raw: LabelLayer | null;
  denoised: LabelLayer | null;
}): { stats: Omit<ImageStats, 'imageId'>; confusion: Float64Array | null } {
  const C = a.numClasses;
  const classShare = new Array<number>(C).fill(0);
  if (a.pred) {
    for (let i = 0; i < a.pred.length; i++) if (a.pred[i] < C) classShare[a.pred[i]]++;
    for (let k = 0; k < C; k++) classShare[k] /= a.pred.length;
  }
  let confusion: Float64Array | null = null;
  let classIou: (number | null)[] = new Array(C).fill(null);
  let miou: number | null = null;
  if (a.gt && a.pred) {
    confusion = confusionCounts(a.gt.data, a.pred, C);
    ({ perClass: classIou, miou } = iouFromConfusion(confusion, C));
  }
  let meanConfidence: number | null = null;
  if (a.probs) meanConfidence = meanMax(a.probs, C, a.probs.length / C);
  else if (a.soft) meanConfidence = meanMax(a.soft.data, C, a.soft.width * a.soft.height);
  let flippedShare: number | null = null;
  if (a.raw && a.denoised) {
    let n = 0;
    for (let i = 0; i < a.raw.data.length; i++) if (a.raw.data[i] !== a.denoised.data[i]) n++;
    flippedShare = n / a.raw.data.length;
  }
  return { stats: { miou, meanConfidence, flippedShare, classShare, classIou }, confusion };
}

/** C×C counts, rows = GT, cols = prediction; GT outside [0, C) (250) is not counted, as in ProDA's runningScore. */
export function confusionCounts(gt: Uint8Array, pred: Uint8Array, C: number): Float64Array {
  if (gt.length !== pred.length) throw new Error(`GT has ${gt.length} pixels, the prediction ${pred.length}`);
  const m = new Float64Array(C * C);
  for (let i = 0; i < gt.length; i++) {
    const g = gt[i];
    const p = pred[i];
    if (g < C && p < C) m[g * C + p]++;
  }
  return m;
}

/**
 * Per-class IoU and mIoU of C×C counts by the project's one definition (engine/eval/confusion, runningScore's): IoU 0
 * for a class predicted but absent from the GT, in the mean; null for a class absent from both, left out.
 */
export function iouFromConfusion(m: ArrayLike<number>, C: number): { perClass: (number | null)[]; miou: number | null } {
  return iouWithNulls(confusionFromCounts(m, C));
}

export type { LabelLayer, ScalarLayer, VectorLayer };
