// Writes an engine network as a TF.js graph model (model.json with a GraphDef-style topology of
// TensorFlow op names, plus binary weight shards), loadable with plain `tf.loadGraphModel`.
//
// Why a graph model and not a layers model: tfjs-layers has no GroupNormalization, no ceil-mode
// pooling and no per-sample channel scaling (squeeze-excitation) layer, so a layers model would need
// custom layer classes registered by every consumer. A graph model needs only the converter that
// ships in @tensorflow/tfjs, and every op used here is one it implements.
//
// Layout is NHWC as in the engine: input `image` [N, H, W, 3] float32 RGB/255, H and W dynamic.
// Outputs: `logits` [N, h, w, C] (1/8 resolution), `probs` [N, H, W, C] (softmax of logits upsampled
// bilinearly with align_corners, as ProDA evaluates) and `labels` [N, H, W] int32 (argmax).
import path from 'node:path';
import { promises as fsp } from 'node:fs';
import type { GraphNode, NetGraph } from '../engine/nets/graph';
import { paramSize, poolOutSize } from '../engine/nets/graph';
import { writeFileAtomic, writeJsonAtomic } from '../io/atomic';

type AttrValue =
  | { type: string }
  | { list: { i?: string[]; type?: string[] } }
  | { s: string }
  | { f: number }
  | { b: boolean }
  | { i: string }
  | { shape: { dim: { size: string }[] } }
  | { tensor: { dtype: string; tensorShape: { dim: { size: string }[] } } };

interface TfNode {
  name: string;
  op: string;
  input: string[];
  attr: Record<string, AttrValue>;
}

interface WeightEntry {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  data: Float32Array | Int32Array;
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const ints = (xs: number[]): AttrValue => ({ list: { i: xs.map(String) } });
const F = { type: 'DT_FLOAT' };
const I = { type: 'DT_INT32' };
const dims = (shape: number[]) => ({ dim: shape.map((d) => ({ size: String(d) })) });

const SHARD_BYTES = 4 * 1024 * 1024;

class TfGraphWriter {
  readonly nodes: TfNode[] = [];
  readonly weights: WeightEntry[] = [];
  private n = 0;
  private readonly intConsts = new Map<string, string>();

