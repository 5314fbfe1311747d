// Runs a NetGraph with tfjs. Synchronous: call it inside tf.tidy / a gradient function.
import * as tf from '@tensorflow/tfjs';
import { batchNormEval, batchNormTrain, conv2d, groupNorm, resizeBilinearAligned, updatedRunningStats } from '../ops';
import { atrousConv2d } from '../ops/conv';
import { customOp } from '../ops/custom-op';
import type { GraphNode, NetGraph } from './graph';
import { poolOutSize } from './graph';

export interface RunOptions {
  /** Train mode of PyTorch's module.train(): batch-stat BN and active dropout unless overridden below. */
  training: boolean;
  /** BN uses batch statistics (default: training). false = eval-mode BN, e.g. `--freeze_bn`. */
  bnTraining?: boolean;
  /** Write PyTorch-style running statistics while bnTraining (default: true). */
  updateRunningStats?: boolean;
  /** Dropout2d active (default: training). */
  dropout?: boolean;
  /** Seed of the dropout masks; each dropout node derives its own. Random when omitted. */
  dropoutSeed?: number;
  /** How dilated convs run: one conv with conv-based gradients (default) or spaceToBatch → conv → batchToSpace. */
  atrous?: 'direct' | 'space-to-batch';
  /**
   * Recompute each residual block in the backward pass instead of keeping its activations
   * (for ResNet-101 training inside wasm's 4 GB). Same values and gradients, ~1 extra forward.
   */
  checkpoint?: boolean;
}

export interface ParamStore {
  get(name: string): tf.Tensor;
  /** Overwrites a non-trainable buffer (BN running stats). */
  assign(name: string, value: tf.Tensor): void;
}

export function variableStore(vars: ReadonlyMap<string, tf.Variable>): ParamStore {
  return {
    get(name) {
      const v = vars.get(name);
      if (!v) throw new Error(`missing parameter '${name}'`);
      return v;
    },
    assign(name, value) {
      const v = vars.get(name);
      if (!v) throw new Error(`missing parameter '${name}'`);
      v.assign(value);
    },
  };
}

function lastUses(graph: NetGraph): Map<string, number> {
  const last = new Map<string, number>();
  graph.nodes.forEach((n, i) => n.inputs.forEach((id) => last.set(id, i)));
  return last;
}

interface Ctx {
  params: ParamStore;
  opts: RunOptions;
  bnTraining: boolean;
  dropoutOn: boolean;
  seedBase: number;
  updateStats: boolean;
}

/** Executes the graph on x (NHWC float32) and returns its named outputs. */
export function runGraph(graph: NetGraph, params: ParamStore, x: tf.Tensor4D, opts: RunOptions): Record<string, tf.Tensor> {
  if (x.rank !== 4 || x.shape[3] !== graph.inputChannels) {
    throw new Error(`${graph.name}: input must be NHWC with ${graph.inputChannels} channels, got shape [${x.shape.join(', ')}]`);
  }
  const ctx: Ctx = {
    params,
    opts,
    bnTraining: opts.bnTraining ?? opts.training,
    dropoutOn: opts.dropout ?? opts.training,
    seedBase: opts.dropoutSeed ?? Math.floor(Math.random() * 2 ** 31),
    updateStats: opts.updateRunningStats ?? true,
  };
  const keep = new Set(Object.values(graph.outputs));
  const last = lastUses(graph);
  const segments = opts.checkpoint ? checkpointSegments(graph) : new Map<number, Segment>();
  const values = new Map<string, tf.Tensor>([[graph.input, x]]);
  const free = (ids: Iterable<string>, index: number) => {
    // Free what no later node reads. Safe under a gradient tape: tfjs saves its own clones for backprop.
    for (const id of new Set(ids)) if (last.get(id) === index && id !== graph.input && !keep.has(id)) values.get(id)?.dispose();
  };
  for (let index = 0; index < graph.nodes.length; index++) {
    const seg = segments.get(index);
    if (seg) {
      values.set(seg.output, runCheckpointed(graph, seg, values.get(seg.input) as tf.Tensor, ctx));
      index = seg.end;
      free([seg.input], index);
      continue;
    }
    const node = graph.nodes[index];
    const ins = node.inputs.map((id) => values.get(id) as tf.Tensor);
    // Per-node tidy: temporaries inside a node (BN's scaled input, a conv before its bias) die here
    // instead of at the caller's tidy, which keeps eval-mode peak memory near one layer's worth.
    const out = tf.tidy(() => runNode(node, ins, index, ctx));
    // Identity cases (dropout off, resize to the same size) get their own handle so freeing the input is safe.
    values.set(node.id, ins.includes(out) ? tf.clone(out) : out);
    free(node.inputs, index);
  }
  return Object.fromEntries(Object.entries(graph.outputs).map(([k, id]) => [k, values.get(id) as tf.Tensor]));
}

