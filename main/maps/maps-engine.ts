// The maps service's work: resolve a source (a run, or a folder of official artifacts), then for each
// image read the cache or compose its layers, and batch that over a dataset for triage statistics and
// the confusion matrix. Transport-agnostic: it gets datasets and the workspace from its caller.
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { classSets } from '../../shared/classes';
import { AppError } from '../../shared/contract/errors';
import { layerCell } from '../../shared/contract/maps';
import type { ConfusionResult, ImageStats, MapLayer, MapLayerId, MapSource, PixelValues, PseudoCoverage } from '../../shared/contract/maps';
import type { ImageEntry } from '../../shared/datasets';
import type { Dataset } from '../datasets/types';
import { modelDir } from '../artifacts/layout';
import { parseModelRef } from '../models/refs';
import { basenamesOf, indexArtifacts, readConf, readHard, readImageArtifacts, readPrototypes, readSoft } from './artifacts';
import type { ArtifactIndex } from './artifacts';
import { composeMaps, confusionCounts, iouFromConfusion, imageStats } from './compose';
import type { LabelLayer, VectorLayer } from './compose';
import type { MapsStore } from './maps-store';
import { CancelledError } from '../compute/client';
import { createPredictor, type Predictor } from '../engine/predict';
import { loadRunMapSource, pseudoRun, runStamp } from './run-source';
import type { RunMapSource } from './run-source';

export interface ResolvedSource {
  key: string;
  artifacts: ArtifactIndex[];
  prototypes: { data: Float32Array; classes: number; dims: number } | null;
  temperature: number;
  describe: string;
  /** For a run source: its network, prototypes and pseudo-label files. */
  model: RunMapSource | null;
}

export interface DatasetAccess {
  dataset: Dataset;
  list: ImageEntry[];
}

export interface ImageMaps {
  imageId: string;
  width: number;
  height: number;
  numClasses: number;
  classNames: string[];
  layers: MapLayer[];
  stats: ImageStats;
  hasPseudo: boolean;
  pseudo: PseudoCoverage;
  temperature: number;
  cached: boolean;
}

const hashOf = (s: string) => createHash('sha1').update(s).digest('hex').slice(0, 12);

async function findPrototypes(indexes: ArtifactIndex[], numClasses: number) {
  for (const idx of indexes) {
    for (const [name, file] of idx.files) {
      if (name.startsWith('prototypes') && name.endsWith('.npy')) return readPrototypes(file, numClasses);
    }
  }
  return null;
}

export async function resolveSource(workspace: string, source: MapSource, numClasses: number): Promise<ResolvedSource> {
  if (source.kind === 'artifacts') {
    const dir = path.resolve(source.dir);
    const idx = await indexArtifacts(dir);
    const protos = source.prototypes ? await readPrototypes(path.resolve(source.prototypes), numClasses) : await findPrototypes([idx], numClasses);
    return { key: `artifacts-${hashOf(dir + '|' + (source.prototypes ?? ''))}`, artifacts: [idx], prototypes: protos, temperature: 1, describe: dir, model: null };
  }
  const ref = parseModelRef(source.runId);
  try {
    await fsp.access(modelDir(workspace, ref));
  } catch {
    throw new AppError('not-found', `no run or import '${source.runId}' in this workspace`, { where: 'source.runId' });
  }
  const model = await loadRunMapSource(workspace, source.runId);
  if (model.prototypes && model.prototypes.classes !== numClasses) {
    throw new AppError('bad-input', `run ${source.runId} has ${model.prototypes.classes} prototypes, the dataset's class set has ${numClasses} classes`, { where: 'source.runId' });
  }
  return {
    // The key names a cache folder: `import-<id>`, never the ':' of the reference.
    key: `${ref.kind}-${ref.id}-${hashOf(await runStamp(workspace, source.runId))}`,
    artifacts: [],
    prototypes: model.prototypes,
    temperature: model.temperature,
    describe: model.config ? `run ${source.runId}` : source.runId,
    model,
  };
}

