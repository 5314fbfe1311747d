// The declarative network description shared by the tfjs executor and the ONNX / TF.js exporters.
//
// A NetGraph is a topologically ordered node list. Tensors flowing between nodes are NHWC at run time
// (tfjs layout); attributes are stated in PyTorch terms (kernel, stride, symmetric padding, dilation,
// ceil_mode) so an exporter can translate each node to one ONNX operator. Rank-2 [N, C] tensors occur
// only between globalAvgPool, linear, relu, sigmoid and the channel-scaling `mul`.
//
// Parameters are listed once in `params` under their PyTorch state-dict keys. `shape` is the tfjs
// layout; `torchShape` and `layout` say how to convert (see toTorchLayout / fromTorchLayout).
import { transpose2d } from '../layout';

export type ParamLayout =
  /** conv weight: tfjs HWIO [kh, kw, in/groups, out] ↔ PyTorch OIHW [out, in/groups, kh, kw]. */
  | 'conv-hwio'
  /** linear weight: tfjs [in, out] (x·W) ↔ PyTorch [out, in]. */
  | 'linear-io'
  /** 1-D vectors (bias, norm affine, running stats): same in both. */
  | 'vector';

export type InitSpec =
  | { kind: 'normal'; std: number }
  | { kind: 'uniform'; bound: number }
  | { kind: 'constant'; value: number };

export interface ParamSpec {
  name: string;
  shape: number[];
  torchShape: number[];
  layout: ParamLayout;
  /** false for BN running statistics (PyTorch buffers). */
  trainable: boolean;
  /** Learning-rate group of the official code: 1× backbone, 10× head (and bn_pretrain). */
  group: 'backbone' | 'head';
  init: InitSpec;
}

interface NodeBase {
  id: string;
  inputs: string[];
}

export type GraphNode =
  | (NodeBase & {
      op: 'conv';
      /** Parameter prefix: `${param}.weight` and, when bias, `${param}.bias`. */
      param: string;
      inChannels: number;
      outChannels: number;
      kernel: [number, number];
      stride: number;
      /** Symmetric zero padding, PyTorch `padding`. */
      pad: number;
      dilation: number;
      groups: number;
      bias: boolean;
    })
  | (NodeBase & {
      op: 'batchnorm';
      /** `${param}.weight|bias|running_mean|running_var`. */
      param: string;
      channels: number;
      eps: number;
      /** PyTorch convention: running = (1 - momentum)·running + momentum·batch. */
      momentum: number;
    })
  | (NodeBase & { op: 'groupnorm'; param: string; channels: number; groups: number; eps: number })
  | (NodeBase & { op: 'relu' })
  | (NodeBase & { op: 'leakyrelu'; alpha: number })
  | (NodeBase & { op: 'sigmoid' })
  | (NodeBase & { op: 'maxpool'; kernel: number; stride: number; pad: number; ceilMode: boolean })
  /** Element-wise sum of two same-shape tensors. */
  | (NodeBase & { op: 'add' })
  /** inputs [x NHWC, s (N, C)]: x scaled per sample and channel (squeeze-excitation). */
  | (NodeBase & { op: 'mul' })
  /** Channel concatenation (PyTorch dim 1, tfjs axis 3). */
  | (NodeBase & { op: 'concat' })
  /** NHWC → [N, C] mean over H and W (AdaptiveAvgPool2d(1) + flatten). */
  | (NodeBase & { op: 'globalAvgPool' })
  | (NodeBase & { op: 'linear'; param: string; inFeatures: number; outFeatures: number; bias: boolean })
  /** Zeroes whole channels with probability p in training (scales the rest by 1/(1-p)); identity in eval. */
  | (NodeBase & { op: 'dropout2d'; p: number })
  /** Bilinear resize with align_corners=True to `size`, or to the spatial size of inputs[1]. */
  | (NodeBase & { op: 'resize'; size?: [number, number]; alignCorners: true });

export type OpName = GraphNode['op'];

export interface NetGraph {
  name: string;
  /** Name of the single image input (NHWC float32). */
  input: string;
  inputChannels: number;
  nodes: GraphNode[];
  /** Named outputs, e.g. { feat, logits } or { out }. */
  outputs: Record<string, string>;
  params: ParamSpec[];
}

export function paramSize(p: { shape: readonly number[] }): number {
  return p.shape.reduce((a, b) => a * b, 1);
}

/** Converts one parameter's data from tfjs layout to PyTorch layout (row-major both sides). */
export function toTorchLayout(spec: ParamSpec, data: Float32Array): Float32Array {
  if (spec.layout === 'vector') return data.slice();
  if (spec.layout === 'linear-io') {
    const [i, o] = spec.shape;
    return transpose2d(data, i, o);
  }
  const [kh, kw, ci, co] = spec.shape;
  const out = new Float32Array(data.length);
  for (let h = 0; h < kh; h++)
    for (let w = 0; w < kw; w++)
      for (let c = 0; c < ci; c++)
        for (let k = 0; k < co; k++) out[((k * ci + c) * kh + h) * kw + w] = data[((h * kw + w) * ci + c) * co + k];
  return out;
}

