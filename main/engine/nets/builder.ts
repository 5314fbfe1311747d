// Small helper that appends nodes and their parameter specs to a NetGraph under construction.
import type { GraphNode, InitSpec, NetGraph, ParamSpec } from './graph';

type Group = ParamSpec['group'];

export interface ConvArgs {
  inChannels: number;
  outChannels: number;
  kernel: number;
  stride?: number;
  pad?: number;
  dilation?: number;
  groups?: number;
  bias?: boolean;
  weightInit: InitSpec;
  /** Default: PyTorch's uniform(±1/sqrt(fan_in)). */
  biasInit?: InitSpec;
}

export class GraphBuilder {
  readonly nodes: GraphNode[] = [];
  readonly params: ParamSpec[] = [];
  private readonly ids = new Set<string>();
  group: Group = 'backbone';

  constructor(
    readonly name: string,
    readonly input: string,
    readonly inputChannels: number,
  ) {
    this.ids.add(input);
  }

  private add<N extends GraphNode>(node: N): string {
    if (this.ids.has(node.id)) throw new Error(`${this.name}: duplicate node id '${node.id}'`);
    for (const i of node.inputs) if (!this.ids.has(i)) throw new Error(`${this.name}/${node.id}: unknown input '${i}'`);
    this.ids.add(node.id);
    this.nodes.push(node);
    return node.id;
  }

  private param(name: string, shape: number[], torchShape: number[], layout: ParamSpec['layout'], init: InitSpec, trainable = true): void {
    this.params.push({ name, shape, torchShape, layout, trainable, group: this.group, init });
  }

  conv(param: string, input: string, a: ConvArgs, id = param): string {
    const groups = a.groups ?? 1;
    const k = a.kernel;
    const cin = a.inChannels / groups;
    this.param(`${param}.weight`, [k, k, cin, a.outChannels], [a.outChannels, cin, k, k], 'conv-hwio', a.weightInit);
    if (a.bias) {
      const bound = 1 / Math.sqrt(cin * k * k);
      this.param(`${param}.bias`, [a.outChannels], [a.outChannels], 'vector', a.biasInit ?? { kind: 'uniform', bound });
    }
    return this.add({
      id,
      op: 'conv',
      inputs: [input],
      param,
      inChannels: a.inChannels,
      outChannels: a.outChannels,
      kernel: [k, k],
      stride: a.stride ?? 1,
      pad: a.pad ?? 0,
      dilation: a.dilation ?? 1,
      groups,
      bias: a.bias ?? false,
    });
  }

  batchNorm(param: string, input: string, channels: number, id = param): string {
    this.param(`${param}.weight`, [channels], [channels], 'vector', { kind: 'constant', value: 1 });
    this.param(`${param}.bias`, [channels], [channels], 'vector', { kind: 'constant', value: 0 });
    this.param(`${param}.running_mean`, [channels], [channels], 'vector', { kind: 'constant', value: 0 }, false);
    this.param(`${param}.running_var`, [channels], [channels], 'vector', { kind: 'constant', value: 1 }, false);
    return this.add({ id, op: 'batchnorm', inputs: [input], param, channels, eps: 1e-5, momentum: 0.1 });
  }

  groupNorm(param: string, input: string, channels: number, groups: number, id = param): string {
    this.param(`${param}.weight`, [channels], [channels], 'vector', { kind: 'constant', value: 1 });
    this.param(`${param}.bias`, [channels], [channels], 'vector', { kind: 'constant', value: 0 });
    return this.add({ id, op: 'groupnorm', inputs: [input], param, channels, groups, eps: 1e-5 });
  }

  /** nn.Linear with PyTorch's default init (uniform ±1/sqrt(in) for weight and bias). */
  linear(param: string, input: string, inFeatures: number, outFeatures: number, id = param): string {
    const bound = 1 / Math.sqrt(inFeatures);
    this.param(`${param}.weight`, [inFeatures, outFeatures], [outFeatures, inFeatures], 'linear-io', { kind: 'uniform', bound });
    this.param(`${param}.bias`, [outFeatures], [outFeatures], 'vector', { kind: 'uniform', bound });
    return this.add({ id, op: 'linear', inputs: [input], param, inFeatures, outFeatures, bias: true });
  }

  relu(id: string, input: string): string {
    return this.add({ id, op: 'relu', inputs: [input] });
  }
  leakyRelu(id: string, input: string, alpha: number): string {
    return this.add({ id, op: 'leakyrelu', inputs: [input], alpha });
  }
  sigmoid(id: string, input: string): string {
    return this.add({ id, op: 'sigmoid', inputs: [input] });
  }
  maxPool(id: string, input: string, kernel: number, stride: number, pad: number, ceilMode: boolean): string {
    return this.add({ id, op: 'maxpool', inputs: [input], kernel, stride, pad, ceilMode });
  }
  addNode(id: string, a: string, b: string): string {
    return this.add({ id, op: 'add', inputs: [a, b] });
  }
  mul(id: string, x: string, scale: string): string {
    return this.add({ id, op: 'mul', inputs: [x, scale] });
  }
  concat(id: string, inputs: string[]): string {
    return this.add({ id, op: 'concat', inputs });
  }
  globalAvgPool(id: string, input: string): string {
    return this.add({ id, op: 'globalAvgPool', inputs: [input] });
  }
  /** Bilinear, align_corners=True: to a fixed size, or to the spatial size of `like`. */
  resize(id: string, input: string, to: [number, number] | { like: string }): string {
    if (Array.isArray(to)) return this.add({ id, op: 'resize', inputs: [input], size: to, alignCorners: true });
    return this.add({ id, op: 'resize', inputs: [input, to.like], alignCorners: true });
  }
  dropout2d(id: string, input: string, p: number): string {
    return this.add({ id, op: 'dropout2d', inputs: [input], p });
  }

  build(outputs: Record<string, string>): NetGraph {
    for (const [k, v] of Object.entries(outputs)) if (!this.ids.has(v)) throw new Error(`${this.name}: output ${k} → unknown node '${v}'`);
    return { name: this.name, input: this.input, inputChannels: this.inputChannels, nodes: this.nodes, outputs, params: this.params };
  }
}
