import * as tf from '@tensorflow/tfjs';
import { full2weak, strongMaps } from '../aug/align';
import type { StrongAlignOptions } from '../aug/align';
import type { StrongOp } from '../aug/strong';
import type { WeakParams } from '../aug/weak';
import type { SegNet } from '../nets';
import { resizeBilinearAligned } from '../ops';
import { emaUpdate } from '../optim/ema';
import type { ConfigOf } from '../../../shared/runs-config';
import type { Sgd } from '../optim/sgd';
import { prototypeDistances } from '../proda/distance';
import { regularLoss, structureKl, structureKlMask, symmetricCrossEntropy } from '../proda/losses';
import type { ClassCentroids, Prototypes } from '../proda/prototypes';
import { classCentroids, emaUpdatePrototypes, prototypesTensor } from '../proda/prototypes';
import { IGNORE, prototypeWeights, rectifiedLabels } from '../proda/rectify';
import { takeNumbers } from '../read';
import { addGrads, localStep, lossAndGrads, sourceCeGrads, trainForward } from './grads';
import type { NamedGrads } from './grads';
import { sgdUpdate, stepLr, type StepOptions } from './step-options';

/** One stage-1 batch, NHWC, images RGB/255. Label-resolution maps are at 1/4 of the crop (128×224 at paper scale). */
export interface Stage1Batch {
  source: tf.Tensor4D;
  /** source labels at crop resolution, int32, 250 = ignore */
  sourceLabels: tf.Tensor3D;
  /** weak target crop x_t */
  targetWeak: tf.Tensor4D;
  /** strong view x_t^S of the weak crop */
  targetStrong: tf.Tensor4D;
  /** the un-augmented full target image (EMA input) */
  targetFull: tf.Tensor4D;
  /** fixed warm-up soft pseudo-label p_{t,0} carried into the weak view, at 1/4 crop: [N, h, w, C] */
  softPseudo: tf.Tensor4D;
  weakParams: readonly WeakParams[];
  strongOps: readonly (readonly StrongOp[])[];
}

export interface Stage1State {
  student: SegNet;
  /** EMA ("momentum") net, same graph; used in train mode as the reference does */
  ema: SegNet;
  prototypes: Prototypes;
  optimizer: Sgd;
}

/**
 * Stage 1's own constants, under the run config's names and with its types (shared/runs-config.ts documents each;
 * PRODA_DEFAULTS holds the reference's values). `regularType` absent = MRKLD.
 */
export type Stage1Weights = Pick<ConfigOf<'stage1'>, 'rceAlpha' | 'rceBeta' | 'regularWeight' | 'protoConsistWeight' | 'protoTemperature' | 'protoMomentum' | 'emaDecay' | 'trainThreshold'> &
  Partial<Pick<ConfigOf<'stage1'>, 'regularType'>>;

/** Absent lrGroups = the reference's stage 1 (one flat group). */
export interface Stage1Options extends StepOptions, Stage1Weights {
  /** classes with fewer pixels in an image's EMA argmax give that image no centroid */
  minPixels: number;
  align: StrongAlignOptions;
}

export interface Stage1Losses {
  total: number;
  sourceCe: number;
  sce: number;
  ce: number;
  rce: number;
  regular: number;
  structureKl: number;
  lr: number;
  /** fraction of rectified labels that differ from argmax p_{t,0} (how much denoising changed) */
  rectifiedChanged: number;
  /** rectified label pixels not ignored: 0 makes SCE an empty mean, which returns 0 where torch gives NaN */
  validTargetPixels: number;
  /** (pixel, class) elements of the structure-KL mask: 0 (everything cut out or out of view) makes the KL 0, torch NaN; null when γ1 = 0 */
  klElements: number | null;
}

/** What one batch (or one data-parallel shard) contributes to a stage-1 update. Gradients are owned by the caller. */
export interface Stage1Gradients {
  /** d(source CE + target losses)/dθ by parameter name */
  grads: NamedGrads;
  /** per-image class centroids of the EMA net's full-image output (input of the prototype EMA) */
  centroids: ClassCentroids;
  losses: Stage1Losses;
}

/**
 * The gradient half of a stage-1 iteration (`adaptation_modelv2.py:step` up to `backward()`): source CE; EMA net on the
 * full image → weak view; prototype weights and rectified labels; SCE + γ2·(MRKLD or MRENT) on the weak student forward; γ1·structure
 * KL between the EMA weak-view prototype assignment (carried into the strong view) and the student's strong-view one.
 * Touches no parameter except BN running statistics (train-mode forwards), so shards of a batch can run on replicas.
 */
