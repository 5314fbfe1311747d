import { PAPER } from '../../../shared/runs-config';
import type { KdStudent } from '../proda/losses';
import type { Stage1Weights } from './stage1';

/**
 * ProDA hyperparameters with the official defaults (shared/docs/proda-reference.md §3–§5), one typed object whose
 * fields carry the run config's names. Iteration counts are the paper's: 62,412 iterations run under a poly schedule
 * whose horizon is 90,000.
 */
export interface ProdaConfig {
  numClasses: number;
  seed: number;
  optim: {
    momentum: number;
    weightDecay: number;
    polyPower: number;
    /** poly schedule length (`--train_iters`) */
    polyHorizon: number;
    /** iterations actually run (84 epochs × 743) */
    iterations: number;
  };
  warmup: { lr: number; discriminatorLr: number; adversarialWeight: number; freezeBn: boolean };
  protoInit: { passes: number; minPixels: number; cap: number };
  stage1: Required<Stage1Weights> & { lr: number; minPixels: number };
  distill: { lr: number; threshold: number; kdWeight: number; kdStudent: KdStudent };
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
  optim: { momentum: P.optim.momentum, weightDecay: P.optim.weightDecay, polyPower: P.optim.power, polyHorizon: P.optim.polyHorizon, iterations: P.optim.iterations },
  warmup: { lr: P.warmup.lr, discriminatorLr: P.warmup.discriminatorLr, adversarialWeight: P.warmup.adversarialWeight, freezeBn: P.warmup.freezeBn },
  protoInit: { passes: P.prototypes.epochs, minPixels: P.prototypes.minPixels, cap: P.prototypes.cap },
  stage1: { ...P.stage1, minPixels: P.prototypes.minPixels },
  distill: { lr: P.distill.lr, threshold: P.distill.threshold, kdWeight: P.distill.kdWeight, kdStudent: 'log_softmax' },
  selfTrain: { lr: P.selftrain.lr, threshold: P.selftrain.threshold },
  aug: { resize: 2200, cropWidth: 896, cropHeight: 512, strongN: 2, strongM: 10, translateXScale: 'width', alignOrder: 'recorded' },
  batchSize: P.optim.batchSize,
};