export class MapsEngine {
  private predictor: Promise<Predictor> | null = null;
  constructor(
    readonly store: MapsStore,
    readonly src: ResolvedSource,
    readonly data: DatasetAccess,
    readonly datasetId: string,
    /** Opens the source's predictor elsewhere (the compute process); default: in this process. */
    private readonly open?: (ref: string) => Promise<Predictor>,
  ) {}

  get numClasses(): number {
    return this.data.dataset.classSet.numClasses;
  }

  /** The source network's predictor, made on first use (ONNX export and check happen once per model). */
  private predictorOf(): Promise<Predictor> | null {
    const src = this.src.model;
    const load = src?.loadModel;
    if (!load) return null;
    if (!this.predictor) {
      this.predictor = this.open && src.modelRef ? this.open(src.modelRef) : load().then((m) => createPredictor(m));
      this.predictor.catch(() => (this.predictor = null));
    }
    return this.predictor;
  }

  /**
   * The evaluation order (logits upsampled, then argmax), as run reports score it. A predictor lost with
   * a restarted compute process (another request was cancelled, while this one was opening the model or
   * predicting) is opened again, up to twice, each time after `stillWanted` (which throws when this
   * request was the one cancelled).
   */
  private async predictOne(photo: Parameters<Predictor['predict']>[0][number], stillWanted: () => void) {
    for (let attempt = 0; ; attempt++) {
      const p = this.predictorOf();
      if (!p) throw new Error('this source has no network to predict with');
      try {
        return (await (await p).predict([photo], { order: 'eval' }))[0];
      } catch (err) {
        this.predictor = null;
        if (attempt >= 2 || err instanceof CancelledError || !/restarted/.test((err as Error).message)) throw err;
        stillWanted();
      }
    }
  }

  /** Releases the source network's runtime (an outdated engine, or shutdown). */
  async dispose(): Promise<void> {
    const p = this.predictor;
    this.predictor = null;
    if (p) await (await p).dispose();
  }

  /** Whether the source has a soft pseudo-label for this image (a run's pseudo.json, or `<basename>.npy` in a folder). */
  hasPseudo(entry: ImageEntry): boolean {
    if (this.src.model?.softFiles.has(entry.id)) return true;
    const names = basenamesOf(entry.id, entry.name).map((b) => `${b}.npy`);
    return this.src.artifacts.some((idx) => names.some((n) => idx.files.has(n)));
  }

  /** The dataset's images with a soft pseudo-label, in listing order (the engine's source and listing never change). */
  pseudoLabelled(): string[] {
    this.labelled ??= this.data.list.filter((e) => this.hasPseudo(e)).map((e) => e.id);
    return this.labelled;
  }
  private labelled: string[] | null = null;

  /** Where the soft pseudo-labels come from, how many images they cover, and which prototypes exist. */
  coverage(): PseudoCoverage {
    if (this.covers) return this.covers;
    const m = this.src.model;
    let from: string | null = null;
    if (m) from = m.softFiles.size > 0 ? ((m.config ? pseudoRun(m.config, m.runId) : null) ?? m.runId) : null;
    else if (this.src.artifacts.some((idx) => [...idx.files.keys()].some((n) => n.endsWith('.npy') && !n.endsWith('_conf.npy') && !n.startsWith('prototypes')))) from = this.src.describe;
    const ownSoftmax = from === null && !!m?.loadModel && !!this.src.prototypes;
    this.covers = { from, covered: this.pseudoLabelled().length, images: this.data.list.length, prototypes: prototypePresence(this.src.prototypes), ownSoftmax };
    return this.covers;
  }
  private covers: PseudoCoverage | null = null;

  private entry(imageId: string): ImageEntry {
    const e = this.data.list.find((x) => x.id === imageId);
    if (!e) throw new AppError('not-found', `no image '${imageId}' in dataset '${this.datasetId}'`, { where: 'image.imageId' });
    return e;
  }