/** Runs nodes [start, end] from one input tensor, freeing intermediates; returns the last node's output. */
function runRange(graph: NetGraph, seg: Segment, x: tf.Tensor, ctx: Ctx): tf.Tensor {
  const values = new Map<string, tf.Tensor>([[seg.input, x]]);
  for (let i = seg.start; i <= seg.end; i++) {
    const node = graph.nodes[i];
    const ins = node.inputs.map((id) => values.get(id) as tf.Tensor);
    const out = tf.tidy(() => runNode(node, ins, i, ctx));
    values.set(node.id, ins.includes(out) ? tf.clone(out) : out);
    for (const id of new Set(node.inputs)) if (id !== seg.input && seg.lastUse.get(id) === i) values.get(id)?.dispose();
  }
  return values.get(seg.output) as tf.Tensor;
}

// ---- Activation checkpointing -------------------------------------------------------------------
// ResNet-101 at 512×896 keeps > 4 GB of activations for backprop, more than wasm32 can address.
// With `checkpoint`, each residual block is one tape node that keeps only its input; its backward
// recomputes the block under a fresh tape (about one extra forward in total) and differentiates it.

interface Segment {
  start: number;
  end: number;
  input: string;
  output: string;
  /** Trainable parameter names read by the block (the op's differentiable inputs besides x). */
  params: string[];
  /** Last node index reading each id inside the block. */
  lastUse: Map<string, number>;
}

const segmentCache = new WeakMap<NetGraph, Map<number, Segment>>();

function nodeParams(node: GraphNode): string[] {
  switch (node.op) {
    case 'conv':
      return node.bias ? [`${node.param}.weight`, `${node.param}.bias`] : [`${node.param}.weight`];
    case 'batchnorm':
    case 'groupnorm':
      return [`${node.param}.weight`, `${node.param}.bias`];
    case 'linear':
      return [`${node.param}.weight`, `${node.param}.bias`];
    default:
      return [];
  }
}

/** Residual blocks (`layerN.M.*` runs with one external input and one externally used output). */
export function checkpointSegments(graph: NetGraph): Map<number, Segment> {
  const cached = segmentCache.get(graph);
  if (cached) return cached;
  const out = new Map<number, Segment>();
  const prefixOf = (id: string) => /^(layer\d+\.\d+)\./.exec(id)?.[1];
  const consumers = new Map<string, number[]>();
  graph.nodes.forEach((n, i) => n.inputs.forEach((id) => consumers.set(id, [...(consumers.get(id) ?? []), i])));
  const outputs = new Set(Object.values(graph.outputs));
  let i = 0;
  while (i < graph.nodes.length) {
    const prefix = prefixOf(graph.nodes[i].id);
    let j = i;
    while (prefix && j + 1 < graph.nodes.length && prefixOf(graph.nodes[j + 1].id) === prefix) j++;
    if (prefix && j > i) {
      const inside = new Set(graph.nodes.slice(i, j + 1).map((n) => n.id));
      const external = new Set(graph.nodes.slice(i, j + 1).flatMap((n) => n.inputs.filter((id) => !inside.has(id))));
      const last = graph.nodes[j].id;
      const leaks = [...inside].some((id) => id !== last && ((consumers.get(id) ?? []).some((c) => c > j) || outputs.has(id)));
      if (external.size === 1 && !leaks) {
        const params = [...new Set(graph.nodes.slice(i, j + 1).flatMap(nodeParams))];
        const lastUse = new Map<string, number>();
        for (let k = i; k <= j; k++) for (const id of graph.nodes[k].inputs) lastUse.set(id, k);
        out.set(i, { start: i, end: j, input: [...external][0], output: last, params, lastUse });
      }
    }
    i = j + 1;
  }
  segmentCache.set(graph, out);
  return out;
}

