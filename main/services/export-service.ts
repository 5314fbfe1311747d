// export.* / import.*: model exports with their parity check, label exports, checkpoint imports. Jobs
// (main/interop/jobs.ts, shared with the CLI) that run a network go to the compute process, so main
// only dispatches; progress reaches clients as `export.progress`.
import { listExportFiles } from './export-files';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { importReportSchema, type ExportEntry } from '../../shared/contract/export';
import { modelRefFolderName } from '../../shared/contract/ids';
import { AppError } from '../../shared/contract/errors';
import type { DatasetRef } from '../../shared/datasets';
import { openDataset } from '../datasets';
import type { Dataset } from '../datasets/types';
import { isTempFile, writeJsonAtomic } from '../io/atomic';
import { checkTarget } from '../io/folders';
import { resolveInside } from '../io/paths';
import { summarizeReport } from '../interop/import-weights';
import type { ExportResult } from '../interop/export-model';
import { exportStamp, importCheckpoint } from '../interop/jobs';
import { ComputeClient } from '../compute/client';
import { exportLabels, type LabelExportItem } from '../interop/labels-export';
import { LabelStore, readCorrection } from '../labels/store';
import type { ServiceContext } from './context';
import type { HandlersFor } from './handler';
import { datasetCacheDir } from '../datasets/cache';

function progress(ctx: ServiceContext, jobId: string) {
  return (step: string, done: number, total: number, message: string) => ctx.emit('export.progress', { jobId, step, done, total, message });
}

async function datasetFor(ctx: ServiceContext, datasetId: string): Promise<{ ref: DatasetRef; dataset: Dataset }> {
  const ws = ctx.requireWorkspace();
  const ref = ws.file.datasets.find((d) => d.id === datasetId);
  if (!ref) throw new AppError('not-found', `no dataset '${datasetId}' in this workspace`, { where: 'datasetId' });
  return { ref, dataset: await openDataset(ref, { cacheDir: datasetCacheDir(ws.root, ref.id) }) };
}

const compute = new ComputeClient();

/** A dataset the compute process opens itself, with the workspace's decode cache. */
const datasetArg = (ctx: ServiceContext, ref: DatasetRef) => ({ ref, cacheDir: datasetCacheDir(ctx.requireWorkspace().root, ref.id) });

const wrap = (err: unknown, where: string): AppError => {
  if (err instanceof AppError) return err;
  // A parity failure is the exporter's fault, not the request's (the error crossed from the compute process by name).
  if ((err as Error).name === 'ParityError') return new AppError('internal', (err as Error).message, { where });
  return new AppError('bad-input', (err as Error).message, { where });
};

