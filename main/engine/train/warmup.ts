import * as tf from '@tensorflow/tfjs';
import type { Discriminator, SegNet } from '../nets';
import { resizeBilinearAligned } from '../ops';
import type { Adam } from '../optim/adam';
import { polyLr } from '../optim/schedule';
import type { Sgd } from '../optim/sgd';
import { crossEntropy, lsganLoss } from '../proda/losses';
import { takeNumber, takeNumbers } from '../read';
import { batchNormAffineNames, disposeGrads, dropoutSeed, lossAndGrads } from './grads';
import type { NamedGrads } from './grads';
import { sgdUpdate, stepLr, type StepOptions } from './step-options';

export interface WarmupBatch {
  source: tf.Tensor4D;
  /** crop-resolution labels, int32, 250 = ignore */
  sourceLabels: tf.Tensor3D;
  target: tf.Tensor4D;
}

export interface WarmupState {
  net: SegNet;
  discriminator: Discriminator;
  optimizer: Sgd;
  optimizerD: Adam;
}

/** The segmentation net's base LR is 1× backbone, 10× head unless lrGroups says otherwise. */
export interface WarmupOptions extends StepOptions {
  discriminatorLr: number;
  /** weight of the generator's adversarial term (`--adv 0.01`) */
  adversarialWeight: number;
  /** `--freeze_bn`: BN in eval mode with frozen affine parameters */
  freezeBn: boolean;
}

export interface WarmupLosses {
  sourceCe: number;
  advG: number;
  discriminator: number;
  lr: number;
}

/** Train-mode forward of the warm-up: `--freeze_bn` runs BN in eval mode. */
const warmupForward = (o: WarmupOptions, slot: number) => ({
  training: true,
  bnTraining: !o.freezeBn,
  dropout: o.dropout,
  dropoutSeed: dropoutSeed(o.seed, o.iteration, slot),
});

const SOURCE = 0;
const TARGET = 1;

export interface WarmupGradients {
  /** segmentation net: d(CE_src + adv·MSE(D(p_t), source))/dθ (frozen BN affine excluded) */
  grads: NamedGrads;
  /** discriminator: d(MSE(D(p_s), source) + MSE(D(p_t), target))/dφ on the detached probabilities */
  gradsD: NamedGrads;
  losses: WarmupLosses;
}

/**
 * The gradient half of a warm-up iteration (`step_adv`, AdaptSegNet-style output-space LS-GAN). Probabilities are
 * softmax of logits upsampled to the crop size. D's gradient uses D's weights before the step, as in the reference
 * (its generator step leaves D untouched), so both halves can be computed before either update.
 */
export async function warmupGradients(state: WarmupState, batch: WarmupBatch, o: WarmupOptions): Promise<WarmupGradients> {
  const { net, discriminator: D } = state;
  const lr = stepLr(o);
  const frozen = o.freezeBn ? batchNormAffineNames(net) : undefined;
  const run = (slot: number) => warmupForward(o, slot);

  let probsS: tf.Tensor4D | undefined;
  let probsT: tf.Tensor4D | undefined;
  let advG: tf.Scalar | undefined;
  const g = lossAndGrads(
    net,
    () => {
      const [, H, W] = batch.sourceLabels.shape;
      const upS = resizeBilinearAligned(net.apply(batch.source, run(0)).logits, [H, W]);
      const ce = crossEntropy(upS, batch.sourceLabels);
      const [, th, tw] = batch.target.shape;
      const upT = resizeBilinearAligned(net.apply(batch.target, run(1)).logits, [th, tw]);
      const pT = tf.softmax(upT, -1) as tf.Tensor4D;
      const adv = lsganLoss(D.apply(pT), SOURCE);
      probsS = tf.keep(tf.softmax(upS, -1) as tf.Tensor4D);
      probsT = tf.keep(pT.clone());
      advG = tf.keep(adv.clone());
      return tf.add(ce, tf.mul(adv, o.adversarialWeight)) as tf.Scalar;
    },
    frozen,
  );
  const d = lossAndGrads(D, () => tf.add(lsganLoss(D.apply(probsS!), SOURCE), lsganLoss(D.apply(probsT!), TARGET)) as tf.Scalar);
  tf.dispose([probsS!, probsT!]);
  const [total, adv, discriminator] = await takeNumbers([g.value, advG!, d.value]);
  return { grads: g.grads, gradsD: d.grads, losses: { sourceCe: total - o.adversarialWeight * adv, advG: adv, discriminator, lr } };
}

/** The update half: SGD on the net (1×/10× groups), Adam on the discriminator, both at their poly-decayed rates. */
export function warmupApply(state: WarmupState, grads: NamedGrads, gradsD: NamedGrads, o: WarmupOptions): void {
  const lrD = polyLr(o.discriminatorLr, o.iteration, o.polyHorizon, o.polyPower);
  sgdUpdate(state.optimizer, state.net, grads, o, 'warmup');
  state.optimizerD.step(state.discriminator.params, gradsD, () => lrD);
}

/** One warm-up iteration in one process: generator step with D frozen, then the discriminator step. */
export async function warmupStep(state: WarmupState, batch: WarmupBatch, o: WarmupOptions): Promise<WarmupLosses> {
  const g = await warmupGradients(state, batch, o);
  try {
    warmupApply(state, g.grads, g.gradsD, o);
  } finally {
    disposeGrads(g.grads);
    disposeGrads(g.gradsD);
  }
  return g.losses;
}

/**
 * Source-only training (the warm-up with adversarialWeight 0, also the target oracle): the warm-up's generator loss
 * without the adversarial term, so no discriminator runs. Returns the source CE and the LR.
 */
export async function sourceOnlyStep(state: { net: SegNet; optimizer: Sgd }, batch: Omit<WarmupBatch, 'target'>, o: WarmupOptions): Promise<{ sourceCe: number; lr: number }> {
  const { net } = state;
  const frozen = o.freezeBn ? batchNormAffineNames(net) : undefined;
  const g = lossAndGrads(
    net,
    () => {
      const [, H, W] = batch.sourceLabels.shape;
      return crossEntropy(resizeBilinearAligned(net.apply(batch.source, warmupForward(o, 0)).logits, [H, W]), batch.sourceLabels);
    },
    frozen,
  );
  try {
    sgdUpdate(state.optimizer, net, g.grads, o, 'warmup');
  } finally {
    disposeGrads(g.grads);
  }
  return { sourceCe: await takeNumber(g.value), lr: stepLr(o) };
}