type EngineState = { state: { activeTape: unknown } };

/** Grads computed by a block's backward that the tape has not asked for yet (frozen parameters). */
let unclaimed: tf.Tensor[] = [];
function releaseUnclaimed(): void {
  for (const t of unclaimed) if (!t.isDisposed) t.dispose();
  unclaimed = [];
}

function runCheckpointed(graph: NetGraph, seg: Segment, x: tf.Tensor, ctx: Ctx): tf.Tensor {
  releaseUnclaimed();
  const paramTensors = seg.params.map((n) => ctx.params.get(n));
  return customOp([x, ...paramTensors], (save) => {
    save([x]);
    return runRange(graph, seg, x, ctx);
  }, (dy, [xs]) => {
    let computed: tf.Tensor[] | null = null;
    const compute = () => {
      releaseUnclaimed();
      const engine = tf.engine() as unknown as EngineState;
      // tf.grads inside a backward pass would clear the outer pass's tape: keep and restore it.
      const outerTape = engine.state.activeTape;
      try {
        const names = seg.params;
        const f = (...args: tf.Tensor[]) => {
          const local = new Map(names.map((n, k) => [n, args[k + 1]]));
          const store: ParamStore = {
            get: (n) => local.get(n) ?? ctx.params.get(n),
            assign: () => undefined,
          };
          return runRange(graph, seg, args[0], { ...ctx, params: store, updateStats: false });
        };
        const g = tf.grads(f)([xs, ...paramTensors], dy);
        computed = g.map((t) => tf.keep(t));
      } finally {
        engine.state.activeTape = outerTape;
      }
      unclaimed = [...computed];
    };
    return [xs, ...paramTensors].map((_, k) => () => {
      if (!computed) compute();
      const t = (computed as tf.Tensor[])[k];
      const out = tf.clone(t);
      t.dispose();
      unclaimed = unclaimed.filter((u) => u !== t);
      return out;
    });
  });
}

