import type { LrGroups, TrainingStage } from '../../../shared/runs-config';
import type { SegNet } from '../nets';
import { lrScaleFor, polyLr } from '../optim/schedule';
import type { Sgd } from '../optim/sgd';
import type { NamedGrads } from './grads';

/**
 * What every stage step takes besides its own weights: where it is on the poly schedule, its base LR and groups,
 * and the seed of its dropout masks. The names are the run config's (`optim.polyHorizon`, `optim.lrGroups`).
 */
export interface StepOptions {
  iteration: number;
  /** poly schedule length (`optim.polyHorizon`, the reference's max_iter / `--train_iters`) */
  polyHorizon: number;
  polyPower: number;
  /** base LR of the student */
  lr: number;
  /** LR groups; absent = the reference's layout for the stage (shared PAPER table) */
  lrGroups?: LrGroups;
  seed: number;
  /** Dropout2d in the student's train-mode forwards (reference: on). Parity tests turn it off: torch's masks cannot be replayed. */
  dropout: boolean;
}

/** The poly-decayed LR of this iteration. */
export const stepLr = (o: StepOptions): number => polyLr(o.lr, o.iteration, o.polyHorizon, o.polyPower);

/** One SGD step of the student at this iteration's LR, under the options' groups or else `stage`'s reference groups. */
export function sgdUpdate(optimizer: Sgd, student: SegNet, grads: NamedGrads, o: StepOptions, stage: TrainingStage): void {
  const lr = stepLr(o);
  optimizer.step(student.params, grads, (name) => lr * lrScaleFor(o.lrGroups ?? stage, name));
}
