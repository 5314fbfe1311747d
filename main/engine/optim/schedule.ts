import { lrGroupModes, PAPER, type LrGroups, type TrainingStage } from '../../../shared/runs-config';

/**
 * Learning-rate schedule and parameter groups of the reference (torch poly scheduler stepped every iteration,
 * so iteration 0 trains at the base rate). `polyHorizon` is the run config's name for the reference's max_iter.
 */
export function polyLr(baseLr: number, iteration: number, polyHorizon: number, power = 0.9): number {
  if (!(polyHorizon > 0)) throw new Error(`polyLr: polyHorizon must be > 0, got ${polyHorizon}`);
  const frac = Math.min(Math.max(iteration / polyHorizon, 0), 1);
  return baseLr * Math.pow(1 - frac, power);
}

/** The backbone (1× group): conv1, bn1, layer1..layer4. Everything else (head, bn_pretrain) is the 10× group. */
export function isBackboneParam(name: string): boolean {
  return /^(conv1|bn1|layer[1-4])\./.test(name);
}

/**
 * LR multiplier of a parameter under a group layout, or under a stage's reference layout (shared PAPER table):
 * stage 1 has one flat group (the head trains at 1× too); warm-up and the distillation stages (`--finetune`) use 1×
 * for the backbone and 10× for the rest.
 */
export function lrScaleFor(groups: TrainingStage | LrGroups, name: string): number {
  const mode: LrGroups = (lrGroupModes as readonly string[]).includes(groups) ? (groups as LrGroups) : PAPER[groups as TrainingStage].lrGroups;
  if (mode === 'flat') return 1;
  return isBackboneParam(name) ? 1 : 10;
}
