// The export/import jobs behind both the export service and the `proda export|import|export-labels`
// commands: each takes plain options (workspace folder, run id, an opened dataset) and reports progress
// through a callback, so neither caller duplicates the other.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { BN_REESTIMATE_IMAGES, type RunConfig } from '../../shared/runs-config';
import type { Dataset } from '../datasets/types';
import { openDataset } from '../datasets';
import { currentBackend, initBackend } from '../engine/backend';
import { buildSegNetGraph } from '../engine/nets/deeplab';
import { writeJsonAtomic } from '../io/atomic';
import { toDatasetRef } from '../runs/dataset-refs';
import { IMPORT_RECORD, importsRoot, inFolder, MODEL_ARTIFACT, modelDir } from '../artifacts/layout';
import { writeModel, writePrototypes } from '../artifacts/model';
import { loadRunModel } from '../artifacts/run-model';
import { segNetConfig } from '../models/network';
import { exportInfo } from './export-info';
import { buildNet, type ExportFormat, type ExportResult, exportModel, type ParityImage } from './export-model';
import { type ImportReport, hasBnPretrainKeys, mapCheckpoint, summarizeReport } from './import-weights';
import { exportLabels, type LabelExportItem, type LabelLayout } from './labels-export';
import { createPredictor, reestimatedWeights, type LabelOrder, type PredictorOptions } from '../engine/predict';
import { readImportRecord } from '../models/refs';
import { readTorchFile } from './torch-checkpoint';

export type Progress = (step: string, done: number, total: number, message: string) => void;

export const exportStamp = (): string => new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);

async function ensureBackend(): Promise<void> {
  if (!(await currentBackend())) await initBackend();
}

/** The first `count` images of a dataset, downscaled so the longer side is at most `side`. */
async function parityImagesFrom(dataset: Dataset, count: number, side: number): Promise<ParityImage[]> {
  const entries = (await dataset.list()).slice(0, count);
  if (entries.length === 0) throw new Error(`dataset ${dataset.ref.id} has no images for the parity check`);
  const images: ParityImage[] = [];
  for (const e of entries) {
    const full = await dataset.readImage(e.id);
    const scale = Math.min(1, side / Math.max(full.width, full.height));
    const img =
      scale < 1 ? await dataset.readImage(e.id, { width: Math.max(1, Math.round(full.width * scale)), height: Math.max(1, Math.round(full.height * scale)) }) : full;
    images.push({ id: e.id, width: img.width, height: img.height, data: img.data });
  }
  return images;
}

/** The run's own target dataset (or its source when it has no target), as the run config names it. */
async function runDataset(config: RunConfig, cacheDir?: string): Promise<Dataset | null> {
  const c = config as { target?: Parameters<typeof toDatasetRef>[0]; source?: Parameters<typeof toDatasetRef>[0]; val?: Parameters<typeof toDatasetRef>[0] };
  const d = c.target ?? c.val ?? c.source;
  if (!d) return null;
  return openDataset(toDatasetRef(d, c.target || c.val ? 'target' : 'source'), { cacheDir });
}

export async function exportRunModel(opts: {
  workspace: string;
  runId: string;
  /** Parity images come from here; default: the run's target dataset. */
  dataset?: Dataset | null;
  formats: readonly ExportFormat[];
  parityImages: number;
  paritySide: number;
  minAgreement?: number;
  outDir: string;
  /** Admit an existing non-empty outDir (only the export's own file names are replaced). */
  force?: boolean;
  onProgress?: Progress;
}): Promise<ExportResult> {
  // An unfinished run exports its newest verified checkpoint.
  const model = await loadRunModel(opts.workspace, opts.runId, { checkpoint: true });
  const dataset = opts.dataset ?? (model.config ? await runDataset(model.config) : null);
  if (!dataset) throw new Error(`${model.config ? `run ${opts.runId}` : opts.runId} names no dataset to check parity on; give one`);
  const images = await parityImagesFrom(dataset, opts.parityImages, opts.paritySide);
  await ensureBackend();
  return exportModel({
    outDir: opts.outDir,
    force: opts.force,
    network: model.network,
    weights: model.weights,
    prototypes: model.prototypes,
    formats: opts.formats,
    info: await exportInfo(model),
    parityImages: images,
    minAgreement: opts.minAgreement,
    onProgress: opts.onProgress,
  });
}

