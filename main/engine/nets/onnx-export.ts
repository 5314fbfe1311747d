// Writes an engine network as an ONNX model (opset 17, IR 8) by walking its NetGraph node list, one
// ONNX operator (or a short fixed pattern) per node. The ONNX model is NCHW like PyTorch: input
// `image` [N, 3, H, W] float32 (RGB / 255, no mean/std), H and W dynamic. Weights go in PyTorch layout
// (OIHW / [out, in]), converted from the engine's tfjs layout here.
//
// Outputs, per variant (both also carry `logits` [N, C, h, w] at 1/8 resolution for parity checks):
//  - 'probs':  `probs`  [N, C, H, W] float32 = softmax(bilinear-upsampled logits, align_corners=True)
//  - 'argmax': `labels` [N, H, W] uint8 = argmax of the upsampled logits (train ids)
//  - 'heads':  `logits` and `feat` [N, D, h, w] at 1/8 only, for the engine's prediction module, which
//              upsamples itself in the order each consumer needs (engine/predict/postprocess.ts)
// Upsampling to the input size with align_corners=True is what ProDA's evaluation does.
import onnxProto from 'onnx-proto';
import type { GraphNode, NetGraph } from './graph';
import { paramSize, toTorchLayout } from './graph';

const { onnx } = onnxProto;
type INode = onnxProto.onnx.INodeProto;
type ITensor = onnxProto.onnx.ITensorProto;
type IAttr = onnxProto.onnx.IAttributeProto;
type IValueInfo = onnxProto.onnx.IValueInfoProto;

export const ONNX_OPSET = 17;
export const ONNX_IR_VERSION = 8;

export type OnnxVariant = 'probs' | 'argmax' | 'heads';

export interface OnnxExportOptions {
  variant: OnnxVariant;
  /** Written into the model's metadata_props (class list, normalisation, run id, ...). */
  metadata?: Record<string, string>;
  docString?: string;
  /** Also expose the 1/8-resolution `feat` map (prototype space). */
  includeFeat?: boolean;
}

const AT = onnx.AttributeProto.AttributeType;
const DT = onnx.TensorProto.DataType;

const attrInt = (name: string, i: number): IAttr => ({ name, type: AT.INT, i });
const attrInts = (name: string, ints: number[]): IAttr => ({ name, type: AT.INTS, ints });
const attrFloat = (name: string, f: number): IAttr => ({ name, type: AT.FLOAT, f });
const attrStr = (name: string, s: string): IAttr => ({ name, type: AT.STRING, s: new TextEncoder().encode(s) });

function floatTensor(name: string, dims: number[], data: Float32Array): ITensor {
  return { name, dims, dataType: DT.FLOAT, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}
function int64Tensor(name: string, values: number[]): ITensor {
  const b = BigInt64Array.from(values.map((v) => BigInt(v)));
  return { name, dims: [values.length], dataType: DT.INT64, rawData: new Uint8Array(b.buffer) };
}

const dimsOf = (dims: (number | string)[]): onnxProto.onnx.ITensorShapeProto => ({
  dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })),
});
const valueInfo = (name: string, elemType: number, dims: (number | string)[]): IValueInfo => ({
  name,
  type: { tensorType: { elemType, shape: dimsOf(dims) } },
});

class OnnxGraphWriter {
  readonly nodes: INode[] = [];
  readonly initializers: ITensor[] = [];
  private readonly consts = new Map<string, string>();
  private n = 0;

  constructor(private readonly params: ReadonlyMap<string, Float32Array>) {}

  node(opType: string, inputs: string[], outputs: string[], attribute: IAttr[] = [], name?: string): string {
    this.nodes.push({ opType, input: inputs, output: outputs, attribute, name: name ?? `${opType}_${this.n++}` });
    return outputs[0];
  }

  /** A fresh intermediate name derived from a graph node id. */
  tmp(base: string, suffix: string): string {
    return `${base}/${suffix}`;
  }

  ints(values: number[]): string {
    const key = `i64:${values.join(',')}`;
    let name = this.consts.get(key);
    if (!name) {
      name = `const_i64_${this.consts.size}`;
      this.initializers.push(int64Tensor(name, values));
      this.consts.set(key, name);
    }
    return name;
  }

  floats(name: string, dims: number[], data: Float32Array): string {
    this.initializers.push(floatTensor(name, dims, data));
    return name;
  }

