// Maps PyTorch checkpoints onto an engine network by state-dict key. The engine's parameter names are
// the official code's keys, so mapping is a lookup plus a layout change (OIHW → HWIO, [out,in] → [in,out]);
// what does not line up is reported, never guessed:
//  - official ProDA: {'ResNet101': {'model_state', 'objective_vectors'}, 'iter', 'best_iou'} (any class-name key)
//  - a wrapped state dict: {'state_dict': ...} (SimCLRv2 r101_1x_sk0.pth as ProDA loads it), {'model_state': ...}, {'model': ...}
//  - a bare state dict (torchvision resnet101: fc.* is dropped, the head stays as initialised)
// DataParallel's `module.` prefix is stripped. BN `num_batches_tracked` counters have no engine counterpart.
import type { NetGraph, ParamSpec } from '../engine/nets/graph';
import { fromTorchLayout } from '../engine/nets/graph';
import { type TorchTensor, isTorchTensor, toFloat32 } from './torch-checkpoint';

export type CheckpointKind = 'proda' | 'wrapped-state-dict' | 'state-dict' | 'prototypes';

export interface ShapeMismatch {
  name: string;
  /** PyTorch shape the network expects. */
  expected: number[];
  found: number[];
}

export interface ImportReport {
  source: string;
  kind: CheckpointKind;
  /** Where the state dict sat in the file, e.g. `ResNet101.model_state`. */
  path: string;
  strippedPrefix: string | null;
  matched: string[];
  /** Network parameters the file does not provide (they keep their current / initial values). */
  missing: string[];
  /** Keys in the file the network has no use for. */
  unexpected: string[];
  /** Known extras dropped on purpose (torchvision `fc.*`, BN `num_batches_tracked`). */
  ignored: string[];
  shapeMismatched: ShapeMismatch[];
  /** `iter` and `best_iou` of an official checkpoint. */
  iteration: number | null;
  bestIou: number | null;
  prototypes: { classes: number; dim: number } | null;
}

export interface ImportedWeights {
  /** Parameter name → data in the engine's (tfjs) layout, for matched parameters only. */
  params: Map<string, Float32Array>;
  /** C×D class prototypes (objective_vectors), row-major. */
  prototypes: { classes: number; dim: number; data: Float32Array } | null;
  report: ImportReport;
}

const isTensorDict = (v: unknown): v is Map<unknown, unknown> =>
  v instanceof Map && v.size > 0 && [...v.values()].some(isTorchTensor);

/** Finds the state dict inside a loaded checkpoint object. */
function locateStateDict(obj: unknown, source: string): { dict: Map<unknown, unknown>; kind: CheckpointKind; path: string; extras: Map<unknown, unknown> | null } {
  if (!(obj instanceof Map)) {
    throw new Error(`${source}: expected a dict of tensors or an official ProDA checkpoint, found ${isTorchTensor(obj) ? 'a single tensor' : typeof obj}`);
  }
  for (const [k, v] of obj) {
    if (v instanceof Map && isTensorDict(v.get('model_state'))) return { dict: v.get('model_state') as Map<unknown, unknown>, kind: 'proda', path: `${String(k)}.model_state`, extras: v };
  }
  for (const key of ['state_dict', 'model_state', 'model', 'net']) {
    if (isTensorDict(obj.get(key))) return { dict: obj.get(key) as Map<unknown, unknown>, kind: 'wrapped-state-dict', path: key, extras: null };
  }
  if (isTensorDict(obj)) return { dict: obj, kind: 'state-dict', path: '', extras: null };
  throw new Error(`${source}: no state dict found (top-level keys: ${[...obj.keys()].slice(0, 8).map(String).join(', ')})`);
}

function stripCommonPrefix(keys: string[]): { prefix: string | null; map: Map<string, string> } {
  for (const prefix of ['module.', 'model.', 'backbone.']) {
    if (keys.length && keys.every((k) => k.startsWith(prefix))) return { prefix, map: new Map(keys.map((k) => [k.slice(prefix.length), k])) };
  }
  return { prefix: null, map: new Map(keys.map((k) => [k, k])) };
}

/**
 * Whether a checkpoint carries the official bn_clr BatchNorm (`bn_pretrain.*`, what --student_init simclr
 * --bn_clr trains). A network built without it would leave those keys unused and disagree with the
 * official model on most pixels, so the importer builds the network with it instead (jobs.ts).
 */
export function hasBnPretrainKeys(obj: unknown, source: string): boolean {
  if (isTorchTensor(obj)) return false;
  const located = locateStateDict(obj, source);
  const keys = [...located.dict.keys()].filter((k) => isTorchTensor(located.dict.get(k))).map(String);
  return [...stripCommonPrefix(keys).map.keys()].some((k) => k.startsWith('bn_pretrain.'));
}

const IGNORABLE = [/(^|\.)num_batches_tracked$/, /^fc\.(weight|bias)$/];

function prototypesOf(t: unknown, source: string): { classes: number; dim: number; data: Float32Array } | null {
  if (t === undefined || t === null) return null;
  if (!isTorchTensor(t) || t.shape.length !== 2) throw new Error(`${source}: objective_vectors is not a C×D tensor`);
  return { classes: t.shape[0], dim: t.shape[1], data: toFloat32(t) };
}

/**
 * Matches a loaded checkpoint against `graph`'s parameters. With `strict`, any missing, unexpected or
 * mismatched key is an error; otherwise everything is reported and the matched subset returned.
 */
