// One export of a trained network: ONNX (probabilities and argmax variants), a TF.js graph model and
// a plain safetensors file, each with a JSON sidecar, plus parity.json. Everything is written into a
// fresh staging folder beside `<outDir>` and put in place only after the parity check passed (main/io/
// folders), so a killed or failed export never looks like a finished one and never deletes anything.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { type ClassSetId, classSets } from '../../shared/classes';
import type { SegNetConfig } from '../engine/nets/deeplab';
import { buildSegNetGraph } from '../engine/nets/deeplab';
import { fromTorchLayout, toTorchLayout } from '../engine/nets/graph';
import { buildEngineNet, createPredictor, nchwInput, type ChwMap, type ModelWeights } from '../engine/predict';
import { loadGraphModel, tfjsBackendName } from '../engine/predict/graph-model';
import type { SegNet, NamedWeights } from '../engine/nets/net';
import { writeFileAtomic, writeJsonAtomic } from '../io/atomic';
import { checkTarget, placeFolder, stagingFolder } from '../io/folders';
import { buildOnnxModel, ONNX_OPSET } from '../engine/nets/onnx-export';
import { type StTensor, encodeSafetensors, readSafetensorsFile } from '../artifacts/safetensors';
import type { Prototypes } from '../engine/proda/prototypes';
import { tfjsFileHandler, writeTfjsGraphModel } from './tfjs-export';
import { mapCheckpoint } from './import-weights';
import { parseTorchFile } from './torch-checkpoint';
import { encodeTorchFile, officialCheckpoint, type WritableTensor } from './torch-writer';

/** The ONNX files an export writes (the 'heads' variant is the prediction module's own). */
type ExportVariant = 'probs' | 'argmax';

export const exportFormats = ['onnx', 'tfjs', 'safetensors', 'pytorch'] as const;
export type ExportFormat = (typeof exportFormats)[number];

export interface ExportInfo {
  runId: string | null;
  classSet: ClassSetId;
  source: string | null;
  target: string | null;
  miou: number | null;
  /** Training iterations the exported weights went through (0 when unknown), for the official checkpoint's 'iter'. */
  iteration: number;
  /** Image size the network was trained/evaluated at (height, width); any size runs. */
  inputSize: [number, number] | null;
  /** Network name as the run config spells it (resnet101, demo, ...). */
  arch: string;
}

export interface ParityImage {
  id: string;
  width: number;
  height: number;
  /** Interleaved RGB bytes. */
  data: Uint8Array;
}

export interface ParityEntry {
  id: string;
  height: number;
  width: number;
  maxAbsLogitDiff: number;
  argmaxAgreement: number;
}

export interface ReloadParity {
  maxAbsLogitDiff: number;
  argmaxAgreement: number;
  perImage: ParityEntry[];
}

export interface ParityReport {
  images: number;
  /** Worst over images and runtimes. */
  maxAbsLogitDiff: number;
  /** Pixel-weighted agreement of full-resolution argmax maps over all images. */
  argmaxAgreement: number;
  minAgreement: number;
  passed: boolean;
  onnx: { maxAbsLogitDiff: number; argmaxAgreement: number; probsSumError: number; perImage: ParityEntry[] } | null;
  tfjs: { maxAbsLogitDiff: number; argmaxAgreement: number; perImage: ParityEntry[] } | null;
  /** The safetensors file read back into a fresh engine network (catches layout and naming errors). */
  safetensors: ReloadParity | null;
  /** The official .pkl read back through the checkpoint importer into a fresh engine network. */
  pytorch: ReloadParity | null;
  backend: string;
  seconds: number;
}

export type ExportStep = 'prepare' | 'onnx' | 'tfjs' | 'safetensors' | 'pytorch' | 'parity' | 'done';

export interface ExportRequest {
  outDir: string;
  /** Write into an existing non-empty outDir (only the export's own file names are replaced). */
  force?: boolean;
  network: SegNetConfig;
  /** Engine (tfjs) layout, as SegNet.getWeights() returns it. */
  weights: NamedWeights;
  prototypes?: Prototypes | null;
  formats: readonly ExportFormat[];
  info: ExportInfo;
  parityImages: readonly ParityImage[];
  /** Required full-resolution argmax agreement (default 0.999). */
  minAgreement?: number;
  onProgress?: (step: ExportStep, done: number, total: number, message: string) => void;
}

export interface ExportResult {
  outDir: string;
  files: string[];
  parity: ParityReport;
}