/** Converts one parameter's data from PyTorch layout to tfjs layout. */
export function fromTorchLayout(spec: ParamSpec, data: Float32Array): Float32Array {
  if (data.length !== paramSize(spec)) {
    throw new Error(`${spec.name}: ${data.length} values, expected ${paramSize(spec)} (torch shape ${spec.torchShape.join('×')})`);
  }
  if (spec.layout === 'vector') return data.slice();
  if (spec.layout === 'linear-io') {
    const [i, o] = spec.shape;
    return transpose2d(data, o, i);
  }
  const [kh, kw, ci, co] = spec.shape;
  const out = new Float32Array(data.length);
  for (let h = 0; h < kh; h++)
    for (let w = 0; w < kw; w++)
      for (let c = 0; c < ci; c++)
        for (let k = 0; k < co; k++) out[((h * kw + w) * ci + c) * co + k] = data[((k * ci + c) * kh + h) * kw + w];
  return out;
}

/** PyTorch MaxPool2d output size (ceil_mode drops a last window that would start in the padding). */
export function poolOutSize(size: number, kernel: number, stride: number, pad: number, ceilMode: boolean): number {
  const span = size + 2 * pad - kernel;
  let out = (ceilMode ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
  if (ceilMode && (out - 1) * stride >= size + pad) out -= 1;
  return out;
}

export function convSize(size: number, k: number, stride: number, pad: number, dilation: number): number {
  return Math.floor((size + 2 * pad - dilation * (k - 1) - 1) / stride) + 1;
}

/**
 * Static shapes of every node for an NHWC input shape, without running anything. Also validates
 * channel counts, so a malformed graph fails here with the node's id.
 */
export function inferShapes(graph: NetGraph, inputShape: readonly number[]): Map<string, number[]> {
  const shapes = new Map<string, number[]>([[graph.input, [...inputShape]]]);
  const get = (node: GraphNode, i: number): number[] => {
    const s = shapes.get(node.inputs[i]);
    if (!s) throw new Error(`${graph.name}/${node.id}: unknown input '${node.inputs[i]}'`);
    return s;
  };
  const fail = (node: GraphNode, msg: string): never => {
    throw new Error(`${graph.name}/${node.id} (${node.op}): ${msg}`);
  };
  for (const node of graph.nodes) {
    const x = get(node, 0);
    let out: number[];
    switch (node.op) {
      case 'conv':
        if (x[3] !== node.inChannels) fail(node, `input has ${x[3]} channels, expected ${node.inChannels}`);
        out = [
          x[0],
          convSize(x[1], node.kernel[0], node.stride, node.pad, node.dilation),
          convSize(x[2], node.kernel[1], node.stride, node.pad, node.dilation),
          node.outChannels,
        ];
        break;
      case 'batchnorm':
      case 'groupnorm':
        if (x[3] !== node.channels) fail(node, `input has ${x[3]} channels, expected ${node.channels}`);
        out = x;
        break;
      case 'maxpool':
        out = [
          x[0],
          poolOutSize(x[1], node.kernel, node.stride, node.pad, node.ceilMode),
          poolOutSize(x[2], node.kernel, node.stride, node.pad, node.ceilMode),
          x[3],
        ];
        break;
      case 'add': {
        const y = get(node, 1);
        if (x.join() !== y.join()) fail(node, `shapes ${x.join('×')} and ${y.join('×')} differ`);
        out = x;
        break;
      }
      case 'mul': {
        const s = get(node, 1);
        if (s.length !== 2 || s[1] !== x[3]) fail(node, `scale ${s.join('×')} does not match ${x.join('×')}`);
        out = x;
        break;
      }
      case 'concat': {
        const all = node.inputs.map((_, i) => get(node, i));
        for (const s of all) if (s[1] !== x[1] || s[2] !== x[2]) fail(node, 'spatial sizes differ');
        out = [x[0], x[1], x[2], all.reduce((a, s) => a + s[3], 0)];
        break;
      }
      case 'globalAvgPool':
        out = [x[0], x[3]];
        break;
      case 'linear':
        if (x[1] !== node.inFeatures) fail(node, `input has ${x[1]} features, expected ${node.inFeatures}`);
        out = [x[0], node.outFeatures];
        break;
      case 'resize': {
        const size = node.size ?? get(node, 1).slice(1, 3);
        out = [x[0], size[0], size[1], x[3]];
        break;
      }
      default:
        out = x;
    }
    if (out.some((v) => !(v > 0))) fail(node, `output shape ${out.join('×')} is empty`);
    shapes.set(node.id, out);
  }
  return shapes;
}
