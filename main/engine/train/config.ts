import { PAPER } from '../../../shared/runs-config';
import type { KdStudent } from '../proda/losses';

/**
 * ProDA hyperparameters with the official defaults (shared/docs/proda-reference.md §3–§5), one typed object.
 * Iteration counts are the paper's: 62,412 iterations run under a poly schedule whose max is 90,000.
 */
export interface ProdaConfig {
  numClasses: number;
  seed: number;
  optim: {
    momentum: number;
    weightDecay: number;
    polyPower: number;
    /** poly schedule length (`--train_iters`) */
    maxIterations: number;
    /** iterations actually run (84 epochs × 743) */
    iterations: number;
  };
  warmup: { lr: number; lrD: number; adv: number; freezeBn: boolean };
  protoInit: { passes: number; minPixels: number; cap: number };
  stage1: {
    lr: number;
    rceAlpha: number;
    rceBeta: number;
    /** γ2, MRKLD weight (0 for SYNTHIA in the README) */
    regularW: number;
    /** γ1, structure-learning weight */
    protoConsistW: number;
    protoTemperature: number;
    /** m of η ← (1−m)η + m·v per (image, class) */
    protoMomentum: number;
    /** EMA net decay α */
    emaDecay: number;
    /** rectified pixels with normalised confidence below this are ignored (0: none) */
    trainThred: number;
    minPixels: number;
  };
  distill: { lr: number; threshold: number; weight: number; kdStudent: KdStudent };
  selfTrain: { lr: number; threshold: number };
  aug: {
    resize: number;
    cropWidth: number;
    cropHeight: number;
    strongN: number;
    strongM: number;
    translateXScale: 'width' | 'height-reference-bug';
    alignOrder: 'recorded' | 'fixed-reference';
  };
  /** images per batch of the reference (one per GPU on 4 GPUs) */
  batchSize: number;
}

const P = PAPER;

/** The engine's view of the shared PAPER table (shared/runs-config.ts), the one place the numbers are written. */
export const PRODA_DEFAULTS: ProdaConfig = {
  numClasses: 19,
  seed: 1337,
  optim: { momentum: P.optim.momentum, weightDecay: P.optim.weightDecay, polyPower: P.optim.power, maxIterations: P.optim.polyHorizon, iterations: P.optim.iterations },
  warmup: { lr: P.warmup.lr, lrD: P.warmup.discriminatorLr, adv: P.warmup.adversarialWeight, freezeBn: P.warmup.freezeBn },
  protoInit: { passes: P.prototypes.epochs, minPixels: P.prototypes.minPixels, cap: P.prototypes.cap },
  stage1: {
    lr: P.stage1.lr,
    rceAlpha: P.stage1.rceAlpha,
    rceBeta: P.stage1.rceBeta,
    regularW: P.stage1.regularWeight,
    protoConsistW: P.stage1.protoConsistWeight,
    protoTemperature: P.stage1.protoTemperature,
    protoMomentum: P.stage1.protoMomentum,
    emaDecay: P.stage1.emaDecay,
    trainThred: P.stage1.trainThreshold,
    minPixels: P.prototypes.minPixels,
  },
  distill: { lr: P.distill.lr, threshold: P.distill.threshold, weight: P.distill.kdWeight, kdStudent: 'log_softmax' },
  selfTrain: { lr: P.selftrain.lr, threshold: P.selftrain.threshold },
  aug: { resize: 2200, cropWidth: 896, cropHeight: 512, strongN: 2, strongM: 10, translateXScale: 'width', alignOrder: 'recorded' },
  batchSize: P.optim.batchSize,
};