  node(name: string, op: string, input: string[], attr: Record<string, AttrValue> = {}): string {
    this.nodes.push({ name, op, input, attr });
    return name;
  }
  fresh(base: string, suffix: string): string {
    return `${base}/${suffix}_${this.n++}`;
  }
  const(name: string, shape: number[], data: Float32Array | Int32Array): string {
    const dtype = data instanceof Int32Array ? 'int32' : 'float32';
    this.weights.push({ name, shape, dtype, data });
    const t = dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT';
    return this.node(name, 'Const', [], { dtype: { type: t }, value: { tensor: { dtype: t, tensorShape: dims(shape) } } });
  }
  ints(values: number[], scalar = false): string {
    const key = `${scalar ? 's' : 'v'}:${values.join(',')}`;
    let name = this.intConsts.get(key);
    if (!name) {
      name = `const/i32_${this.intConsts.size}`;
      this.const(name, scalar ? [] : [values.length], Int32Array.from(values));
      this.intConsts.set(key, name);
    }
    return name;
  }
}

function emit(w: TfGraphWriter, graph: NetGraph, params: ReadonlyMap<string, Float32Array>, node: GraphNode): string {
  const id = node.id;
  const x = node.inputs[0];
  const param = (name: string): string => {
    const spec = graph.params.find((p) => p.name === name);
    const data = params.get(name);
    if (!spec || !data) throw new Error(`${graph.name}: no value for parameter '${name}'`);
    if (data.length !== paramSize(spec)) throw new Error(`${graph.name}: parameter '${name}' has ${data.length} values, expected ${paramSize(spec)}`);
    // The engine already holds tfjs layouts (HWIO, [in, out]): weights go in as they are.
    return w.const(`param/${name}`, spec.shape, data);
  };
  switch (node.op) {
    case 'conv': {
      const p = node.pad;
      const conv = w.node(node.bias ? `${id}/conv` : id, 'Conv2D', [x, param(`${node.param}.weight`)], {
        T: F,
        strides: ints([1, node.stride, node.stride, 1]),
        padding: { s: b64('EXPLICIT') },
        explicit_paddings: ints([0, 0, p, p, p, p, 0, 0]),
        dilations: ints([1, node.dilation, node.dilation, 1]),
        data_format: { s: b64('NHWC') },
      });
      if (node.groups !== 1) throw new Error(`${graph.name}/${id}: grouped convolution is not exported to TF.js`);
      return node.bias ? w.node(id, 'BiasAdd', [conv, param(`${node.param}.bias`)], { T: F }) : conv;
    }
    case 'batchnorm':
      return w.node(
        id,
        'FusedBatchNormV3',
        [x, ...['weight', 'bias', 'running_mean', 'running_var'].map((s) => param(`${node.param}.${s}`))],
        { T: F, epsilon: { f: node.eps }, is_training: { b: false }, data_format: { s: b64('NHWC') } },
      );
    case 'groupnorm': {
      // [N,H,W,C] → [N,H,W,G,C/G]; normalise over H, W and C/G (biased variance, as PyTorch); back; affine.
      const g = node.groups;
      const shape = w.node(w.fresh(id, 'shape'), 'Shape', [x], { T: F, out_type: I });
      const nhw = w.node(w.fresh(id, 'nhw'), 'StridedSlice', [shape, w.ints([0]), w.ints([3]), w.ints([1])], { T: I, Index: I });
      const gshape = w.node(w.fresh(id, 'gshape'), 'ConcatV2', [nhw, w.ints([g, node.channels / g]), w.ints([0], true)], { T: I, N: { i: '2' } });
      const xg = w.node(w.fresh(id, 'grouped'), 'Reshape', [x, gshape], { T: F });
      const axes = w.ints([1, 2, 4]);
      const mean = w.node(w.fresh(id, 'mean'), 'Mean', [xg, axes], { T: F, keep_dims: { b: true } });
      const sq = w.node(w.fresh(id, 'sqdiff'), 'SquaredDifference', [xg, mean], { T: F });
      const variance = w.node(w.fresh(id, 'var'), 'Mean', [sq, axes], { T: F, keep_dims: { b: true } });
      const eps = w.const(`${id}/eps`, [], Float32Array.of(node.eps));
      const inv = w.node(w.fresh(id, 'rsqrt'), 'Rsqrt', [w.node(w.fresh(id, 'vareps'), 'AddV2', [variance, eps], { T: F })], { T: F });
      const centred = w.node(w.fresh(id, 'centred'), 'Sub', [xg, mean], { T: F });
      const normed = w.node(w.fresh(id, 'normed'), 'Mul', [centred, inv], { T: F });
      const back = w.node(w.fresh(id, 'back'), 'Reshape', [normed, shape], { T: F });
      const scaled = w.node(w.fresh(id, 'scaled'), 'Mul', [back, param(`${node.param}.weight`)], { T: F });
      return w.node(id, 'AddV2', [scaled, param(`${node.param}.bias`)], { T: F });
    }
    case 'relu':
      return w.node(id, 'Relu', [x], { T: F });
    case 'leakyrelu':
      return w.node(id, 'LeakyRelu', [x], { T: F, alpha: { f: node.alpha } });
    case 'sigmoid':
      return w.node(id, 'Sigmoid', [x], { T: F });
    case 'maxpool': {
      // TF has no ceil mode: pad the high side by stride-1 more with -inf, then pool VALID. That equals
      // PyTorch's ceil mode unless its "last window starts in the padding" rule fires, checked here.
      const { kernel: k, stride: s, pad: p, ceilMode } = node;
      const extra = ceilMode ? s - 1 : 0;
      for (let n = 1; n <= 256; n++) {
        const ours = Math.floor((n + 2 * p + extra - k) / s) + 1;
        if (n + 2 * p >= k && ours !== poolOutSize(n, k, s, p, ceilMode)) {
          throw new Error(`${graph.name}/${id}: max pool k${k} s${s} p${p} ceil=${ceilMode} has no exact TF.js form`);
        }
      }
      const pads = w.const(`${id}/paddings`, [4, 2], Int32Array.of(0, 0, p, p + extra, p, p + extra, 0, 0));
      const padded = w.node(w.fresh(id, 'pad'), 'PadV2', [x, pads, w.const(`${id}/neg_inf`, [], Float32Array.of(-Infinity))], {
        T: F,
        Tpaddings: I,
      });
      return w.node(id, 'MaxPool', [padded], { T: F, ksize: ints([1, k, k, 1]), strides: ints([1, s, s, 1]), padding: { s: b64('VALID') }, data_format: { s: b64('NHWC') } });
    }
    case 'add':
      return w.node(id, 'AddV2', [x, node.inputs[1]], { T: F });
    case 'mul': {
      const one = w.ints([1], true);
      const s3 = w.node(w.fresh(id, 'expand1'), 'ExpandDims', [node.inputs[1], one], { T: F, Tdim: I });
      const s4 = w.node(w.fresh(id, 'expand2'), 'ExpandDims', [s3, one], { T: F, Tdim: I });
      return w.node(id, 'Mul', [x, s4], { T: F });
    }
    case 'concat':
      return w.node(id, 'ConcatV2', [...node.inputs, w.ints([3], true)], { T: F, N: { i: String(node.inputs.length) }, Tidx: I });
    case 'globalAvgPool':
      return w.node(id, 'Mean', [x, w.ints([1, 2])], { T: F, keep_dims: { b: false }, Tidx: I });
    case 'linear': {
      const mm = w.node(node.bias ? `${id}/matmul` : id, 'MatMul', [x, param(`${node.param}.weight`)], { T: F, transpose_a: { b: false }, transpose_b: { b: false } });
      return node.bias ? w.node(id, 'BiasAdd', [mm, param(`${node.param}.bias`)], { T: F }) : mm;
    }
    case 'dropout2d':
      return w.node(id, 'Identity', [x], { T: F });
    case 'resize': {
      let size: string;
      if (node.size) size = w.ints(node.size);
      else {
        const refShape = w.node(w.fresh(id, 'refshape'), 'Shape', [node.inputs[1]], { T: F, out_type: I });
        size = w.node(w.fresh(id, 'size'), 'StridedSlice', [refShape, w.ints([1]), w.ints([3]), w.ints([1])], { T: I, Index: I });
      }
      return w.node(id, 'ResizeBilinear', [x, size], { T: F, align_corners: { b: true }, half_pixel_centers: { b: false } });
    }
    default: {
      const never: never = node;
      throw new Error(`TF.js export: unsupported op ${(never as GraphNode).op}`);
    }
  }
}

export interface TfjsExportResult {
  /** Absolute paths written (model.json last). */
  files: string[];
  bytes: number;
}

/** Builds model.json content and the weight bytes (not yet sharded). */
function buildTfjsGraphModel(
  graph: NetGraph,
  params: ReadonlyMap<string, Float32Array>,
  metadata: Record<string, unknown> = {},
): { modelJson: Record<string, unknown>; weightData: Uint8Array; weightSpecs: { name: string; shape: number[]; dtype: string }[] } {
  const logitsId = graph.outputs.logits ?? graph.outputs.out;
  if (!logitsId) throw new Error(`${graph.name}: no 'logits' output to export`);
  const w = new TfGraphWriter();
  w.node(graph.input, 'Placeholder', [], { dtype: F, shape: { shape: { dim: [{ size: '-1' }, { size: '-1' }, { size: '-1' }, { size: String(graph.inputChannels) }] } } });
  for (const node of graph.nodes) emit(w, graph, params, node);
  w.node('logits', 'Identity', [logitsId], { T: F });
  if (graph.outputs.feat) w.node('feat', 'Identity', [graph.outputs.feat], { T: F });
  const inShape = w.node('input_shape', 'Shape', [graph.input], { T: F, out_type: I });
  const hw = w.node('input_hw', 'StridedSlice', [inShape, w.ints([1]), w.ints([3]), w.ints([1])], { T: I, Index: I });
  const up = w.node('logits_full', 'ResizeBilinear', ['logits', hw], { T: F, align_corners: { b: true }, half_pixel_centers: { b: false } });
  w.node('probs', 'Softmax', [up], { T: F });
  w.node('labels', 'ArgMax', [up, w.ints([3], true)], { T: F, Tidx: I, output_type: I });

  let total = 0;
  for (const e of w.weights) total += e.data.byteLength;
  const weightData = new Uint8Array(total);
  let off = 0;
  for (const e of w.weights) {
    weightData.set(new Uint8Array(e.data.buffer, e.data.byteOffset, e.data.byteLength), off);
    off += e.data.byteLength;
  }
  const weightSpecs = w.weights.map((e) => ({ name: e.name, shape: e.shape, dtype: e.dtype }));
  const tensorInfo = (name: string, dtype: string, shape: number[]) => ({ name: `${name}:0`, dtype, tensorShape: dims(shape) });
  const modelJson = {
    format: 'graph-model',
    generatedBy: 'proda-workbench',
    convertedBy: 'proda-workbench interop/tfjs-export',
    modelTopology: { node: w.nodes, library: {}, versions: { producer: 1 } },
    signature: {
      inputs: { image: tensorInfo(graph.input, 'DT_FLOAT', [-1, -1, -1, graph.inputChannels]) },
      outputs: {
        logits: tensorInfo('logits', 'DT_FLOAT', [-1, -1, -1, -1]),
        probs: tensorInfo('probs', 'DT_FLOAT', [-1, -1, -1, -1]),
        labels: tensorInfo('labels', 'DT_INT32', [-1, -1, -1]),
      },
    },
    userDefinedMetadata: metadata,
  };
  return { modelJson, weightData, weightSpecs };
}

/** Writes `<dir>/model.json` and `group1-shardKofN.bin` (4 MiB each); model.json goes last so a complete model.json implies complete shards. */
export async function writeTfjsGraphModel(
  dir: string,
  graph: NetGraph,
  params: ReadonlyMap<string, Float32Array>,
  metadata: Record<string, unknown> = {},
): Promise<TfjsExportResult> {
  const { modelJson, weightData, weightSpecs } = buildTfjsGraphModel(graph, params, metadata);
  const count = Math.max(1, Math.ceil(weightData.length / SHARD_BYTES));
  const paths: string[] = [];
  const files: string[] = [];
  for (let k = 0; k < count; k++) {
    const name = `group1-shard${k + 1}of${count}.bin`;
    paths.push(name);
    const file = path.join(dir, name);
    await writeFileAtomic(file, weightData.subarray(k * SHARD_BYTES, Math.min(weightData.length, (k + 1) * SHARD_BYTES)));
    files.push(file);
  }
  const modelFile = path.join(dir, 'model.json');
  await writeJsonAtomic(modelFile, { ...modelJson, weightsManifest: [{ paths, weights: weightSpecs }] });
  files.push(modelFile);
  return { files, bytes: weightData.length };
}

/**
 * A tf.io.IOHandler-compatible loader for a model.json on disk (pure tfjs in Node has no file://
 * handler): `tf.loadGraphModel(tfjsFileHandler(file))`.
 */
export function tfjsFileHandler(modelJsonPath: string): { load: () => Promise<Record<string, unknown>> } {
  return {
    load: async () => {
      const json = JSON.parse(await fsp.readFile(modelJsonPath, 'utf8')) as {
        modelTopology: unknown;
        weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: string }[] }[];
        format?: string;
        generatedBy?: string;
        convertedBy?: string;
        signature?: unknown;
        userDefinedMetadata?: unknown;
      };
      const buffers: Uint8Array[] = [];
      const weightSpecs: { name: string; shape: number[]; dtype: string }[] = [];
      for (const group of json.weightsManifest) {
        for (const p of group.paths) buffers.push(new Uint8Array(await fsp.readFile(path.join(path.dirname(modelJsonPath), p))));
        weightSpecs.push(...group.weights);
      }
      const total = buffers.reduce((a, b) => a + b.length, 0);
      const weightData = new Uint8Array(total);
      let off = 0;
      for (const b of buffers) {
        weightData.set(b, off);
        off += b.length;
      }
      return {
        modelTopology: json.modelTopology,
        weightSpecs,
        weightData: weightData.buffer,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        signature: json.signature,
        userDefinedMetadata: json.userDefinedMetadata,
      };
    },
  };
}
