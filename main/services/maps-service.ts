// Maps for the inspector and triage (shared/contract/maps.ts). Engines are kept per (workspace,
// source, dataset) so repeated requests reuse the resolved source; the maps themselves are cached on
// disk under the workspace cache by MapsStore.
import { AppError } from '../../shared/contract/errors';
import type { MapSource } from '../../shared/contract/maps';
import { ComputeClient } from '../compute/client';
import { MapJobs } from '../maps/jobs';
import { MapsEngine, resolveSource } from '../maps/maps-engine';
import { MapsStore } from '../maps/maps-store';
import { runStamp } from '../maps/run-source';
import type { ServiceContext } from './context';
import { openDataset } from '../datasets';
import type { HandlersFor } from './handler';
import type { Dataset } from '../datasets';
import type { ImageEntry } from '../../shared/datasets';
import { datasetCacheDir } from '../datasets/cache';
import { resolveInside } from '../io/paths';

const jobs = new MapJobs();
// Forward passes run in the compute process: a ResNet-101 map never stalls main's event loop.
const compute = new ComputeClient();
const engines = new WeakMap<ServiceContext, Map<string, Promise<MapsEngine>>>();

const opened = new WeakMap<object, Promise<{ dataset: Dataset; list: ImageEntry[] }>>();

/**
 * The dataset with evaluation labels on: the inspector scores predictions against target GT, which
 * training code must never read (so this is not the dataset service's shared, label-less instance).
 */
function datasetOf(ctx: ServiceContext, datasetId: string): Promise<{ dataset: Dataset; list: ImageEntry[] }> {
  const ws = ctx.requireWorkspace();
  const ref = ws.file.datasets.find((d) => d.id === datasetId);
  if (!ref) throw new AppError('not-found', `no dataset '${datasetId}' in this workspace`, { where: 'datasetId' });
  let p = opened.get(ref);
  if (!p) {
    p = (async () => {
      const dataset = await openDataset(ref, { cacheDir: datasetCacheDir(ws.root, ref.id), evalLabels: true });
      return { dataset, list: await dataset.list() };
    })();
    opened.set(ref, p);
    p.catch(() => opened.get(ref) === p && opened.delete(ref));
  }
  return p;
}

async function engineFor(ctx: ServiceContext, source: MapSource, datasetId: string): Promise<MapsEngine> {
  const ws = ctx.requireWorkspace();
  let per = engines.get(ctx);
  if (!per) engines.set(ctx, (per = new Map()));
  // A run that moves on (resumed, finished) gets a fresh engine with its new model.
  const stamp = source.kind === 'run' ? await runStamp(ws.root, source.runId) : '';
  const key = `${ws.root}|${JSON.stringify(source)}|${datasetId}|${stamp}`;
  let e = per.get(key);
  if (!e) {
    e = (async () => {
      const data = await datasetOf(ctx, datasetId);
      const src = await resolveSource(ws.root, source, data.dataset.classSet.numClasses);
      return new MapsEngine(new MapsStore(resolveInside(ws.root, 'cache', 'maps', src.key)), src, data, datasetId, (ref) => compute.open(ws.root, ref));
    })();
    per.set(key, e);
    // Failures are not remembered: the user may fix the folder or finish the run and retry.
    const current = e;
    e.catch(() => per.get(key) === current && per.delete(key));
    // Older engines of the same source hold an outdated network: drop them.
    const prefix = `${ws.root}|${JSON.stringify(source)}|${datasetId}|`;
    for (const [k, old] of per) {
      if (k === key || !k.startsWith(prefix)) continue;
      per.delete(k);
      old.then((o) => o.dispose(), () => {});
    }
  }
  return e;
}

async function batched<T>(
  ctx: ServiceContext,
  jobId: string | undefined,
  label: string,
  work: (check: () => void, progress: (done: number, total: number) => void) => Promise<T>,
): Promise<T> {
  const job = jobs.start(jobId);
  try {
    return await work(job.check, (done, total) => {
      if (job.id && (done === total || done % 4 === 0)) ctx.emit('maps.progress', { jobId: job.id, done, total, message: `${label} ${done}/${total}` });
    });
  } finally {
    job.done();
  }
}

export const mapsHandlers: HandlersFor<'maps.'> = {
  'maps.get': async (req, ctx) => {
    const engine = await engineFor(ctx, req.source, req.image.datasetId);
    const job = jobs.start(req.jobId);
    try {
      return await engine.image(req.image.imageId, req.layers, (done, total, what) => {
        job.check();
        if (job.id) ctx.emit('maps.progress', { jobId: job.id, done, total, message: what });
      });
    } finally {
      job.done();
    }
  },
  'maps.pixel': async (req, ctx) => (await engineFor(ctx, req.source, req.image.datasetId)).pixel(req.image.imageId, req.x, req.y),
  'maps.stats': async (req, ctx) => {
    const engine = await engineFor(ctx, req.source, req.datasetId);
    const ids = req.imageIds ?? engine.data.list.map((e) => e.id);
    const images = await batched(ctx, req.jobId, 'image statistics', (check, progress) => engine.stats(ids, check, progress));
    return { images, classNames: [...engine.data.dataset.classSet.names], pseudo: engine.coverage(), pseudoLabelled: engine.pseudoLabelled() };
  },
  'maps.confusion': async (req, ctx) => {
    const engine = await engineFor(ctx, req.source, req.datasetId);
    const ids = engine.data.list.map((e) => e.id);
    return batched(ctx, req.jobId, 'confusion matrix', (check, progress) => engine.confusion(ids, req.top, check, progress));
  },
  'maps.cancel': async (req) => {
    const cancelled = jobs.cancel(req.jobId);
    // A forward pass in flight cannot be interrupted from outside its process.
    if (cancelled) compute.cancel();
    return { cancelled };
  },
};
