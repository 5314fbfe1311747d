// tfjs 4.22 gap workarounds, each a small tested piece. Importing this module installs the
// gradient registrations (idempotent).
import { installGradientFixes } from './gradient-fixes';

installGradientFixes();

export { installGradientFixes } from './gradient-fixes';
export { conv2d, atrousConv2d, convOutSize } from './conv';
export type { Conv2dOptions, Pad4 } from './conv';
export { customOp, customOpMulti, stopGradient } from './custom-op';
export { batchNormTrain, batchNormEval, updatedRunningStats, groupNorm, NORM_EPS } from './norm';
export type { BatchNormTrainResult } from './norm';
export { resizeBilinearAligned } from './resize';