  /** `step` reports progress (3 steps when computing) and may throw to cancel between steps. */
  async image(imageId: string, want?: readonly MapLayerId[], step: (done: number, total: number, what: string) => void = () => {}): Promise<ImageMaps> {
    const entry = this.entry(imageId);
    const classNames = [...classSets[this.data.dataset.ref.classSet].names];
    const cached = await this.store.readMaps(this.datasetId, imageId);
    let layers: MapLayer[];
    let stats: ImageStats;
    let width: number;
    let height: number;
    let fromCache = false;
    if (cached && cached.meta.stats) {
      layers = cached.layers;
      stats = JSON.parse(cached.meta.stats) as ImageStats;
      width = Number(cached.meta.width);
      height = Number(cached.meta.height);
      fromCache = true;
    } else {
      const C = this.numClasses;
      const art = { soft: null, hard: null, conf: null } as Awaited<ReturnType<typeof readImageArtifacts>>;
      for (const idx of this.src.artifacts) {
        const found = await readImageArtifacts(idx, basenamesOf(imageId, entry.name), C);
        art.soft ??= found.soft;
        art.hard ??= found.hard;
        art.conf ??= found.conf;
      }
      const model = this.src.model;
      if (model) {
        const softF = model.softFiles.get(imageId);
        const hardF = model.hardFiles.get(imageId);
        if (softF) art.soft = await readSoft(softF, C);
        if (hardF?.label) art.hard = await readHard(hardF.label);
        if (hardF?.conf) art.conf = await readConf(hardF.conf);
      }
      step(1, 3, 'reading labels and image');
      const gt = await this.data.dataset.readLabel(imageId);
      const predictor = this.predictorOf();
      const photo = predictor ? await this.data.dataset.readImage(imageId) : null;
      const size = photo ?? gt ?? art.hard ?? (await this.data.dataset.readImage(imageId));
      width = size.width;
      height = size.height;
      step(2, 3, predictor ? 'running the network' : 'composing maps');
      const out = predictor && photo ? await this.predictOne(photo, () => step(2, 3, 'running the network again (the compute process restarted)')) : null;
      if (!out && !art.soft && !art.hard && !art.conf && !gt) {
        throw new AppError('not-found', `${this.src.describe} has no maps for image '${imageId}' (looked for ${basenamesOf(imageId, entry.name).join(' / ')}.npy, .png, _conf.npy)`, {
          where: 'image.imageId',
        });
      }
      step(3, 3, 'distances, ω and rectified labels');
      const composed = await composeMaps({
        imageWidth: width,
        imageHeight: height,
        numClasses: C,
        prediction: out ?? undefined,
        prototypes: this.src.prototypes ?? undefined,
        soft: art.soft ?? undefined,
        hard: art.hard,
        conf: art.conf,
        gt,
        temperature: this.src.temperature,
        ownSoftmaxAsP0: this.coverage().ownSoftmax,
      });
      layers = composed.layers;
      stats = { imageId, ...composed.stats };
      await this.store.writeMaps(this.datasetId, imageId, layers, { stats: JSON.stringify(stats), width: String(width), height: String(height) });
    }
    return {
      imageId,
      width,
      height,
      numClasses: this.numClasses,
      classNames,
      layers: want ? layers.filter((l) => want.includes(l.id)) : layers,
      stats,
      hasPseudo: this.hasPseudo(entry),
      pseudo: this.coverage(),
      temperature: this.src.temperature,
      cached: fromCache,
    };
  }

  async pixel(imageId: string, x: number, y: number): Promise<PixelValues> {
    const m = await this.image(imageId);
    if (x >= m.width || y >= m.height) {
      throw new AppError('validation', `pixel (${x}, ${y}) is outside the ${m.width}×${m.height} image`, { where: x >= m.width ? 'x' : 'y' });
    }
    return pixelValues(m.layers, m.width, m.height, x, y);
  }