  /** A graph parameter as an initializer in PyTorch layout. */
  param(graph: NetGraph, name: string, reshape?: number[]): string {
    const spec = graph.params.find((p) => p.name === name);
    if (!spec) throw new Error(`${graph.name}: no parameter spec for '${name}'`);
    const data = this.params.get(name);
    if (!data) throw new Error(`${graph.name}: no value for parameter '${name}'`);
    if (data.length !== paramSize(spec)) throw new Error(`${graph.name}: parameter '${name}' has ${data.length} values, expected ${paramSize(spec)}`);
    return this.floats(name, reshape ?? spec.torchShape, toTorchLayout(spec, data));
  }
}

function emitNode(w: OnnxGraphWriter, graph: NetGraph, node: GraphNode): string {
  const x = node.inputs[0];
  const id = node.id;
  switch (node.op) {
    case 'conv': {
      const inputs = [x, w.param(graph, `${node.param}.weight`)];
      if (node.bias) inputs.push(w.param(graph, `${node.param}.bias`));
      return w.node(
        'Conv',
        inputs,
        [id],
        [
          attrInts('kernel_shape', node.kernel),
          attrInts('strides', [node.stride, node.stride]),
          attrInts('pads', [node.pad, node.pad, node.pad, node.pad]),
          attrInts('dilations', [node.dilation, node.dilation]),
          attrInt('group', node.groups),
        ],
        id,
      );
    }
    case 'batchnorm':
      return w.node(
        'BatchNormalization',
        [x, ...['weight', 'bias', 'running_mean', 'running_var'].map((s) => w.param(graph, `${node.param}.${s}`))],
        [id],
        [attrFloat('epsilon', node.eps)],
        id,
      );
    case 'groupnorm': {
      // opset 17 has no GroupNormalization: reshape to [N, G, -1], InstanceNormalization (unit scale,
      // zero bias) normalises each group, reshape back, then the per-channel affine.
      const g = node.groups;
      const shape = w.node('Shape', [x], [w.tmp(id, 'shape')]);
      const grouped = w.node('Reshape', [x, w.ints([0, g, -1])], [w.tmp(id, 'grouped')]);
      const ones = w.floats(w.tmp(id, 'ones'), [g], new Float32Array(g).fill(1));
      const zeros = w.floats(w.tmp(id, 'zeros'), [g], new Float32Array(g));
      const normed = w.node('InstanceNormalization', [grouped, ones, zeros], [w.tmp(id, 'normed')], [attrFloat('epsilon', node.eps)]);
      const back = w.node('Reshape', [normed, shape], [w.tmp(id, 'back')]);
      const c = node.channels;
      const scaled = w.node('Mul', [back, w.param(graph, `${node.param}.weight`, [c, 1, 1])], [w.tmp(id, 'scaled')]);
      return w.node('Add', [scaled, w.param(graph, `${node.param}.bias`, [c, 1, 1])], [id], [], id);
    }
    case 'relu':
      return w.node('Relu', [x], [id], [], id);
    case 'leakyrelu':
      return w.node('LeakyRelu', [x], [id], [attrFloat('alpha', node.alpha)], id);
    case 'sigmoid':
      return w.node('Sigmoid', [x], [id], [], id);
    case 'maxpool':
      return w.node(
        'MaxPool',
        [x],
        [id],
        [
          attrInts('kernel_shape', [node.kernel, node.kernel]),
          attrInts('strides', [node.stride, node.stride]),
          attrInts('pads', [node.pad, node.pad, node.pad, node.pad]),
          attrInt('ceil_mode', node.ceilMode ? 1 : 0),
        ],
        id,
      );
    case 'add':
      return w.node('Add', [x, node.inputs[1]], [id], [], id);
    case 'mul': {
      const s4 = w.node('Unsqueeze', [node.inputs[1], w.ints([2, 3])], [w.tmp(id, 'scale4d')]);
      return w.node('Mul', [x, s4], [id], [], id);
    }
    case 'concat':
      return w.node('Concat', node.inputs, [id], [attrInt('axis', 1)], id);
    case 'globalAvgPool': {
      const pooled = w.node('GlobalAveragePool', [x], [w.tmp(id, 'pooled')]);
      return w.node('Flatten', [pooled], [id], [attrInt('axis', 1)], id);
    }
    case 'linear': {
      const inputs = [x, w.param(graph, `${node.param}.weight`)];
      if (node.bias) inputs.push(w.param(graph, `${node.param}.bias`));
      return w.node('Gemm', inputs, [id], [attrInt('transB', 1)], id);
    }
    case 'dropout2d':
      // Inference graph: dropout is the identity.
      return w.node('Identity', [x], [id], [], id);
    case 'resize': {
      const shape = w.node('Shape', [x], [w.tmp(id, 'shape')]);
      const nc = w.node('Slice', [shape, w.ints([0]), w.ints([2])], [w.tmp(id, 'nc')]);
      let hw: string;
      if (node.size) hw = w.ints(node.size);
      else {
        const refShape = w.node('Shape', [node.inputs[1]], [w.tmp(id, 'refshape')]);
        hw = w.node('Slice', [refShape, w.ints([2]), w.ints([4])], [w.tmp(id, 'hw')]);
      }
      const sizes = w.node('Concat', [nc, hw], [w.tmp(id, 'sizes')], [attrInt('axis', 0)]);
      return w.node('Resize', [x, '', '', sizes], [id], [attrStr('mode', 'linear'), attrStr('coordinate_transformation_mode', 'align_corners')], id);
    }
    default: {
      const never: never = node;
      throw new Error(`ONNX export: unsupported op ${(never as GraphNode).op}`);
    }
  }
}