export async function exportRunLabels(opts: {
  workspace: string;
  runId: string;
  dataset: Dataset;
  layouts: readonly LabelLayout[];
  imageIds?: string[];
  soft: boolean;
  /** Average with the mirrored prediction, as generate_pseudo_label.py --flip (ProDA's hard labels). */
  flip: boolean;
  /** 'pseudo-label' (default: softmax, then upsample, as generate_pseudo_label.py) or 'eval' (logits upsampled, then argmax, as proda eval scores). */
  order?: LabelOrder;
  /** BN statistics: as trained, or re-estimated first on BN_REESTIMATE_IMAGES images spread over `bnData` (as `proda eval --bn reestimate`). */
  bn?: 'running' | 'reestimate';
  /** Images whose statistics re-estimate BN (labels unused); default: the exported dataset, as `proda eval` defaults to the scored split. */
  bnData?: Dataset;
  inference?: PredictorOptions;
  outDir: string;
  onProgress?: Progress;
}): Promise<{ images: number; files: string[] }> {
  const model = await loadRunModel(opts.workspace, opts.runId);
  const set = opts.dataset.ref.classSet;
  if (String(model.network.numClasses) !== set) {
    throw new Error(`run ${opts.runId} predicts ${model.network.numClasses} classes, dataset ${opts.dataset.ref.id} uses the ${set}-class set`);
  }
  const all = await opts.dataset.list();
  const byId = new Map(all.map((e) => [e.id, e]));
  const entries = opts.imageIds
    ? opts.imageIds.map((id) => {
        const e = byId.get(id);
        if (!e) throw new Error(`no image '${id}' in dataset ${opts.dataset.ref.id}`);
        return e;
      })
    : all;
  await ensureBackend();
  const dataset = opts.dataset;
  const { soft, flip } = opts;
  const order = opts.order ?? 'pseudo-label';
  const bn = opts.bn ?? 'running';
  const bnSet = opts.bnData ?? dataset;
  let weights = model.weights;
  if (bn === 'reestimate') {
    // Train-mode statistics need the engine's network (tfjs); the predictor then runs on the new weights.
    const bnEntries = await bnSet.list();
    weights = await reestimatedWeights(model, { size: bnEntries.length, image: (i) => bnSet.readImage(bnEntries[i].id) }, BN_REESTIMATE_IMAGES);
  }
  const predictor = await createPredictor({ network: model.network, weights }, opts.inference);
  async function* items(): AsyncGenerator<LabelExportItem> {
    for (const entry of entries) {
      const [p] = await predictor.predict([await dataset.readImage(entry.id)], { order, flip });
      yield { entry, width: p.width, height: p.height, trainIds: p.labels!, confidence: p.conf!, soft: soft ? p.soft : undefined };
    }
  }
  try {
    const r = await exportLabels(items(), {
      outDir: opts.outDir,
      classSet: set,
      layouts: opts.layouts,
      total: entries.length,
      onProgress: (d, t) => opts.onProgress?.('labels', d, t, `${d}/${t} images`),
    });
    await writeJsonAtomic(path.join(opts.outDir, 'export.json'), {
      exportId: path.basename(opts.outDir),
      dataset: dataset.ref.id,
      source: { kind: model.config ? 'run' : 'import', runId: opts.runId, flip, order, bn, ...(bn === 'reestimate' ? { bnData: bnSet.ref.id, bnImages: BN_REESTIMATE_IMAGES } : {}) },
      inference: predictor.info,
      layouts: opts.layouts,
      images: r.images,
      classSet: set,
      createdAt: new Date().toISOString(),
    });
    return r;
  } finally {
    await predictor.dispose();
  }
}

