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

export const PRODA_DEFAULTS: ProdaConfig = {
  numClasses: 19,
  seed: 1337,
  optim: { momentum: 0.9, weightDecay: 2e-4, polyPower: 0.9, maxIterations: 90_000, iterations: 62_412 },
  warmup: { lr: 2.5e-4, lrD: 1e-4, adv: 0.01, freezeBn: true },
  protoInit: { passes: 4, minPixels: 10, cap: 3000 },
  stage1: {
    lr: 1e-4,
    rceAlpha: 0.1,
    rceBeta: 1,
    regularW: 0.1,
    protoConsistW: 10,
    protoTemperature: 1,
    protoMomentum: 1e-4,
    emaDecay: 0.999,
    trainThred: 0,
    minPixels: 10,
  },
  distill: { lr: 6e-4, threshold: 0.95, weight: 1, kdStudent: 'log_softmax' },
  selfTrain: { lr: 1e-4, threshold: 0.9 },
  aug: { resize: 2200, cropWidth: 896, cropHeight: 512, strongN: 2, strongM: 10, translateXScale: 'width', alignOrder: 'recorded' },
  batchSize: 4,
};