function sidecarFor(info: ExportInfo, network: SegNetConfig, artifact: Record<string, unknown>): Record<string, unknown> {
  const set = classSets[info.classSet];
  return {
    schema: 'proda-workbench/export-sidecar@1',
    artifact,
    classes: set.names,
    palette: set.palette,
    classCountMode: info.classSet,
    numClasses: network.numClasses,
    ignoreLabel: 250,
    input: {
      colour: 'RGB',
      dtype: 'float32',
      scale: 1 / 255,
      mean: [0, 0, 0],
      std: [1, 1, 1],
      note: 'ProDA normalisation: pixel/255, no mean/std',
      size: info.inputSize ? { height: info.inputSize[0], width: info.inputSize[1] } : null,
      dynamicSize: true,
    },
    backbone: network.backbone,
    arch: info.arch,
    bnPretrain: network.bnPretrain ?? false,
    outputStride: 8,
    runId: info.runId,
    source: info.source,
    target: info.target,
    sourceToTarget: info.source && info.target ? `${info.source}→${info.target}` : null,
    miou: info.miou,
    createdAt: new Date().toISOString(),
  };
}

/** The engine network for a config, initialised with `opts.seed` or given `opts.weights`. */
export function buildNet(config: SegNetConfig, opts: { seed?: number; weights?: NamedWeights }): SegNet {
  return buildEngineNet({ network: config, weights: opts.weights }, opts.seed);
}

/** The engine's reference for one image: logits at 1/8 (channel-first) and the full-size eval-order argmax. */
interface EngineRef {
  logits: ChwMap;
  labels: Uint8Array;
}

async function engineReferences(model: ModelWeights, images: readonly ParityImage[], onImage: (i: number) => void): Promise<EngineRef[]> {
  const predictor = await createPredictor(model, { engine: 'tfjs' });
  try {
    const refs: EngineRef[] = [];
    for (const [i, img] of images.entries()) {
      onImage(i);
      const [p] = await predictor.predict([img], { order: 'eval' });
      refs.push({ logits: p.logits, labels: p.labels! });
    }
    return refs;
  } finally {
    await predictor.dispose();
  }
}

/** Largest |a − ref| with `a` in NHWC (tfjs graph model) or NCHW (ONNX, same as the reference). */
function logitDiff(got: Float32Array, ref: ChwMap, layout: 'nchw' | 'nhwc'): number {
  const { channels: c, height: h, width: w, data } = ref;
  if (got.length !== data.length) return Infinity;
  let diff = 0;
  for (let k = 0; k < c; k++)
    for (let p = 0; p < h * w; p++) diff = Math.max(diff, Math.abs((layout === 'nchw' ? got[k * h * w + p] : got[p * c + k]) - data[k * h * w + p]) || 0);
  return diff;
}

const agreement = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same;
};

async function onnxParity(
  models: Record<ExportVariant, Uint8Array>,
  refs: EngineRef[],
  images: readonly ParityImage[],
): Promise<NonNullable<ParityReport['onnx']>> {
  const opts = { intraOpNumThreads: 2, interOpNumThreads: 1 };
  const argmax = await ort.InferenceSession.create(models.argmax, opts);
  const probs = await ort.InferenceSession.create(models.probs, opts);
  try {
    const perImage: ParityEntry[] = [];
    let same = 0;
    let pixels = 0;
    let probsSumError = 0;
    for (let i = 0; i < images.length; i++) {
      const img = images[i];
      const ref = refs[i];
      const input = new ort.Tensor('float32', nchwInput([img]), [1, 3, img.height, img.width]);
      const r = await argmax.run({ image: input });
      const diff = logitDiff(r.logits.data as Float32Array, ref.logits, 'nchw');
      const s = agreement(r.labels.data as Uint8Array, ref.labels);
      same += s;
      pixels += ref.labels.length;
      perImage.push({ id: img.id, height: img.height, width: img.width, maxAbsLogitDiff: diff, argmaxAgreement: s / ref.labels.length });
      if (i === 0) {
        // The probabilities variant: one image is enough to show it runs and normalises.
        const p = (await probs.run({ image: input })).probs;
        const [, pc, ph, pw] = p.dims as number[];
        const pd = p.data as Float32Array;
        for (let q = 0; q < ph * pw; q++) {
          let sum = 0;
          for (let k = 0; k < pc; k++) sum += pd[k * ph * pw + q];
          probsSumError = Math.max(probsSumError, Math.abs(sum - 1));
        }
      }
    }
    return { maxAbsLogitDiff: Math.max(0, ...perImage.map((e) => e.maxAbsLogitDiff)), argmaxAgreement: pixels ? same / pixels : 1, probsSumError, perImage };
  } finally {
    await argmax.release();
    await probs.release();
  }
}

