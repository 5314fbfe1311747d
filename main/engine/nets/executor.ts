// Runs a NetGraph with tfjs. Synchronous: call it inside tf.tidy / a gradient function.
import * as tf from '@tensorflow/tfjs';
import { batchNormEval, batchNormTrain, conv2d, groupNorm, resizeBilinearAligned, updatedRunningStats } from '../ops';
import { atrousConv2d } from '../ops/conv';
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

/** Executes the graph on x (NHWC float32) and returns its named outputs. */
export function runGraph(graph: NetGraph, params: ParamStore, x: tf.Tensor4D, opts: RunOptions): Record<string, tf.Tensor> {
  if (x.rank !== 4 || x.shape[3] !== graph.inputChannels) {
    throw new Error(`${graph.name}: input must be NHWC with ${graph.inputChannels} channels, got shape [${x.shape.join(', ')}]`);
  }
  const bnTraining = opts.bnTraining ?? opts.training;
  const dropoutOn = opts.dropout ?? opts.training;
  const seedBase = opts.dropoutSeed ?? Math.floor(Math.random() * 2 ** 31);
  const keep = new Set(Object.values(graph.outputs));
  const last = lastUses(graph);
  const values = new Map<string, tf.Tensor>([[graph.input, x]]);
  graph.nodes.forEach((node, index) => {
    const ins = node.inputs.map((id) => values.get(id) as tf.Tensor);
    const out = runNode(node, ins, index);
    // Identity cases (dropout off, resize to the same size) get their own handle so freeing the input is safe.
    values.set(node.id, ins.includes(out) ? tf.clone(out) : out);
    // Free what no later node reads. Safe under a gradient tape: tfjs saves its own clones for backprop.
    for (const id of new Set(node.inputs)) {
      if (last.get(id) === index && id !== graph.input && !keep.has(id)) values.get(id)?.dispose();
    }
  });
  return Object.fromEntries(Object.entries(graph.outputs).map(([k, id]) => [k, values.get(id) as tf.Tensor]));

  function runNode(node: GraphNode, ins: tf.Tensor[], index: number): tf.Tensor {
    const x0 = ins[0];
    switch (node.op) {
      case 'conv': {
        const w = params.get(`${node.param}.weight`) as tf.Tensor4D;
        let y: tf.Tensor4D;
        if (node.groups === 1) y = conv(x0 as tf.Tensor4D, w, node.stride, node.pad, node.dilation);
        else {
          const xs = tf.split(x0, node.groups, 3);
          const ws = tf.split(w, node.groups, 3);
          y = tf.concat(
            xs.map((xi, g) => conv(xi as tf.Tensor4D, ws[g] as tf.Tensor4D, node.stride, node.pad, node.dilation)),
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
        if (!bnTraining) return batchNormEval(x0 as tf.Tensor4D, g, b, rm, rv, node.eps);
        const r = batchNormTrain(x0 as tf.Tensor4D, g, b, node.eps);
        if (opts.updateRunningStats ?? true) {
          const [n, h, w] = x0.shape as number[];
          const count = n * h * w;
          const upd = updatedRunningStats(rm, rv, r.mean, r.variance, count, node.momentum);
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
        if (!dropoutOn || node.p === 0) return x0;
        const [n, , , c] = x0.shape;
        const u = tf.randomUniform([n, 1, 1, c], 0, 1, 'float32', (seedBase + 7919 * (index + 1)) % 2 ** 31);
        const mask = tf.div(tf.cast(tf.greaterEqual(u, node.p), 'float32'), 1 - node.p);
        return tf.mul(x0, mask);
      }
      case 'resize': {
        const size = node.size ?? [ins[1].shape[1] as number, ins[1].shape[2] as number];
        return resizeBilinearAligned(x0 as tf.Tensor4D, size);
      }
    }
  }

  function conv(xi: tf.Tensor4D, w: tf.Tensor4D, stride: number, pad: number, dilation: number): tf.Tensor4D {
    if (dilation > 1 && opts.atrous === 'space-to-batch') return atrousConv2d(xi, w, dilation, pad);
    return conv2d(xi, w, { stride, pad, dilation });
  }
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
