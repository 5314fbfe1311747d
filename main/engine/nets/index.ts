export { SegNet, GraphNet, Discriminator } from './net';
export type { NamedWeights, ApplyOptions } from './net';
export { buildSegNetGraph, buildDiscriminatorGraph, backbones, officialHead, demoConfig, resolveHead } from './deeplab';
export type { SegNetConfig, BackboneName, BackboneSpec, HeadSpec } from './deeplab';
export { runGraph, variableStore, maxPool } from './executor';
export type { RunOptions, ParamStore } from './executor';
export { inferShapes, toTorchLayout, fromTorchLayout, paramSize, poolOutSize, convSize } from './graph';
export type { NetGraph, GraphNode, ParamSpec, ParamLayout, InitSpec, OpName } from './graph';