export interface CheckpointImport {
  report: ImportReport;
  summary: string;
  /** Where the mapped model was written (runs' model artifact layout), or null when nothing was written. */
  dir: string | null;
}

/**
 * Reads a PyTorch checkpoint, maps it onto `network`, and (with `outDir`) writes the full network
 * (matched weights, the rest as initialised) as `<outDir>/artifacts/model.safetensors`, prototypes
 * (objective_vectors or a calc_prototype.py file) as `<outDir>/artifacts/prototypes.safetensors`, and import.json:
 * the same artifact layout a finished run has.
 */
export async function importCheckpoint(opts: {
  file: string;
  network: RunConfig['network'];
  strict: boolean;
  outDir: string | null;
  /**
   * A calc_prototype.py file to take the prototypes from when the checkpoint has none, or only the zeros a
   * checkpoint saved before any prototype was computed carries (the official warm-up's objective_vectors).
   */
  prototypesFile?: string | null;
  onProgress?: Progress;
}): Promise<CheckpointImport> {
  const progress = opts.onProgress ?? (() => {});
  progress('read', 0, 2, `reading ${opts.file}`);
  const obj = await readTorchFile(opts.file);
  // bn_pretrain.* keys mean the official bn_clr network: build it with that BatchNorm even without
  // --bn-pretrain, and say so, rather than drop the keys and import a network that predicts differently.
  const detected = !opts.network.bnPretrain && hasBnPretrainKeys(obj, opts.file);
  const bnPretrain = opts.network.bnPretrain || detected;
  // segNetConfig's demo preset has no bn_pretrain switch; an import honours the flag for every arch.
  const network = { ...segNetConfig(opts.network), bnPretrain };
  // Map against the graph alone: building the network (random init of every parameter) is only
  // needed when weights are written.
  const graph = buildSegNetGraph(network);
  const imported = mapCheckpoint(obj, graph, { source: opts.file, strict: opts.strict });
  let prototypes = imported.prototypes;
  let prototypesFrom: string | null = prototypes ? opts.file : null;
  if (opts.prototypesFile && (!prototypes || prototypes.data.every((v) => v === 0))) {
    const beside = mapCheckpoint(await readTorchFile(opts.prototypesFile), graph, { source: opts.prototypesFile });
    if (beside.report.kind !== 'prototypes' || !beside.prototypes) throw new Error(`${opts.prototypesFile}: not a prototypes tensor (C×D), as calc_prototype.py writes`);
    if (beside.prototypes.classes !== network.numClasses) throw new Error(`${opts.prototypesFile}: ${beside.prototypes.classes} prototypes for a ${network.numClasses}-class network`);
    prototypes = beside.prototypes;
    prototypesFrom = opts.prototypesFile;
    imported.report.prototypes = { classes: prototypes.classes, dim: prototypes.dim };
  }
  const summary = `${detected ? 'bn_pretrain.* keys found: network built with the bn_clr BatchNorm (as with --bn-pretrain); ' : ''}${summarizeReport(imported.report)}${
    prototypesFrom && prototypesFrom !== opts.file ? `; prototypes from ${path.basename(prototypesFrom)}` : ''
  }`;
  progress('map', 1, 2, summary);
  if (!opts.outDir) return { report: imported.report, summary, dir: null };
  // objective_vectors carry no pixel counts; zero counts mark them as imported, not accumulated here.
  const p = prototypes;
  const protos = p ? { numClasses: p.classes, dim: p.dim, vectors: p.data, counts: new Float32Array(p.classes) } : null;
  if (protos) await writePrototypes(opts.outDir, protos, { importedFrom: prototypesFrom ?? opts.file });
  if (imported.params.size > 0) {
    await ensureBackend();
    const net = buildNet(network, { seed: 1337 });
    try {
      // Unmatched parameters keep the network's own initialisation, as load_state_dict(strict=False) would.
      const weights = await net.getWeights();
      for (const [k, v] of imported.params) weights[k] = { shape: weights[k].shape, data: v };
      await writeModel(opts.outDir, weights, protos, { importedFrom: opts.file });
    } finally {
      net.dispose();
    }
  }
  await writeJsonAtomic(inFolder(opts.outDir, IMPORT_RECORD), {
    importId: path.basename(opts.outDir),
    file: opts.file,
    network: { ...opts.network, bnPretrain },
    prototypesFile: prototypesFrom,
    report: imported.report,
    createdAt: new Date().toISOString(),
  });
  progress('done', 2, 2, 'import complete');
  return { report: imported.report, summary, dir: opts.outDir };
}