export function mapCheckpoint(obj: unknown, graph: NetGraph, opts: { source: string; strict?: boolean }): ImportedWeights {
  const { source } = opts;
  if (isTorchTensor(obj)) {
    // A bare tensor file: the prototypes written by calc_prototype.py.
    const p = prototypesOf(obj, source);
    const dim = featDim(graph);
    if (p && dim !== undefined && p.dim !== dim) throw new Error(`${source}: prototypes are ${p.dim}-d but ${graph.name}'s feat is ${dim}-d`);
    return {
      params: new Map(),
      prototypes: p,
      report: emptyReport(source, 'prototypes', { prototypes: p && { classes: p.classes, dim: p.dim } }),
    };
  }
  const located = locateStateDict(obj, source);
  const tensors = new Map<string, TorchTensor>();
  for (const [k, v] of located.dict) if (isTorchTensor(v)) tensors.set(String(k), v);
  const { prefix, map } = stripCommonPrefix([...tensors.keys()]);
  const specs = new Map<string, ParamSpec>(graph.params.map((p) => [p.name, p]));

  const params = new Map<string, Float32Array>();
  const matched: string[] = [];
  const missing: string[] = [];
  const shapeMismatched: ShapeMismatch[] = [];
  for (const spec of graph.params) {
    const key = map.get(spec.name);
    if (key === undefined) {
      missing.push(spec.name);
      continue;
    }
    const t = tensors.get(key)!;
    if (t.shape.join(',') !== spec.torchShape.join(',')) {
      shapeMismatched.push({ name: spec.name, expected: spec.torchShape, found: t.shape });
      continue;
    }
    params.set(spec.name, fromTorchLayout(spec, toFloat32(t)));
    matched.push(spec.name);
  }
  const unexpected: string[] = [];
  const ignored: string[] = [];
  for (const name of map.keys()) {
    if (specs.has(name)) continue;
    (IGNORABLE.some((re) => re.test(name)) ? ignored : unexpected).push(name);
  }
  const extras = located.extras;
  const prototypes = extras ? prototypesOf(extras.get('objective_vectors'), source) : null;
  const top = obj as Map<unknown, unknown>;
  const num = (v: unknown): number | null => (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : null);
  const report: ImportReport = {
    source,
    kind: located.kind,
    path: located.path,
    strippedPrefix: prefix,
    matched,
    missing,
    unexpected,
    ignored,
    shapeMismatched,
    iteration: located.kind === 'proda' ? num(top.get('iter')) : null,
    bestIou: located.kind === 'proda' ? num(top.get('best_iou')) : null,
    prototypes: prototypes && { classes: prototypes.classes, dim: prototypes.dim },
  };
  if (opts.strict && (missing.length || unexpected.length || shapeMismatched.length)) {
    throw new Error(`${source}: checkpoint does not fit ${graph.name}: ${summarizeReport(report)}`);
  }
  if (matched.length === 0) {
    const guess = guessBackbone([...map.keys()], tensors, map);
    const hint = guess && !graph.name.endsWith(guess) ? `; the file looks like a ${guess} network` : '';
    throw new Error(`${source}: no parameter of ${graph.name} found in the checkpoint (${summarizeReport(report)})${hint}`);
  }
  if (prototypes) {
    const dim = featDim(graph);
    if (dim !== undefined && prototypes.dim !== dim) throw new Error(`${source}: objective_vectors are ${prototypes.dim}-d but the network's feat is ${dim}-d`);
  }
  return { params, prototypes, report };
}

/** ResNet depth from the block keys (layer3 has 23 / 6 / 6 / 2 blocks in R101 / R50 / R34 / R18; bottlenecks have conv3). */
function guessBackbone(keys: string[], tensors: Map<string, TorchTensor>, map: Map<string, string>): string | null {
  const blocks = new Set(keys.filter((k) => k.startsWith('layer3.')).map((k) => k.split('.')[1])).size;
  if (blocks === 0) return null;
  const bottleneck = keys.some((k) => /^layer1\.0\.conv3\.weight$/.test(k));
  const width = tensors.get(map.get('conv1.weight') ?? '')?.shape[0];
  if (width !== undefined && width < 64) return 'resnet-narrow';
  if (bottleneck) return blocks >= 23 ? 'resnet101' : blocks >= 6 ? 'resnet50' : null;
  return blocks >= 6 ? 'resnet34' : blocks >= 2 ? 'resnet18' : 'resnet-narrow';
}

/** Width of `feat` (the classifier's input), which prototypes must match. */
const featDim = (graph: NetGraph): number | undefined => graph.params.find((p) => p.name === 'layer5.head.1.weight')?.torchShape[1];

function emptyReport(source: string, kind: CheckpointKind, extra: Partial<ImportReport>): ImportReport {
  return {
    source,
    kind,
    path: '',
    strippedPrefix: null,
    matched: [],
    missing: [],
    unexpected: [],
    ignored: [],
    shapeMismatched: [],
    iteration: null,
    bestIou: null,
    prototypes: null,
    ...extra,
  };
}

/** One line: counts plus the first few names of each problem. */
export function summarizeReport(r: ImportReport): string {
  const few = (xs: string[]) => (xs.length ? ` (${xs.slice(0, 4).join(', ')}${xs.length > 4 ? ', …' : ''})` : '');
  return [
    `${r.matched.length} matched`,
    `${r.missing.length} missing${few(r.missing)}`,
    `${r.unexpected.length} unexpected${few(r.unexpected)}`,
    `${r.shapeMismatched.length} shape-mismatched${few(r.shapeMismatched.map((m) => `${m.name} ${m.found.join('×')}≠${m.expected.join('×')}`))}`,
    `${r.ignored.length} ignored`,
  ].join(', ');
}