function runNode(node: GraphNode, ins: tf.Tensor[], index: number, ctx: Ctx): tf.Tensor {
  const { params } = ctx;
  const x0 = ins[0];
  switch (node.op) {
    case 'conv': {
      const w = params.get(`${node.param}.weight`) as tf.Tensor4D;
      let y: tf.Tensor4D;
      if (node.groups === 1) y = conv(x0 as tf.Tensor4D, w, node.stride, node.pad, node.dilation, ctx.opts);
      else {
        const xs = tf.split(x0, node.groups, 3);
        const ws = tf.split(w, node.groups, 3);
        y = tf.concat(
          xs.map((xi, g) => conv(xi as tf.Tensor4D, ws[g] as tf.Tensor4D, node.stride, node.pad, node.dilation, ctx.opts)),
          3,
        );
      }
      return node.bias ? tf.add(y, params.get(`${node.param}.bias`)) : y;
    }
    case 'batchnorm': {
      const g = params.get(`${node.param}.weight`) as tf.Tensor1D;
      const b = params.get(`${node.param}.bias`) as tf.Tensor1D;
      const rm = params.get(`${node.param}.running_mean`) as tf.Tensor1D;
      const rv = params.get(`${node.param}.running_var`) as tf.Tensor1D;
      if (!ctx.bnTraining) return batchNormEval(x0 as tf.Tensor4D, g, b, rm, rv, node.eps);
      const r = batchNormTrain(x0 as tf.Tensor4D, g, b, node.eps);
      if (ctx.updateStats) {
        const [n, h, w] = x0.shape as number[];
        const upd = updatedRunningStats(rm, rv, r.mean, r.variance, n * h * w, node.momentum);
        params.assign(`${node.param}.running_mean`, upd.mean);
        params.assign(`${node.param}.running_var`, upd.variance);
      }
      return r.y;
    }
    case 'groupnorm':
      return groupNorm(x0 as tf.Tensor4D, params.get(`${node.param}.weight`) as tf.Tensor1D, params.get(`${node.param}.bias`) as tf.Tensor1D, node.groups, node.eps);
    case 'relu':
      return tf.relu(x0);
    case 'leakyrelu':
      return tf.leakyRelu(x0, node.alpha);
    case 'sigmoid':
      return tf.sigmoid(x0);
    case 'maxpool':
      return maxPool(x0 as tf.Tensor4D, node.kernel, node.stride, node.pad, node.ceilMode);
    case 'add':
      return tf.add(x0, ins[1]);
    case 'mul': {
      const s = ins[1];
      return tf.mul(x0, tf.reshape(s, [s.shape[0], 1, 1, s.shape[1] as number]));
    }
    case 'concat':
      return tf.concat(ins, 3);
    case 'globalAvgPool':
      return tf.mean(x0, [1, 2]);
    case 'linear': {
      const y = tf.matMul(x0 as tf.Tensor2D, params.get(`${node.param}.weight`) as tf.Tensor2D);
      return node.bias ? tf.add(y, params.get(`${node.param}.bias`)) : y;
    }
    case 'dropout2d': {
      if (!ctx.dropoutOn || node.p === 0) return x0;
      const [n, , , c] = x0.shape;
      const u = tf.randomUniform([n, 1, 1, c], 0, 1, 'float32', (ctx.seedBase + 7919 * (index + 1)) % 2 ** 31);
      const mask = tf.div(tf.cast(tf.greaterEqual(u, node.p), 'float32'), 1 - node.p);
      return tf.mul(x0, mask);
    }
    case 'resize': {
      const size = node.size ?? [ins[1].shape[1] as number, ins[1].shape[2] as number];
      return resizeBilinearAligned(x0 as tf.Tensor4D, size);
    }
  }
}

function conv(xi: tf.Tensor4D, w: tf.Tensor4D, stride: number, pad: number, dilation: number, opts: RunOptions): tf.Tensor4D {
  if (dilation > 1 && opts.atrous === 'space-to-batch') return atrousConv2d(xi, w, dilation, pad);
  return conv2d(xi, w, { stride, pad, dilation });
}

/** MaxPool2d with PyTorch padding and ceil_mode: pad with -inf so padding never wins. */
export function maxPool(x: tf.Tensor4D, k: number, s: number, p: number, ceilMode: boolean): tf.Tensor4D {
  const [, h, w] = x.shape;
  const oh = poolOutSize(h, k, s, p, ceilMode);
  const ow = poolOutSize(w, k, s, p, ceilMode);
  const extraH = Math.max(0, (oh - 1) * s + k - h - p);
  const extraW = Math.max(0, (ow - 1) * s + k - w - p);
  const xp = p || extraH || extraW ? tf.pad(x, [[0, 0], [p, extraH], [p, extraW], [0, 0]], -Infinity) : x;
  const y = tf.maxPool(xp, k, s, 'valid');
  return y.shape[1] === oh && y.shape[2] === ow ? y : tf.slice(y, [0, 0, 0, 0], [-1, oh, ow, -1]);
}