async function tfjsParity(
  modelJson: string,
  refs: EngineRef[],
  images: readonly ParityImage[],
): Promise<NonNullable<ParityReport['tfjs']>> {
  const model = await loadGraphModel(tfjsFileHandler(modelJson));
  try {
    const perImage: ParityEntry[] = [];
    let same = 0;
    let pixels = 0;
    for (let i = 0; i < images.length; i++) {
      const img = images[i];
      const [got, labels] = await model.run(img, ['logits', 'labels']);
      const diff = logitDiff(got as Float32Array, refs[i].logits, 'nhwc');
      const s = agreement(labels, refs[i].labels);
      same += s;
      pixels += labels.length;
      perImage.push({ id: img.id, height: img.height, width: img.width, maxAbsLogitDiff: diff, argmaxAgreement: s / labels.length });
    }
    return { maxAbsLogitDiff: Math.max(0, ...perImage.map((e) => e.maxAbsLogitDiff)), argmaxAgreement: pixels ? same / pixels : 1, perImage };
  } finally {
    model.dispose();
  }
}

/** A file read back into a fresh engine network, scored against the exporting network's logits. */
async function reloadedParity(
  weights: NamedWeights,
  network: SegNetConfig,
  refs: EngineRef[],
  images: readonly ParityImage[],
): Promise<ReloadParity> {
  const read = await engineReferences({ network, weights }, images, () => {});
  const perImage: ParityEntry[] = [];
  let same = 0;
  let pixels = 0;
  for (let i = 0; i < images.length; i++) {
    const r = read[i];
    const diff = logitDiff(r.logits.data, refs[i].logits, 'nchw');
    const s = agreement(r.labels, refs[i].labels);
    same += s;
    pixels += r.labels.length;
    perImage.push({ id: images[i].id, height: images[i].height, width: images[i].width, maxAbsLogitDiff: diff, argmaxAgreement: s / r.labels.length });
  }
  return { maxAbsLogitDiff: Math.max(0, ...perImage.map((e) => e.maxAbsLogitDiff)), argmaxAgreement: pixels ? same / pixels : 1, perImage };
}

async function safetensorsParity(file: string, network: SegNetConfig, refs: Parameters<typeof reloadedParity>[2], images: readonly ParityImage[]): Promise<ReloadParity> {
  const { tensors } = await readSafetensorsFile(file);
  const graph = buildSegNetGraph(network);
  const weights: NamedWeights = {};
  for (const spec of graph.params) {
    const t = tensors.get(spec.name);
    if (!t || t.dtype !== 'float32' || t.shape.join() !== spec.torchShape.join()) throw new Error(`${file}: ${spec.name} missing or of the wrong shape`);
    weights[spec.name] = { shape: spec.shape, data: fromTorchLayout(spec, t.data as Float32Array) };
  }
  return reloadedParity(weights, network, refs, images);
}

/**
 * The official-format .pkl read back through the importer (torch-checkpoint.ts + import-weights.ts), the
 * same path `proda import` takes: a key, layout or pickling mistake shows as a mismatch, not as a pass.
 */
async function pytorchParity(file: string, network: SegNetConfig, refs: Parameters<typeof reloadedParity>[2], images: readonly ParityImage[]): Promise<ReloadParity> {
  const graph = buildSegNetGraph(network);
  // strict: a missing, unexpected or mis-shaped key fails the export with the importer's own report.
  const mapped = mapCheckpoint(parseTorchFile(new Uint8Array(await fsp.readFile(file)), file), graph, { source: file, strict: true });
  const weights: NamedWeights = {};
  for (const spec of graph.params) weights[spec.name] = { shape: spec.shape, data: mapped.params.get(spec.name)! };
  return reloadedParity(weights, network, refs, images);
}

export class ParityError extends Error {
  constructor(
    message: string,
    readonly parity: ParityReport,
  ) {
    super(message);
    this.name = 'ParityError';
  }
}