export const exportHandlers: HandlersFor<'export.' | 'import.'> = {
  'export.model': async (req, ctx) => {
    const ws = ctx.requireWorkspace();
    const exportId = req.exportId ?? `${modelRefFolderName(req.runId)}-${exportStamp()}`;
    const dataset = req.datasetId ? datasetArg(ctx, (await datasetFor(ctx, req.datasetId)).ref) : null;
    try {
      const r = await compute.job<ExportResult>(
        {
          kind: 'export-model',
          workspace: ws.root,
          runId: req.runId,
          dataset,
          formats: [...req.formats],
          parityImages: req.parityImages,
          paritySide: req.paritySide,
          minAgreement: req.minAgreement,
          outDir: resolveInside(ws.root, 'exports', exportId),
        },
        progress(ctx, exportId),
      );
      return { exportId, dir: r.outDir, files: r.files, parity: r.parity };
    } catch (err) {
      throw wrap(err, exportId);
    }
  },

  'export.labels': async (req, ctx) => {
    const ws = ctx.requireWorkspace();
    const exportId = req.exportId ?? `labels-${req.source.kind === 'run' ? modelRefFolderName(req.source.runId) : 'corrections'}-${exportStamp()}`;
    const onProgress = progress(ctx, exportId);
    const { ref, dataset } = await datasetFor(ctx, req.datasetId);
    const outDir = resolveInside(ws.root, 'exports', exportId);
    // An earlier export of that id is never mixed with or overwritten by this one.
    await checkTarget(outDir, false);
    if (req.source.kind === 'run') {
      if (req.bnDatasetId && req.bn !== 'reestimate') throw new AppError('validation', 'bnDatasetId needs bn "reestimate"', { where: 'bnDatasetId' });
      const bnData = req.bnDatasetId ? datasetArg(ctx, (await datasetFor(ctx, req.bnDatasetId)).ref) : null;
      // Validation scores without flip; ProDA's hard pseudo-labels average it in.
      const flip = req.flip ?? req.order === 'pseudo-label';
      try {
        const r = await compute.job<{ images: number; files: string[] }>(
          {
            kind: 'export-labels',
            workspace: ws.root,
            runId: req.source.runId,
            dataset: datasetArg(ctx, ref),
            layouts: [...req.layouts],
            imageIds: req.imageIds,
            soft: req.soft,
            flip,
            order: req.order,
            bn: req.bn,
            bnData,
            outDir,
          },
          onProgress,
        );
        return { exportId, dir: outDir, images: r.images, files: r.files.length };
      } catch (err) {
        throw wrap(err, exportId);
      }
    }
    // Hand corrections as last written to disk by the label store.
    const byId = new Map((await dataset.list()).map((e) => [e.id, e]));
    const store = new LabelStore(ws.root);
    const ids = req.imageIds ?? (await store.list(ref.id)).map((c) => c.imageId);
    const entries = ids.map((id) => {
      const e = byId.get(id);
      if (!e) throw new AppError('not-found', `no image '${id}' in dataset '${ref.id}'`, { where: 'imageIds' });
      return e;
    });
    async function* items(): AsyncGenerator<LabelExportItem> {
      for (const entry of entries) {
        const c = await readCorrection(store.folder(ref.id, entry.id));
        if (!c) throw new AppError('not-found', `image ${entry.id} has no corrections`, { where: entry.id });
        yield { entry, width: c.width, height: c.height, trainIds: c.labels };
      }
    }
    try {
      const r = await exportLabels(items(), { outDir, classSet: ref.classSet, layouts: req.layouts, total: entries.length, onProgress: (d, t) => onProgress('labels', d, t, `${d}/${t} images`) });
      await writeJsonAtomic(path.join(outDir, 'export.json'), { exportId, dataset: ref.id, source: req.source, layouts: req.layouts, images: r.images, classSet: ref.classSet, createdAt: new Date().toISOString() });
      return { exportId, dir: outDir, images: r.images, files: r.files.length };
    } catch (err) {
      throw wrap(err, exportId);
    }
  },

  'export.list': async (_req, ctx) => {
    const ws = ctx.requireWorkspace();
    const entries: ExportEntry[] = [];
    const readJson = async (file: string): Promise<Record<string, unknown> | null> => {
      try {
        return JSON.parse(await fsp.readFile(file, 'utf8')) as Record<string, unknown>;
      } catch {
        return null;
      }
    };
    const folders = async (dir: string): Promise<string[]> =>
      (await fsp.readdir(dir, { withFileTypes: true }).catch(() => []))
        .filter((e) => e.isDirectory() && !e.name.endsWith('.partial') && !isTempFile(e.name))
        .map((e) => e.name);
    for (const id of await folders(path.join(ws.root, 'exports'))) {
      const dir = resolveInside(ws.root, 'exports', id);
      const model = await readJson(path.join(dir, 'sidecar.json'));
      if (model) {
        const art = (model.artifact ?? {}) as { files?: string[]; parity?: { argmaxAgreement?: number } };
        const formats = new Set((art.files ?? []).map((f) => (f.endsWith('.onnx') ? 'onnx' : f.startsWith('tfjs') ? 'tfjs' : f.endsWith('.safetensors') ? 'safetensors' : f.endsWith('.pkl') ? 'pytorch' : '')));
        formats.delete('');
        entries.push({ id, kind: 'model', dir, createdAt: (model.createdAt as string) ?? null, runId: (model.runId as string | null) ?? null, contents: [...formats], argmaxAgreement: art.parity?.argmaxAgreement ?? null, summary: null });
        continue;
      }
      const labels = await readJson(path.join(dir, 'export.json'));
      if (labels) {
        const source = labels.source as { kind: string; runId?: string } | undefined;
        entries.push({ id, kind: 'labels', dir, createdAt: (labels.createdAt as string) ?? null, runId: source?.runId ?? null, contents: (labels.layouts as string[]) ?? [], argmaxAgreement: null, summary: null });
      }
    }
    for (const id of await folders(path.join(ws.root, 'imports'))) {
      const dir = resolveInside(ws.root, 'imports', id);
      const imp = await readJson(path.join(dir, 'import.json'));
      if (!imp) continue;
      const parsed = importReportSchema.safeParse(imp.report);
      entries.push({
        id,
        kind: 'import',
        dir,
        createdAt: (imp.createdAt as string) ?? null,
        runId: null,
        contents: [String((imp.network as { arch?: string } | undefined)?.arch ?? '')],
        argmaxAgreement: null,
        summary: parsed.success ? summarizeReport(parsed.data) : null,
      });
    }
    entries.sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''));
    return { entries };
  },

  'export.files': async (req, ctx) => ({ exportId: req.exportId, ...(await listExportFiles(ctx.requireWorkspace().root, req.exportId)) }),

  'import.checkpoint': async (req, ctx) => {
    const ws = ctx.requireWorkspace();
    const importId = req.importId ?? `${path.basename(req.path).replace(/[^A-Za-z0-9._-]/g, '_')}-${exportStamp()}`;
    const dir = resolveInside(ws.root, 'imports', importId);
    await checkTarget(dir, false);
    try {
      const r = await importCheckpoint({ file: req.path, network: req.network, strict: req.strict, outDir: dir, onProgress: progress(ctx, importId) });
      return { importId, dir, report: r.report, summary: r.summary };
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ENOENT') throw new AppError('not-found', `${req.path}: no such file`, { where: 'path' });
      throw wrap(err, req.path);
    }
  },
};
