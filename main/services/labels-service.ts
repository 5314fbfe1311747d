// labels.*: hand corrections of target labels. The LabelStore (main/labels) owns the files; this
// service resolves datasets and starting layers, checks class ids against the dataset's class set, and
// turns store results into contract shapes.
import path from 'node:path';
import { AppError, clip } from '../../shared/contract/errors';
import type { LabelStart, LabelState } from '../../shared/contract/labels';
import { IGNORE_LABEL, type ClassSet } from '../../shared/classes';
import { encodeDiff, diffPixelCount } from '../../shared/annotation/diff';
import type { ActionResult, EditStep } from '../../shared/annotation/editor';
import type { History } from '../../shared/annotation/history';
import { describeOp, type EditOp } from '../../shared/annotation/ops';
import { countTouched, type LabelRaster } from '../../shared/annotation/raster';
import type { Dataset } from '../datasets/types';
import { writeFileAtomic } from '../io/atomic';
import { decodeLabelPng, encodeLabelPng, labelFileSize } from '../labels/formats';
import { LabelStore, type ImageLabels, type StartInfo } from '../labels/store';
import type { ServiceContext } from './context';
import { openDataset } from '../datasets';
import type { HandlersFor } from './handler';
import { datasetCacheDir } from '../datasets/cache';
import { checkTarget } from '../io/folders';
import { resolveInside } from '../io/paths';

const stores = new WeakMap<ServiceContext, LabelStore>();

function storeOf(ctx: ServiceContext): LabelStore {
  const ws = ctx.requireWorkspace();
  let store = stores.get(ctx);
  if (!store || store.workspaceRoot !== ws.root) {
    // A different workspace was opened: the old one's pending snapshots still get written.
    void store?.closeAll();
    const created = new LabelStore(ws.root, {
      onSaved: (s) => ctx.emit('labels.saved', s),
    });
    // Quitting writes pending snapshots (the edit log already holds every step; this saves the replay).
    ctx.onDispose(() => created.closeAll());
    store = created;
    stores.set(ctx, store);
  }
  return store;
}

/** Writes every pending snapshot; the app calls this before it quits. */
export async function flushLabels(ctx: ServiceContext): Promise<void> {
  await stores.get(ctx)?.flushAll();
}

async function datasetOf(ctx: ServiceContext, datasetId: string, imageId: string): Promise<Dataset> {
  const ws = ctx.requireWorkspace();
  const ref = ws.file.datasets.find((d) => d.id === datasetId);
  if (!ref) throw new AppError('not-found', `no dataset '${datasetId}' in this workspace`, { where: 'datasetId' });
  let slot = ctx.datasets.get(datasetId);
  if (!slot || slot.ref !== ref) {
    slot = { ref, dataset: openDataset(ref, { cacheDir: datasetCacheDir(ws.root, ref.id) }) };
    ctx.datasets.set(datasetId, slot);
  }
  const dataset = await slot.dataset;
  slot.list ??= dataset.list();
  const items = await slot.list;
  if (!items.some((e) => e.id === imageId)) {
    throw new AppError('not-found', `no image '${imageId}' in dataset '${datasetId}'`, { where: 'imageId' });
  }
  return dataset;
}

async function imageSize(d: Dataset, imageId: string): Promise<{ width: number; height: number }> {
  const img = await d.readImage(imageId);
  return { width: img.width, height: img.height };
}

async function startRaster(d: Dataset, imageId: string, start: LabelStart | undefined): Promise<{ raster: LabelRaster; start: StartInfo }> {
  if (start?.source === 'layer') {
    const size = await imageSize(d, imageId);
    if (start.width !== size.width || start.height !== size.height) {
      throw new AppError('validation', `start layer is ${start.width}×${start.height}, image ${imageId} is ${size.width}×${size.height}`, { where: 'start' });
    }
    if (start.data.length !== start.width * start.height) {
      throw new AppError('validation', `start layer has ${start.data.length} pixels, expected ${start.width * start.height}`, { where: 'start.data' });
    }
    checkClasses(start.data, d.classSet, 'start.data');
    return { raster: { width: start.width, height: start.height, data: new Uint8Array(start.data) }, start: { source: 'layer', label: start.label } };
  }
  if (start === undefined || start.source === 'ground-truth') {
    const gt = await d.readLabel(imageId);
    if (gt) return { raster: gt, start: { source: 'ground-truth', label: '' } };
    if (start) throw new AppError('not-found', `image ${imageId} has no readable ground truth; start from another layer`, { where: 'start' });
  }
  const { width, height } = await imageSize(d, imageId);
  return { raster: { width, height, data: new Uint8Array(width * height).fill(IGNORE_LABEL) }, start: { source: 'empty', label: '' } };
}

