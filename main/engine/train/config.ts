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

/**
 * Time constants rescaled to a shorter run so the slow averages do as many "effective updates" per run as in the paper.
 *
 * EMA net: the average's time constant is 1/(1−α) iterations; the paper's is 1000 of 62,412 iterations. Keeping
 * T·(1−α) fixed gives α' = 1 − (1−α)·T/T'.
 * Prototypes: each (image, class) update moves η by m, so over a run a class sees ≈ T·B·m time constants; keeping
 * T·B·m fixed gives m' = m·(T·B)/(T'·B').
 * Both are clamped to stay averages (α' ∈ [0, α], m' ∈ [m, 1]).
 */
export function scaledTimeConstants(
  base: ProdaConfig,
  iterations: number,
  batchSize: number,
): { emaDecay: number; protoMomentum: number } {
  if (!(iterations > 0) || !(batchSize > 0)) throw new Error(`scaledTimeConstants: iterations and batchSize must be > 0`);
  const ratio = base.optim.iterations / iterations;
  const emaDecay = Math.min(base.stage1.emaDecay, Math.max(0, 1 - (1 - base.stage1.emaDecay) * ratio));
  const protoMomentum = Math.max(
    base.stage1.protoMomentum,
    Math.min(1, base.stage1.protoMomentum * ((base.optim.iterations * base.batchSize) / (iterations * batchSize))),
  );
  return { emaDecay, protoMomentum };
}

/**
 * The demo preset: same losses and weights, a short run at small crops on the narrow network, with the poly schedule and
 * the slow averages rescaled to the run length.
 */
export function demoConfig(numClasses: number, iterations = 600, batchSize = 2): ProdaConfig {
  const scaled = scaledTimeConstants(PRODA_DEFAULTS, iterations, batchSize);
  return {
    ...PRODA_DEFAULTS,
    numClasses,
    optim: { ...PRODA_DEFAULTS.optim, iterations, maxIterations: Math.round((iterations * 90_000) / 62_412) },
    stage1: { ...PRODA_DEFAULTS.stage1, ...scaled },
    aug: { ...PRODA_DEFAULTS.aug, resize: 256, cropWidth: 224, cropHeight: 112 },
    batchSize,
  };
}
