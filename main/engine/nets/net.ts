// A network = a NetGraph plus its parameters as named tf.Variables (BN running stats are
// non-trainable variables in the same map). Weights cross the engine boundary as typed arrays.
import * as tf from '@tensorflow/tfjs';
import { readData } from '../read';
import { buildDiscriminatorGraph, buildSegNetGraph } from './deeplab';
import type { SegNetConfig } from './deeplab';
import { runGraph, variableStore } from './executor';
import type { RunOptions } from './executor';
import { inferShapes, paramSize } from './graph';
import type { NetGraph, ParamSpec } from './graph';
import { initValues } from './init';

export type NamedWeights = Record<string, { shape: number[]; data: Float32Array }>;

export interface ApplyOptions extends Omit<RunOptions, 'training'> {
  training: boolean;
}

export class GraphNet {
  readonly params: Map<string, tf.Variable>;
  private readonly specs: Map<string, ParamSpec>;
  private disposed = false;

  constructor(
    readonly graph: NetGraph,
    opts: { seed?: number; weights?: NamedWeights } = {},
  ) {
    this.specs = new Map(graph.params.map((p) => [p.name, p]));
    this.params = new Map();
    const seed = opts.seed ?? 1337;
    for (const p of graph.params) {
      const w = opts.weights?.[p.name];
      const data = w ? checked(p, w) : initValues(p.name, paramSize(p), p.init, seed);
      // tf.variable keeps its own copy: the initial tensor must not outlive this line.
      const initial = tf.tensor(data, p.shape, 'float32');
      this.params.set(p.name, tf.variable(initial, p.trainable, `${graph.name}/${p.name}#${uid()}`));
      initial.dispose();
    }
  }

  /** Runs the graph; returns every named output. Synchronous: call inside tf.tidy or a gradient function. */
  run(x: tf.Tensor4D, opts: ApplyOptions): Record<string, tf.Tensor> {
    this.assertAlive();
    return runGraph(this.graph, variableStore(this.params), x, opts);
  }

  /** Trainable variables in graph order. */
  trainableVariables(): tf.Variable[] {
    return this.graph.params.filter((p) => p.trainable).map((p) => this.params.get(p.name) as tf.Variable);
  }

  /** The official optimiser groups: 1× = backbone (conv1, bn1, layer1-4), 10× = bn_pretrain + head. */
  paramGroups(): { backbone: tf.Variable[]; head: tf.Variable[] } {
    const pick = (g: ParamSpec['group']) =>
      this.graph.params.filter((p) => p.trainable && p.group === g).map((p) => this.params.get(p.name) as tf.Variable);
    return { backbone: pick('backbone'), head: pick('head') };
  }

  /** Name of a variable in the PyTorch state dict, or undefined if it is not one of ours. */
  nameOf(v: tf.Variable): string | undefined {
    for (const [name, w] of this.params) if (w === v) return name;
    return undefined;
  }

  /** Snapshot of every parameter and buffer, tfjs layout (conv HWIO, linear [in, out]). */
  async getWeights(): Promise<NamedWeights> {
    this.assertAlive();
    const out: NamedWeights = {};
    for (const p of this.graph.params) {
      out[p.name] = { shape: [...p.shape], data: await readData(this.params.get(p.name) as tf.Variable) };
    }
    return out;
  }

  /** Assigns by name. strict (default) requires every parameter and rejects unknown names. */
  setWeights(weights: NamedWeights, opts: { strict?: boolean } = {}): void {
    this.assertAlive();
    const strict = opts.strict ?? true;
    if (strict) {
      const unknown = Object.keys(weights).filter((k) => !this.specs.has(k));
      const missing = this.graph.params.map((p) => p.name).filter((k) => !(k in weights));
      if (unknown.length || missing.length) {
        throw new Error(
          `${this.graph.name}: weights do not match (${missing.length} missing${missing.length ? `: ${missing.slice(0, 5).join(', ')}` : ''}; ` +
            `${unknown.length} unknown${unknown.length ? `: ${unknown.slice(0, 5).join(', ')}` : ''})`,
        );
      }
    }
    for (const [name, w] of Object.entries(weights)) {
      const spec = this.specs.get(name);
      if (!spec) continue;
      const data = checked(spec, w);
      tf.tidy(() => (this.params.get(name) as tf.Variable).assign(tf.tensor(data, spec.shape, 'float32')));
    }
  }

  /** Copies every parameter and buffer from another net with the same graph (no host round trip). */
  copyFrom(other: GraphNet): void {
    for (const [name, v] of this.params) {
      const src = other.params.get(name);
      if (!src) throw new Error(`${this.graph.name}: source has no '${name}'`);
      v.assign(src);
    }
  }

  /** Static output shapes (NHWC) for an input shape, e.g. [1, 512, 896, 3]. */
  outputShapes(inputShape: readonly number[]): Record<string, number[]> {
    const shapes = inferShapes(this.graph, inputShape);
    return Object.fromEntries(Object.entries(this.graph.outputs).map(([k, id]) => [k, shapes.get(id) as number[]]));
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.params.values()) v.dispose();
  }

  private assertAlive(): void {
    if (this.disposed) throw new Error(`${this.graph.name}: used after dispose()`);
  }
}

/** DeepLabv2 + ProDA head. apply(x NHWC float32 in [0,1]) → { feat, logits } at 1/8 resolution. */
export class SegNet extends GraphNet {
  constructor(
    readonly config: SegNetConfig,
    opts: { seed?: number; weights?: NamedWeights } = {},
  ) {
    super(buildSegNetGraph(config), opts);
  }

  apply(x: tf.Tensor4D, opts: ApplyOptions): { feat: tf.Tensor4D; logits: tf.Tensor4D } {
    const out = this.run(x, opts);
    return { feat: out.feat as tf.Tensor4D, logits: out.logits as tf.Tensor4D };
  }

  /** Output (feat/logits) spatial size for an input size, with PyTorch's rounding. */
  outputSize(height: number, width: number): [number, number] {
    const s = this.outputShapes([1, height, width, 3]).logits;
    return [s[1], s[2]];
  }
}

/** The warm-up discriminator; apply(probs NHWC) → [N, h/16, w/16, 1]. */
export class Discriminator extends GraphNet {
  constructor(inChannels: number, opts: { seed?: number; planes?: number; weights?: NamedWeights } = {}) {
    super(buildDiscriminatorGraph(inChannels, opts.planes ?? 64), opts);
  }

  apply(x: tf.Tensor4D): tf.Tensor4D {
    return this.run(x, { training: true }).out as tf.Tensor4D;
  }
}

function checked(spec: ParamSpec, w: { shape: number[]; data: Float32Array }): Float32Array {
  if (w.shape.join() !== spec.shape.join() || w.data.length !== paramSize(spec)) {
    throw new Error(`${spec.name}: shape [${w.shape.join(', ')}] with ${w.data.length} values, expected [${spec.shape.join(', ')}] (tfjs layout)`);
  }
  return w.data;
}

let counter = 0;
function uid(): number {
  return ++counter;
}