function checkClasses(data: Uint8Array, set: ClassSet, where: string): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v >= set.numClasses && v !== IGNORE_LABEL) {
      throw new AppError('validation', `${where}: value ${v} at pixel ${i} is not a class of the ${set.id}-class set`, { where });
    }
  }
}

function checkOp(op: EditOp, set: ClassSet): void {
  const ids: [string, number][] =
    op.tool === 'replace' ? [['op.from', op.from], ['op.to', op.to]] : 'classId' in op ? [['op.classId', op.classId]] : [];
  for (const [where, v] of ids) {
    if (v >= set.numClasses && v !== IGNORE_LABEL) {
      throw new AppError('validation', `${where}: ${v} is not a class of the ${set.id}-class set (0..${set.numClasses - 1} or ${IGNORE_LABEL})`, { where });
    }
  }
}

const historyInfo = (h: History) => ({
  undo: h.undo.map((e) => ({ seq: e.seq, summary: describeOp(e.op) })),
  redo: h.redo.map((e) => ({ seq: e.seq, summary: describeOp(e.op) })),
  bytes: h.bytes,
  dropped: h.dropped,
});

function stateOf(img: ImageLabels): LabelState {
  const { layers, history } = img.doc;
  return {
    datasetId: img.datasetId,
    imageId: img.imageId,
    width: layers.width,
    height: layers.height,
    labels: layers.labels.slice(),
    touched: layers.touched.slice(),
    base: layers.base.slice(),
    seq: img.seq,
    generation: img.generation,
    start: img.start,
    touchedPixels: countTouched(layers.touched),
    history: historyInfo(history),
  };
}

function stepResult(img: ImageLabels, r: ActionResult, withDiff: boolean) {
  return {
    seq: r.doc.seq,
    pixels: r.diff ? diffPixelCount(r.diff) : 0,
    touchedPixels: countTouched(r.doc.layers.touched),
    diff: withDiff && r.diff ? encodeDiff(r.diff) : null,
    direction: r.direction,
    history: historyInfo(img.doc.history),
  };
}

async function openImage(ctx: ServiceContext, datasetId: string, imageId: string, start?: LabelStart): Promise<ImageLabels> {
  const d = await datasetOf(ctx, datasetId, imageId);
  return storeOf(ctx).get(datasetId, imageId, () => startRaster(d, imageId, start));
}

async function step(ctx: ServiceContext, req: { datasetId: string; imageId: string; seq: number }, s: EditStep) {
  const img = await openImage(ctx, req.datasetId, req.imageId);
  const r = await img.step(s, req.seq);
  return stepResult(img, r, s.kind !== 'edit');
}

const exportName = (imageId: string, format: string): string => `${path.basename(imageId).replace(/\.[^.]+$/, '')}_${format}.png`;