export async function stage1Gradients(state: Stage1State, batch: Stage1Batch, o: Stage1Options): Promise<Stage1Gradients> {
  const { student, ema } = state;
  const [, lh, lw] = batch.softPseudo.shape;
  const lr = stepLr(o);
  const run = (slot: number) => trainForward(o, slot);

  // 1. Source CE on logits upsampled to the label size (its own backward in the reference).
  const src = sourceCeGrads(student, batch.source, batch.sourceLabels, run(0));

  // 2. Teacher side, no gradient: EMA net on the full image at 1/4 full resolution, then into the weak view.
  const [, fh, fw] = batch.targetFull.shape;
  const emaFull = tf.tidy(() => {
    const out = ema.apply(batch.targetFull, run(1));
    const size: [number, number] = [Math.trunc(fh / 4), Math.trunc(fw / 4)];
    return { feat: resizeBilinearAligned(out.feat, size), logits: resizeBilinearAligned(out.logits, size) };
  });
  const protos = prototypesTensor(state.prototypes);
  const teacher = tf.tidy(() => {
    const weakFeat = full2weak(emaFull.feat, batch.weakParams);
    const dist = prototypeDistances(weakFeat, protos);
    const labels = rectifiedLabels(prototypeWeights(dist, o.protoTemperature), batch.softPseudo, o.trainThreshold);
    const changed = tf.mean(tf.notEqual(labels, tf.argMax(batch.softPseudo, -1)).toFloat());
    const valid = tf.sum(tf.notEqual(labels, IGNORE).toFloat());
    return { labels, dist, changed, valid };
  });
  // γ1 = 0 switches structure learning off, as the reference skips its strong forward then
  const teacherDist = o.protoConsistWeight !== 0 ? strongMaps(teacher.dist, batch.strongOps, o.align) : null;
  teacher.dist.dispose();
  const klMask = teacherDist ? tf.tidy(() => tf.sum(structureKlMask(teacherDist))) : null;

  // 3. Target losses on the student's weak and strong forwards.
  const terms: Record<string, tf.Scalar> = {};
  const tgt = lossAndGrads(student, () => {
    const weak = student.apply(batch.targetWeak, run(2));
    const logits = resizeBilinearAligned(weak.logits, [lh, lw]);
    const sce = symmetricCrossEntropy(logits, teacher.labels, o.rceAlpha, o.rceBeta);
    const reg = regularLoss(logits, o.regularType ?? 'MRKLD');
    let kl: tf.Scalar = tf.scalar(0);
    if (teacherDist) {
      const strong = student.apply(batch.targetStrong, run(3));
      const sDist = prototypeDistances(resizeBilinearAligned(strong.feat, [lh, lw]), protos);
      kl = structureKl(teacherDist, sDist, o.protoTemperature);
    }
    for (const [k, t] of Object.entries({ sce: sce.loss, ce: sce.ce, rce: sce.rce, reg, kl })) terms[k] = tf.keep(t.clone());
    return tf.addN([sce.loss, tf.mul(reg, o.regularWeight), tf.mul(kl, o.protoConsistWeight)]) as tf.Scalar;
  });
  const grads = addGrads(src.grads, tgt.grads);
  const centroids = await classCentroids(emaFull.feat, emaFull.logits, o.minPixels);

  tf.dispose([emaFull.feat, emaFull.logits, protos, teacher.labels]);
  teacherDist?.dispose();
  const [sourceCe, target, sce, ce, rce, regular, kl, rectifiedChanged, validTargetPixels, klElements] = await takeNumbers([
    src.value,
    tgt.value,
    terms.sce,
    terms.ce,
    terms.rce,
    terms.reg,
    terms.kl,
    teacher.changed,
    teacher.valid,
    ...(klMask ? [klMask] : []),
  ]);
  const losses: Stage1Losses = {
    total: sourceCe + target,
    sourceCe,
    sce,
    ce,
    rce,
    regular,
    structureKl: kl,
    lr,
    rectifiedChanged,
    validTargetPixels,
    klElements: klMask ? klElements : null,
  };
  return { grads, centroids, losses };
}

/**
 * The update half: one SGD step (stage 1: a single group at the base LR), the prototype EMA from the EMA net's own
 * argmax (centroid batches in image order; several for data-parallel shards), then the EMA net update (buffers copied).
 */
export function stage1Apply(state: Stage1State, grads: NamedGrads, centroids: readonly ClassCentroids[], o: Stage1Options): void {
  sgdUpdate(state.optimizer, state.student, grads, o, 'stage1');
  for (const c of centroids) emaUpdatePrototypes(state.prototypes, c, o.protoMomentum);
  emaUpdate(state.ema.params, state.student.params, o.emaDecay);
}

/** One stage-1 iteration in one process: `stage1Gradients` then `stage1Apply`. */
export async function stage1Step(state: Stage1State, batch: Stage1Batch, o: Stage1Options): Promise<Stage1Losses> {
  const g = await stage1Gradients(state, batch, o);
  return localStep(Promise.resolve(g), (grads) => stage1Apply(state, grads, [g.centroids], o));
}