/** Serialised ONNX ModelProto for `graph` with `params` (tfjs layout, as the engine holds them). */
export function buildOnnxModel(graph: NetGraph, params: ReadonlyMap<string, Float32Array>, opts: OnnxExportOptions): Uint8Array {
  const logitsId = graph.outputs.logits ?? graph.outputs.out;
  if (!logitsId) throw new Error(`${graph.name}: no 'logits' output to export`);
  const w = new OnnxGraphWriter(params);
  for (const node of graph.nodes) emitNode(w, graph, node);
  const classes = graph.nodes.find((n) => n.id === logitsId && n.op === 'conv');
  const numClasses = classes && classes.op === 'conv' ? classes.outChannels : 'C';

  const outputs: IValueInfo[] = [];
  w.node('Identity', [logitsId], ['logits'], [], 'logits_out');
  outputs.push(valueInfo('logits', DT.FLOAT, ['N', numClasses, 'h', 'w']));
  if ((opts.includeFeat || opts.variant === 'heads') && graph.outputs.feat) {
    w.node('Identity', [graph.outputs.feat], ['feat'], [], 'feat_out');
    outputs.push(valueInfo('feat', DT.FLOAT, ['N', 'D', 'h', 'w']));
  }
  if (opts.variant === 'heads') return encodeModel(graph, w, outputs, opts);
  // Upsample logits to the input size, as the evaluation does.
  const inShape = w.node('Shape', [graph.input], ['input_shape']);
  const inHw = w.node('Slice', [inShape, w.ints([2]), w.ints([4])], ['input_hw']);
  const lShape = w.node('Shape', ['logits'], ['logits_shape']);
  const lNc = w.node('Slice', [lShape, w.ints([0]), w.ints([2])], ['logits_nc']);
  const sizes = w.node('Concat', [lNc, inHw], ['upsample_sizes'], [attrInt('axis', 0)]);
  const up = w.node('Resize', ['logits', '', '', sizes], ['logits_full'], [attrStr('mode', 'linear'), attrStr('coordinate_transformation_mode', 'align_corners')]);
  if (opts.variant === 'probs') {
    w.node('Softmax', [up], ['probs'], [attrInt('axis', 1)], 'probs');
    outputs.push(valueInfo('probs', DT.FLOAT, ['N', numClasses, 'H', 'W']));
  } else {
    const am = w.node('ArgMax', [up], ['argmax'], [attrInt('axis', 1), attrInt('keepdims', 0)]);
    w.node('Cast', [am], ['labels'], [attrInt('to', DT.UINT8)], 'labels');
    outputs.push(valueInfo('labels', DT.UINT8, ['N', 'H', 'W']));
  }
  return encodeModel(graph, w, outputs, opts);
}

function encodeModel(graph: NetGraph, w: OnnxGraphWriter, outputs: IValueInfo[], opts: OnnxExportOptions): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'proda-workbench',
    producerVersion: '1',
    docString: opts.docString ?? `${graph.name}, ${opts.variant} variant; input image NCHW float32 RGB/255`,
    metadataProps: Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: graph.name,
      node: w.nodes,
      initializer: w.initializers,
      input: [valueInfo(graph.input, DT.FLOAT, ['N', graph.inputChannels, 'H', 'W'])],
      output: outputs,
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