export const labelsHandlers: HandlersFor<'labels.'> = {
  'labels.get': async (req, ctx) => stateOf(await openImage(ctx, req.datasetId, req.imageId, req.start)),
  'labels.reset': async (req, ctx) => {
    const d = await datasetOf(ctx, req.datasetId, req.imageId);
    const { raster, start } = await startRaster(d, req.imageId, req.start);
    return stateOf(await storeOf(ctx).reset(req.datasetId, req.imageId, raster, start));
  },
  'labels.applyEdit': async (req, ctx) => {
    const d = await datasetOf(ctx, req.datasetId, req.imageId);
    checkOp(req.op, d.classSet);
    return step(ctx, req, { kind: 'edit', op: req.op });
  },
  'labels.undo': async (req, ctx) => step(ctx, req, { kind: 'undo' }),
  'labels.redo': async (req, ctx) => step(ctx, req, { kind: 'redo' }),
  'labels.save': async (req, ctx) => {
    const store = storeOf(ctx);
    if (req.datasetId && req.imageId) {
      if (!(await store.exists(req.datasetId, req.imageId))) return { saved: 0 };
      const img = await openImage(ctx, req.datasetId, req.imageId);
      const dirty = img.dirty;
      await img.flush();
      return { saved: dirty ? 1 : 0 };
    }
    return { saved: await store.flushAll() };
  },
  'labels.export': async (req, ctx) => {
    const d = await datasetOf(ctx, req.datasetId, req.imageId);
    if (!(await storeOf(ctx).exists(req.datasetId, req.imageId))) {
      throw new AppError('not-found', `image ${req.imageId} has no corrections to export`, { where: 'imageId' });
    }
    const img = await openImage(ctx, req.datasetId, req.imageId);
    const { width, height, labels } = img.doc.layers;
    const bytes = await encodeLabelPng({ width, height, data: labels }, req.format, d.classSet);
    return { fileName: exportName(req.imageId, req.format), mime: 'image/png' as const, bytes };
  },
  'labels.exportAll': async (req, ctx) => {
    const ws = ctx.requireWorkspace();
    const store = storeOf(ctx);
    // A folder the caller names is theirs to choose; the default one is built from the dataset id, so it is checked.
    const dir = req.dir ? path.resolve(ws.root, req.dir) : resolveInside(ws.root, 'exports', `labels-${req.datasetId}-${req.format}`);
    // The default folder is this export's own (re-exporting refreshes it); a named one may hold someone's files.
    if (req.dir) await checkTarget(dir, req.force);
    const files: { imageId: string; path: string }[] = [];
    for (const c of await store.list(req.datasetId)) {
      const d = await datasetOf(ctx, req.datasetId, c.imageId);
      const img = await openImage(ctx, req.datasetId, c.imageId);
      const { width, height, labels } = img.doc.layers;
      // Keeps the dataset's sub-folders; ids come from the dataset listing, so no `..` can appear.
      const rel = c.imageId.replace(/\.[^./]+$/, '') + '.png';
      const target = path.join(dir, ...rel.split('/'));
      if (!target.startsWith(dir + path.sep)) throw new AppError('bad-input', `image id ${c.imageId} leaves the export folder`, { where: c.imageId });
      await writeFileAtomic(target, await encodeLabelPng({ width, height, data: labels }, req.format, d.classSet));
      files.push({ imageId: c.imageId, path: target });
    }
    return { dir, files };
  },
  'labels.import': async (req, ctx) => {
    const d = await datasetOf(ctx, req.datasetId, req.imageId);
    // A label is exactly as large as its image: check the file's header before decoding a single pixel.
    const size = await imageSize(d, req.imageId);
    const head = await labelFileSize(req.bytes, req.name);
    if (head.width !== size.width || head.height !== size.height) {
      throw new AppError('bad-input', `${clip(req.name)}: ${head.width}×${head.height}, image ${clip(req.imageId)} is ${size.width}×${size.height}`, { where: 'bytes' });
    }
    const raster = await decodeLabelPng(req.bytes, req.format, d.classSet, req.name);
    if (raster.width !== size.width || raster.height !== size.height) {
      throw new AppError('bad-input', `${clip(req.name)}: decodes to ${raster.width}×${raster.height}, image ${clip(req.imageId)} is ${size.width}×${size.height}`, { where: 'bytes' });
    }
    // An imported mask is someone's labelling: every labelled pixel counts as a decision.
    const touched = raster.data.map((v) => (v === IGNORE_LABEL ? 0 : 1));
    return stateOf(await storeOf(ctx).reset(req.datasetId, req.imageId, raster, { source: 'import', label: req.name }, touched));
  },
  'labels.counts': async (req, ctx) => {
    const items = await storeOf(ctx).list(req.datasetId);
    const used = items.filter((i) => i.touchedPixels > 0);
    return {
      datasetId: req.datasetId,
      images: used.length,
      touchedPixels: used.reduce((a, i) => a + i.touchedPixels, 0),
      items: used.map(({ imageId, touchedPixels, seq, updatedAt }) => ({ imageId, touchedPixels, seq, updatedAt })),
    };
  },
};