export async function exportModel(req: ExportRequest): Promise<ExportResult> {
  const t0 = Date.now();
  const progress = req.onProgress ?? (() => {});
  const minAgreement = req.minAgreement ?? 0.999;
  if (req.formats.length === 0) throw new Error('export: no format selected');
  if (req.parityImages.length === 0) throw new Error('export: the parity check needs at least one target image');
  // Refuse before the work, and again when placing (the folder may have changed meanwhile).
  await checkTarget(req.outDir, req.force ?? false);
  const staging = await stagingFolder(req.outDir);
  let keepStaging = false;
  const files: string[] = [];
  const rel = (f: string) => path.relative(staging, f);

  progress('prepare', 0, 1, 'building the network graph');
  const graph = buildSegNetGraph(req.network);
  try {
    const params = new Map(Object.entries(req.weights).map(([k, v]) => [k, v.data]));
    const side = (artifact: Record<string, unknown>) => sidecarFor(req.info, req.network, artifact);
    const meta: Record<string, string> = {
      classes: JSON.stringify(classSets[req.info.classSet].names),
      classCountMode: req.info.classSet,
      normalisation: 'RGB/255, mean 0, std 1',
      runId: req.info.runId ?? '',
      backbone: req.network.backbone,
    };

    let onnxModels: Record<ExportVariant, Uint8Array> | null = null;
    if (req.formats.includes('onnx')) {
      onnxModels = { probs: new Uint8Array(), argmax: new Uint8Array() };
      const variants: ExportVariant[] = ['probs', 'argmax'];
      for (const [i, variant] of variants.entries()) {
        progress('onnx', i, 2, `ONNX ${variant}`);
        const bytes = buildOnnxModel(graph, params, { variant, metadata: { ...meta, variant } });
        onnxModels[variant] = bytes;
        const file = path.join(staging, `model.${variant}.onnx`);
        await writeFileAtomic(file, bytes);
        await writeJsonAtomic(`${file}.json`, side({ format: 'onnx', file: path.basename(file), opset: ONNX_OPSET, variant, layout: 'NCHW', outputs: variant === 'probs' ? ['probs [N,C,H,W] float32', 'logits [N,C,h,w] float32'] : ['labels [N,H,W] uint8', 'logits [N,C,h,w] float32'] }));
        files.push(file, `${file}.json`);
      }
    }
    let tfjsModelJson: string | null = null;
    let safetensorsFile: string | null = null;
    let pytorchFile: string | null = null;
    if (req.formats.includes('tfjs')) {
      progress('tfjs', 0, 1, 'TF.js graph model');
      const dir = path.join(staging, 'tfjs');
      const r = await writeTfjsGraphModel(dir, graph, params, side({ format: 'tfjs-graph-model', layout: 'NHWC' }));
      tfjsModelJson = path.join(dir, 'model.json');
      await writeJsonAtomic(path.join(dir, 'sidecar.json'), side({ format: 'tfjs-graph-model', file: 'model.json', layout: 'NHWC', outputs: ['logits [N,h,w,C]', 'probs [N,H,W,C]', 'labels [N,H,W] int32'], loader: 'tf.loadGraphModel' }));
      files.push(...r.files, path.join(dir, 'sidecar.json'));
    }
    if (req.formats.includes('safetensors')) {
      progress('safetensors', 0, 1, 'safetensors');
      const tensors = new Map<string, StTensor>();
      for (const spec of graph.params) tensors.set(spec.name, { dtype: 'float32', shape: spec.torchShape, data: toTorchLayout(spec, params.get(spec.name)!) });
      if (req.prototypes) tensors.set('objective_vectors', { dtype: 'float32', shape: [req.prototypes.numClasses, req.prototypes.dim], data: req.prototypes.vectors });
      const file = path.join(staging, 'weights.safetensors');
      safetensorsFile = file;
      await writeFileAtomic(file, encodeSafetensors(tensors, { format: 'pt', layout: 'pytorch (OIHW conv, [out,in] linear)', runId: req.info.runId ?? '' }));
      await writeJsonAtomic(`${file}.json`, side({ format: 'safetensors', file: 'weights.safetensors', layout: 'PyTorch state-dict keys and layouts', extraKeys: req.prototypes ? ['objective_vectors'] : [] }));
      files.push(file, `${file}.json`);
    }

    if (req.formats.includes('pytorch')) {
      progress('pytorch', 0, 1, 'official ProDA checkpoint');
      // PyTorch state-dict order does not matter to load_state_dict, but strict loading needs every
      // BatchNorm's num_batches_tracked buffer, which the engine does not keep.
      const state: [string, WritableTensor][] = [];
      for (const spec of graph.params) {
        state.push([spec.name, { dtype: 'float32', shape: spec.torchShape, data: toTorchLayout(spec, params.get(spec.name)!) }]);
        if (spec.name.endsWith('.running_var')) {
          state.push([spec.name.replace(/running_var$/, 'num_batches_tracked'), { dtype: 'int64', shape: [], data: BigInt64Array.of(0n) }]);
        }
      }
      const p = req.prototypes;
      const ckpt = officialCheckpoint(state, {
        objectiveVectors: p ? { dtype: 'float32', shape: [p.numClasses, p.dim], data: p.vectors } : null,
        iteration: req.info.iteration,
        bestIou: req.info.miou ?? 0,
      });
      const file = path.join(staging, 'proda_checkpoint.pkl');
      pytorchFile = file;
      await writeFileAtomic(file, encodeTorchFile(ckpt, 'proda_checkpoint'));
      await writeJsonAtomic(
        `${file}.json`,
        side({
          format: 'pytorch',
          file: 'proda_checkpoint.pkl',
          layout: "torch.save zip; {'ResNet101': {'model_state', 'objective_vectors'}, 'iter', 'best_iou'} as the official train.py writes it",
          usage: `official ProDA: --resume_path proda_checkpoint.pkl${req.network.bnPretrain ? ' --student_init simclr --bn_clr (this network has the bn_pretrain BatchNorm)' : ''}`,
        }),
      );
      files.push(file, `${file}.json`);
    }

    // Parity: the exported runtimes against the engine, on the same images.
    const refs = await engineReferences({ network: req.network, weights: req.weights }, req.parityImages, (i) =>
      progress('parity', i, req.parityImages.length, `engine reference ${req.parityImages[i].id}`),
    );
    const onnxP = onnxModels ? await onnxParity(onnxModels, refs, req.parityImages) : null;
    progress('parity', req.parityImages.length, req.parityImages.length, 'runtimes compared');
    const tfjsP = tfjsModelJson ? await tfjsParity(tfjsModelJson, refs, req.parityImages) : null;
    const stP = safetensorsFile ? await safetensorsParity(safetensorsFile, req.network, refs, req.parityImages) : null;
    const ptP = pytorchFile ? await pytorchParity(pytorchFile, req.network, refs, req.parityImages) : null;
    // Every format is compared, so "passed" never stands on nothing.
    const checked = [onnxP, tfjsP, stP, ptP].filter((p): p is NonNullable<typeof p> => p !== null);
    if (checked.length === 0) throw new Error('export: no exported format could be compared with the engine');
    const parity: ParityReport = {
      images: req.parityImages.length,
      maxAbsLogitDiff: Math.max(0, ...checked.map((p) => p.maxAbsLogitDiff)),
      argmaxAgreement: checked.length ? Math.min(...checked.map((p) => p.argmaxAgreement)) : 1,
      minAgreement,
      passed: checked.every((p) => p.argmaxAgreement >= minAgreement) && (onnxP ? onnxP.probsSumError < 1e-4 : true),
      onnx: onnxP,
      tfjs: tfjsP,
      safetensors: stP,
      pytorch: ptP,
      backend: tfjsBackendName(),
      seconds: (Date.now() - t0) / 1000,
    };
    const parityFile = path.join(staging, 'parity.json');
    await writeJsonAtomic(parityFile, parity);
    files.push(parityFile);
    if (!parity.passed) {
      throw new ParityError(
        `export parity failed: argmax agreement ${(parity.argmaxAgreement * 100).toFixed(3)}% (< ${(minAgreement * 100).toFixed(1)}%), max |Δlogit| ${parity.maxAbsLogitDiff.toExponential(2)}; see ${parityFile}`,
        parity,
      );
    }
    const sidecar = path.join(staging, 'sidecar.json');
    await writeJsonAtomic(sidecar, side({ format: 'export', files: files.map(rel), parity: { maxAbsLogitDiff: parity.maxAbsLogitDiff, argmaxAgreement: parity.argmaxAgreement } }));
    files.push(sidecar);
    await placeFolder(staging, req.outDir, req.force ?? false);
    progress('done', 1, 1, 'export complete');
    return { outDir: req.outDir, files: files.map((f) => path.join(req.outDir, rel(f))), parity };
  } catch (err) {
    // A failed parity check keeps its staging folder: the error names parity.json inside it.
    keepStaging = err instanceof ParityError;
    throw err;
  } finally {
    if (!keepStaging) await fsp.rm(staging, { recursive: true, force: true });
  }
}