/** What calc_prototype.py writes next to the warm-up checkpoint (train.py's stage 1 reads it from there). */
export const OFFICIAL_PROTOTYPES_FILE = 'prototypes_on_cityscapes_from_deeplabv2';

/** Checkpoint names the official train.py writes, best first. */
const OFFICIAL_CHECKPOINTS = [/_best_model\.pkl$/, /_current_model\.pkl$/, /\.(pkl|pth|pt)$/];

/**
 * An official ProDA artifacts folder (logs/<name>/ with `*_best_model.pkl`, or a checkpoint file) as a
 * model source: imported once into <workspace>/imports/, then reused while the file is unchanged.
 * Returns the model reference (`import:<id>`).
 */
export async function importOfficialModel(opts: {
  workspace: string;
  path: string;
  network: RunConfig['network'];
  onProgress?: Progress;
}): Promise<{ ref: string; importId: string; reused: boolean; file: string }> {
  const src = path.resolve(opts.path);
  let file = src;
  const st = await fsp.stat(src).catch(() => null);
  if (!st) throw new Error(`${src}: no such file or folder`);
  if (st.isDirectory()) {
    const names = (await fsp.readdir(src)).sort();
    const pick = OFFICIAL_CHECKPOINTS.map((re) => names.find((n) => re.test(n))).find((n) => n !== undefined);
    if (!pick) throw new Error(`${src}: no checkpoint (*_best_model.pkl, *_current_model.pkl, *.pkl, *.pth) in this folder`);
    file = path.join(src, pick);
  }
  // The prototypes file beside the checkpoint, where the official code keeps it.
  const beside = path.join(path.dirname(file), OFFICIAL_PROTOTYPES_FILE);
  const besideStat = await fsp.stat(beside).catch(() => null);
  const prototypesFile = besideStat?.isFile() ? beside : null;
  const mtime = Math.max((await fsp.stat(file)).mtimeMs, prototypesFile ? besideStat!.mtimeMs : 0);
  const root = importsRoot(opts.workspace);
  // Reuse an import of the same file (same path, not modified since) and network.
  for (const id of (await fsp.readdir(root).catch(() => [] as string[])).sort()) {
    try {
      const dir = modelDir(opts.workspace, { kind: 'import', id });
      const rec = await readImportRecord(dir);
      const same = rec.file === file && JSON.stringify(rec.network) === JSON.stringify(opts.network) && (await fsp.stat(inFolder(dir, MODEL_ARTIFACT)).then((s) => s.mtimeMs >= mtime));
      if (same) return { ref: `import:${id}`, importId: id, reused: true, file };
    } catch {
      /* not an import folder */
    }
  }
  const importId = `${path.basename(file).replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\./, '_')}-${exportStamp()}`;
  const r = await importCheckpoint({ file, network: opts.network, strict: false, outDir: path.join(root, importId), prototypesFile, onProgress: opts.onProgress });
  if (r.report.matched.length === 0) throw new Error(`${file}: no parameter of the ${opts.network.arch} network matched (${r.summary})`);
  return { ref: `import:${importId}`, importId, reused: false, file };
}
