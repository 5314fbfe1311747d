import * as tf from '@tensorflow/tfjs';
import { strongMaps } from '../aug/align';
import type { StrongAlignOptions } from '../aug/align';
import type { StrongOp } from '../aug/strong';
import type { SegNet } from '../nets';
import { resizeBilinearAligned } from '../ops';
import type { Sgd } from '../optim/sgd';
import type { KdStudent } from '../proda/losses';
import { crossEntropy, distillationKl, weightedCrossEntropy } from '../proda/losses';
import { IGNORE } from '../proda/rectify';
import { localStep, sourceAndTargetGradients } from './grads';
import type { NamedGrads, SourceTargetLosses } from './grads';
import { sgdUpdate, type StepOptions } from './step-options';

/** The spacing of float16 values around |a| (normal binades from 2^-14, subnormals 2^-24 apart). */
function float16Ulp(a: number): number {
  if (!(a > 0)) return 2 ** -24;
  let e = Math.max(-14, Math.floor(Math.log2(a)));
  // log2 may be off by one next to a power of two
  if (e > -14 && 2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  return 2 ** (e - 10);
}

/** float64 → the nearest IEEE half-precision value (ties to even), as numpy casts a Python float to float16. */
export function roundToFloat16(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const a = Math.abs(x);
  if (a >= 65520) return Math.sign(x) * Infinity;
  const ulp = float16Ulp(a);
  const q = a / ulp; // exact: division by a power of two, q < 2048
  const f = Math.floor(q);
  const r = q - f > 0.5 || (q - f === 0.5 && f % 2 === 1) ? f + 1 : f;
  return Math.sign(x) * r * ulp;
}

/**
 * numpy's `conf16 <= float16(t)` as a test on an unrounded conf: conf rounds to a half ≤ t16 exactly when it lies
 * below the midpoint between t16 and the next half up, or on it with t16's mantissa even (ties go to even). NaN is ≤
 * nothing in numpy, so a NaN conf is kept, as there.
 */
export function float16AtMost(t: number): (conf: number) => boolean {
  const t16 = roundToFloat16(t);
  if (!Number.isFinite(t16)) return (c) => c <= t16;
  const ulp = float16Ulp(Math.abs(t16));
  const mid = t16 + ulp / 2;
  const tieStays = Math.round(Math.abs(t16) / ulp) % 2 === 0;
  return (c) => c < mid || (c === mid && tieStays);
}

/**
 * Offline hard pseudo-labels as stages 2/3 load them: `lp[conf <= 0.95] = 250`, label elsewhere. Typed arrays of one
 * image, any resolution. With one global threshold the comparison is numpy's on the float16 conf array: the
 * threshold becomes float16 too (0.95 → 0.9501953125), so a conf stored as that value is ignored, and a conf given
 * in higher precision is judged by the float16 value it is stored as (proda-reference.md §7 point 4). Per-class
 * thresholds (class-balanced, a deviation with no reference behaviour) are compared as given.
 */
export function thresholdPseudoLabels(labels: ArrayLike<number>, conf: ArrayLike<number>, threshold: number | ArrayLike<number>): Uint8Array {
  if (labels.length !== conf.length) throw new Error(`thresholdPseudoLabels: ${labels.length} labels vs ${conf.length} confidences`);
  const out = new Uint8Array(labels.length);
  if (typeof threshold === 'number') {
    const ignored = float16AtMost(threshold);
    for (let i = 0; i < out.length; i++) out[i] = ignored(conf[i]) ? IGNORE : labels[i];
  } else {
    for (let i = 0; i < out.length; i++) out[i] = labels[i] === IGNORE || conf[i] <= threshold[labels[i]] ? IGNORE : labels[i];
  }
  return out;
}

/**
 * Class-balanced thresholds (CBST, Zou et al. 2018), a named deviation from the reference's single global
 * threshold: class k keeps its `keep` most confident fraction of pixels, threshold_k = quantile_{1−keep}(conf | label k),
 * so the kept labels have the class proportions of the teacher's predictions. A global 0.95 keeps most pixels of
 * the classes a weak teacher is sure of (road, building) and few of the ones it hesitates on, and capping the class
 * thresholds at it does the same to the confident classes; self-training on that skew teaches the student to
 * prefer the majority classes ever more (measured on the demo: README, "Distillation on the demo, measured").
 */
export class ClassBalancedThresholds {
  private readonly byClass: number[][];
  constructor(private readonly numClasses: number) {
    this.byClass = Array.from({ length: numClasses }, () => []);
  }
  /** One image's labels and confidences; every `stride`-th pixel is kept, which bounds memory on large sets. */
  add(labels: ArrayLike<number>, conf: ArrayLike<number>, stride = 1): void {
    for (let i = 0; i < labels.length; i += stride) if (labels[i] < this.numClasses) this.byClass[labels[i]].push(conf[i]);
  }
  /** `fallback` is the threshold of a class no sampled pixel was labelled with. */
  thresholds(keep: number, fallback: number): Float32Array {
    return Float32Array.from(this.byClass, (v) => {
      if (!v.length) return fallback;
      v.sort((a, b) => a - b);
      const q = v[Math.min(v.length - 1, Math.floor((1 - keep) * v.length))];
      // conf ≤ threshold is ignored: step just below the quantile so the quantile pixel itself is kept
      return q - 1e-7;
    });
  }
}

export interface DistillBatch {
  source: tf.Tensor4D;
  sourceLabels: tf.Tensor3D;
  /** strong view x^S of the weak target crop */
  targetStrong: tf.Tensor4D;
  /** thresholded hard pseudo-labels in the weak view at 1/4 crop, int32 [N,h,w] (250 = ignore) */
  pseudoLabels: tf.Tensor3D;
  /** optional per-pixel CE weights aligned with pseudoLabels, float [N,h,w] (hand-corrected pixels); absent = all 1 */
  pseudoWeights?: tf.Tensor3D;
  strongOps: readonly (readonly StrongOp[])[];
}

export interface DistillState {
  student: SegNet;
  /** frozen teacher (previous stage), evaluated in eval mode */
  teacher: SegNet;
  optimizer: Sgd;
}

export interface DistillOptions extends StepOptions {
  /** β, KD weight (`--distillation 1`); the base LR is 1× backbone, 10× head and bn_pretrain (`--finetune`) unless lrGroups says otherwise */
  weight: number;
  kdStudent: KdStudent;
  align: StrongAlignOptions;
}

export interface DistillLosses extends SourceTargetLosses {
  /** the KD term before its weight */
  kd: number;
}

/**
 * The gradient half of a stage-2/3 iteration (`step_distillation`): source CE (own backward); the pseudo-labels carried
 * into the strong view (250 padding); student on the strong image, CE on logits upsampled to label size; KD to the frozen
 * eval-mode teacher on the same strong image.
 */
export async function distillGradients(state: DistillState, batch: DistillBatch, o: DistillOptions): Promise<{ grads: NamedGrads; losses: DistillLosses }> {
  const { student, teacher } = state;
  const [, lh, lw] = batch.pseudoLabels.shape;
  const g = await sourceAndTargetGradients(
    student,
    batch,
    o,
    () => {
      const lab = strongMaps(batch.pseudoLabels.toFloat().expandDims(-1) as tf.Tensor4D, batch.strongOps, o.align);
      const labels = tf.round(lab.squeeze([3])).toInt() as tf.Tensor3D;
      // Weights follow the labels through the same strong geometry (padding is ignore-labelled, so its weight is unused).
      const weights = batch.pseudoWeights
        ? (strongMaps(batch.pseudoWeights.expandDims(-1) as tf.Tensor4D, batch.strongOps, o.align).squeeze([3]) as tf.Tensor3D)
        : undefined;
      const teacherLogits = resizeBilinearAligned(teacher.apply(batch.targetStrong, { training: false }).logits, [lh, lw]);
      const labelled = tf.mean(tf.notEqual(labels, IGNORE).toFloat()) as tf.Scalar;
      return { labels, weights, teacherLogits, labelled };
    },
    (p, forward, part) => {
      const logits = resizeBilinearAligned(student.apply(batch.targetStrong, forward).logits, [lh, lw]);
      const ce = p.weights ? weightedCrossEntropy(logits, p.labels, p.weights) : crossEntropy(logits, p.labels);
      const kd = distillationKl(logits, p.teacherLogits, o.kdStudent);
      part('ce', ce);
      part('kd', kd);
      return tf.add(ce, tf.mul(kd, o.weight)) as tf.Scalar;
    },
  );
  return { grads: g.grads, losses: { ...g.losses, kd: g.parts.kd } };
}

/** One stage-2/3 iteration in one process: the gradients, then one SGD step with the 1×/10× groups (`--finetune`). */
export function distillStep(state: DistillState, batch: DistillBatch, o: DistillOptions): Promise<DistillLosses> {
  return localStep(distillGradients(state, batch, o), (grads) => sgdUpdate(state.optimizer, state.student, grads, o, 'distill'));
}