  async stats(imageIds: readonly string[], check: () => void, progress: (done: number, total: number) => void): Promise<ImageStats[]> {
    const known = await this.store.readStats(this.datasetId);
    const out: ImageStats[] = [];
    let dirty = false;
    for (let i = 0; i < imageIds.length; i++) {
      check();
      const id = imageIds[i];
      let s = known[id];
      if (!s) {
        s = (await this.image(id, undefined, () => check())).stats;
        known[id] = s;
        dirty = true;
      }
      out.push(s);
      progress(i + 1, imageIds.length);
      // Persist in chunks so a cancelled or killed batch keeps what it computed.
      if (dirty && (i + 1) % 16 === 0) {
        await this.store.writeStats(this.datasetId, known);
        dirty = false;
      }
    }
    if (dirty) await this.store.writeStats(this.datasetId, known);
    return out;
  }

  async confusion(imageIds: readonly string[], top: number, check: () => void, progress: (done: number, total: number) => void): Promise<ConfusionResult> {
    const C = this.numClasses;
    const total = new Float64Array(C * C);
    const perCell = new Map<number, { imageId: string; pixels: number }[]>();
    let images = 0;
    for (let i = 0; i < imageIds.length; i++) {
      check();
      const m = await this.image(imageIds[i], ['gt', 'pred', 'hard'], () => check());
      const gt = m.layers.find((l): l is LabelLayer => l.kind === 'label' && l.id === 'gt');
      const pred = m.layers.find((l): l is LabelLayer => l.kind === 'label' && l.id === 'pred') ?? m.layers.find((l): l is LabelLayer => l.kind === 'label' && l.id === 'hard');
      progress(i + 1, imageIds.length);
      if (!gt || !pred || gt.data.length !== pred.data.length) continue;
      images++;
      const cm = confusionCounts(gt.data, pred.data, C);
      for (let c = 0; c < C * C; c++) {
        if (!cm[c]) continue;
        total[c] += cm[c];
        const list = perCell.get(c) ?? [];
        list.push({ imageId: m.imageId, pixels: cm[c] });
        list.sort((a, b) => b.pixels - a.pixels);
        if (list.length > top) list.length = top;
        perCell.set(c, list);
      }
    }
    const { perClass: iou, miou } = iouFromConfusion(total, C);
    const topImages: Record<string, { imageId: string; pixels: number }[]> = {};
    for (const [c, list] of perCell) topImages[`${Math.floor(c / C)},${c % C}`] = list;
    return {
      numClasses: C,
      classNames: [...classSets[this.data.dataset.ref.classSet].names],
      matrix: Array.from({ length: C }, (_, r) => Array.from(total.subarray(r * C, (r + 1) * C))),
      iou,
      miou,
      topImages,
      images,
    };
  }
}

/**
 * Per class, whether its prototype was ever set. ProDA starts every prototype at zero and only a class
 * with pixels in a batch moves its EMA, so a class the pseudo-labels never contained keeps an all-zero
 * vector (its counter stays 0); its distances and ω are meaningless.
 */
export function prototypePresence(p: ResolvedSource['prototypes']): boolean[] | null {
  if (!p) return null;
  return Array.from({ length: p.classes }, (_, k) => p.data.subarray(k * p.dims, (k + 1) * p.dims).some((v) => v !== 0));
}

export function pixelValues(layers: readonly MapLayer[], W: number, H: number, x: number, y: number): PixelValues {
  const out: PixelValues = { x, y, labels: {}, vectors: {}, scalars: {} };
  for (const l of layers) {
    const { cx, cy } = layerCell(x, y, W, H, l.width, l.height);
    const i = cy * l.width + cx;
    if (l.kind === 'label') out.labels[l.id] = l.data[i];
    else if (l.kind === 'scalar') out.scalars[l.id] = l.data[i];
    else out.vectors[l.id] = Array.from({ length: (l as VectorLayer).channels }, (_, k) => l.data[k * l.width * l.height + i]);
  }
  return out;
}

export { imageStats };
