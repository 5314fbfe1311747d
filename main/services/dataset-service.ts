// Datasets of the open workspace: register, list images in pages, serve image/thumbnail/label bytes.
// Opened datasets and their listings are cached per workspace, so paging through 25,000 images lists
// the folder once.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { AppError } from '../../shared/contract/errors';
import { problemLine, type DatasetRef, type ImageEntry } from '../../shared/datasets';
import type { Dataset } from '../datasets/types';
import type { ServiceContext } from './context';
import { checkDataset, openDataset } from '../datasets';
import type { HandlersFor } from './handler';
import { updateDatasets } from './workspace-service';
import { datasetCacheDir } from '../datasets/cache';

function refOf(ctx: ServiceContext, datasetId: string): DatasetRef {
  const ws = ctx.requireWorkspace();
  const ref = ws.file.datasets.find((d) => d.id === datasetId);
  if (!ref) {
    const known = ws.file.datasets.map((d) => d.id).join(', ') || 'none';
    throw new AppError('not-found', `no dataset '${datasetId}' in this workspace (known: ${known})`, { where: 'datasetId' });
  }
  return ref;
}

function entryOf(ctx: ServiceContext, datasetId: string): { dataset: Promise<Dataset>; list: Promise<ImageEntry[]> } {
  const ref = refOf(ctx, datasetId);
  let slot = ctx.datasets.get(datasetId);
  if (!slot || slot.ref !== ref) {
    const ws = ctx.requireWorkspace();
    const dataset = openDataset(ref, { cacheDir: datasetCacheDir(ws.root, ref.id) });
    slot = { ref, dataset };
    ctx.datasets.set(datasetId, slot);
    // A failed open is not cached: the user may fix the folder and retry.
    dataset.catch(() => ctx.datasets.get(datasetId) === slot && ctx.datasets.delete(datasetId));
  }
  const current = slot;
  current.list ??= current.dataset.then((d) => d.list());
  return { dataset: current.dataset, list: current.list };
}

async function withImage<T>(ctx: ServiceContext, datasetId: string, imageId: string, f: (d: Dataset) => Promise<T>): Promise<T> {
  const { dataset, list } = entryOf(ctx, datasetId);
  // Ids come from the listing only: a request cannot name an arbitrary file path.
  if (!idsOf(await list).has(imageId)) {
    throw new AppError('not-found', `no image '${imageId}' in dataset '${datasetId}'`, { where: 'imageId' });
  }
  return f(await dataset);
}

const idSets = new WeakMap<ImageEntry[], Set<string>>();
function idsOf(items: ImageEntry[]): Set<string> {
  let ids = idSets.get(items);
  if (!ids) idSets.set(items, (ids = new Set(items.map((e) => e.id))));
  return ids;
}

export function slugId(name: string, taken: ReadonlySet<string>): string {
  const base = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'dataset';
  let id = base;
  for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
  return id;
}

export const datasetHandlers: HandlersFor<'datasets.' | 'images.'> = {
  'datasets.list': async (_req, ctx) => ({ datasets: ctx.requireWorkspace().file.datasets }),
  'datasets.add': async (req, ctx) => {
    const ws = ctx.requireWorkspace();
    const taken = new Set(ws.file.datasets.map((d) => d.id));
    if (req.dataset.id && taken.has(req.dataset.id)) {
      throw new AppError('conflict', `a dataset with id '${req.dataset.id}' already exists`, { where: 'dataset.id' });
    }
    const ref: DatasetRef = { ...req.dataset, id: req.dataset.id ?? slugId(req.dataset.name, taken), root: path.resolve(req.dataset.root) };
    const st = await fsp.stat(ref.root).catch(() => null);
    if (!st) throw new AppError('not-found', `${ref.root}: no such folder`, { where: 'dataset.root' });
    if (!st.isDirectory()) throw new AppError('bad-input', `${ref.root} is not a folder`, { where: 'dataset.root' });
    // Opening it once proves the folder is readable in this format, with images, before it is saved.
    const listing = await (await openDataset(ref, {})).listWithProblems();
    if (listing.entries.length === 0) {
      const why = listing.problems.filter((p) => p.severity === 'error').slice(0, 3).map(problemLine);
      throw new AppError('bad-input', `${ref.root}: no images found as a ${ref.format} dataset${why.length ? `: ${why.join('; ')}` : ''}`, {
        where: 'dataset.root',
        details: why,
      });
    }
    await updateDatasets(ctx, (list) => [...list, ref]);
    return ref;
  },
  'datasets.check': async (req, ctx) => checkDataset(refOf(ctx, req.datasetId)),
  'images.list': async (req, ctx) => {
    const items = await entryOf(ctx, req.datasetId).list;
    return { total: items.length, offset: req.offset, items: items.slice(req.offset, req.offset + req.limit) };
  },
  'images.get': (req, ctx) => withImage(ctx, req.datasetId, req.imageId, (d) => d.encodedImage(req.imageId)),
  'images.thumbnail': (req, ctx) => withImage(ctx, req.datasetId, req.imageId, (d) => d.thumbnail(req.imageId, req.maxSide)),
  'images.label': (req, ctx) => withImage(ctx, req.datasetId, req.imageId, (d) => d.readLabel(req.imageId)),
};
