// export.* / import.*: model exports with their parity check, label exports, checkpoint imports. Jobs
// run in main (forward passes only, no training); progress reaches clients as `export.progress`.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { importReportSchema, type ExportEntry } from '../../shared/contract/export';
import { AppError } from '../../shared/contract/errors';
import type { DatasetRef, ImageEntry } from '../../shared/datasets';
import { currentBackend, initBackend } from '../engine/backend';
import { SegNet } from '../engine/nets/net';
import { isTempFile, writeFileAtomic, writeJsonAtomic } from '../io/atomic';
import { exportModel, ParityError, type ParityImage } from '../interop/export-model';
import { mapCheckpoint, summarizeReport } from '../interop/import-weights';
import { exportLabels, type LabelExportItem } from '../interop/labels-export';
import { loadRunModel, predictImage } from '../interop/run-model';
import { readTorchFile } from '../interop/torch-checkpoint';
import { LabelStore, readCorrection } from '../labels/store';
import { toDatasetRef } from '../runs/dataset-refs';
import { encodeTensors } from '../runs/tensor-file';
import { MODEL_ARTIFACT, prototypesToTensors, segNetConfig, weightsToTensors } from '../runs/stages/net';
import type { Dataset } from '../datasets/types';
import type { ServiceContext } from './context';
import { openDataset } from '../datasets';
import type { HandlersFor } from './handler';

const stamp = (): string => new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);

async function ensureBackend(): Promise<void> {
  if (!(await currentBackend())) await initBackend();
}

function progress(ctx: ServiceContext, jobId: string) {
  return (step: string, done: number, total: number, message: string) => ctx.emit('export.progress', { jobId, step, done, total, message });
}

async function datasetFor(ctx: ServiceContext, datasetId: string | undefined, fallback: DatasetRef | null): Promise<{ ref: DatasetRef; dataset: Dataset }> {
  const ws = ctx.requireWorkspace();
  let ref: DatasetRef | null | undefined;
  if (datasetId) {
    ref = ws.file.datasets.find((d) => d.id === datasetId);
    if (!ref) throw new AppError('not-found', `no dataset '${datasetId}' in this workspace`, { where: 'datasetId' });
  } else {
    ref = fallback ?? ws.file.datasets.find((d) => d.role === 'target');
    if (!ref) throw new AppError('conflict', 'no target dataset to check parity on: name one with datasetId', { where: 'datasetId' });
  }
  return { ref, dataset: await openDataset(ref, { cacheDir: path.join(ws.root, 'cache', 'datasets', ref.id) }) };
}

const wrap = (err: unknown, where: string): AppError => {
  if (err instanceof AppError) return err;
  if (err instanceof ParityError) return new AppError('internal', err.message, { where });
  return new AppError('bad-input', (err as Error).message, { where });
};

export const exportHandlers: HandlersFor<'export.' | 'import.'> = {
  'export.model': async (req, ctx) => {
    const ws = ctx.requireWorkspace();
    const exportId = req.exportId ?? `${req.runId}-${stamp()}`;
    const onProgress = progress(ctx, exportId);
    let model;
    try {
      model = await loadRunModel(ws.root, req.runId);
    } catch (err) {
      throw wrap(err, req.runId);
    }
    const c = model.config as { target?: Parameters<typeof toDatasetRef>[0] };
    const { dataset } = await datasetFor(ctx, req.datasetId, c.target ? toDatasetRef(c.target, 'target') : null);
    const entries = (await dataset.list()).slice(0, req.parityImages);
    if (entries.length === 0) throw new AppError('bad-input', 'the parity dataset has no images', { where: 'datasetId' });
    const images: ParityImage[] = [];
    for (const e of entries) {
      const full = await dataset.readImage(e.id);
      const scale = Math.min(1, req.paritySide / Math.max(full.width, full.height));
      const img = scale < 1 ? await dataset.readImage(e.id, { width: Math.max(1, Math.round(full.width * scale)), height: Math.max(1, Math.round(full.height * scale)) }) : full;
      images.push({ id: e.id, width: img.width, height: img.height, data: img.data });
    }
    await ensureBackend();
    try {
      const r = await exportModel({
        outDir: path.join(ws.root, 'exports', exportId),
        network: model.network,
        weights: model.weights,
        prototypes: model.prototypes,
        formats: req.formats,
        info: model.info,
        parityImages: images,
        minAgreement: req.minAgreement,
        onProgress,
      });
      return { exportId, dir: r.outDir, files: r.files, parity: r.parity };
    } catch (err) {
      throw wrap(err, exportId);
    }
  },

  'export.labels': async (req, ctx) => {
    const ws = ctx.requireWorkspace();
    const exportId = req.exportId ?? `labels-${req.source.kind === 'run' ? req.source.runId : 'corrections'}-${stamp()}`;
    const onProgress = progress(ctx, exportId);
    const { ref, dataset } = await datasetFor(ctx, req.datasetId, null);
    const all = await dataset.list();
    const byId = new Map(all.map((e) => [e.id, e]));
    const pick = (ids: string[]): ImageEntry[] =>
      ids.map((id) => {
        const e = byId.get(id);
        if (!e) throw new AppError('not-found', `no image '${id}' in dataset '${ref.id}'`, { where: 'imageIds' });
        return e;
      });
    const outDir = path.join(ws.root, 'exports', exportId);
    let items: AsyncGenerator<LabelExportItem>;
    let total: number;
    let dispose = () => {};
    if (req.source.kind === 'run') {
      const model = await loadRunModel(ws.root, req.source.runId).catch((err: unknown) => {
        throw wrap(err, 'source.runId');
      });
      if (String(model.network.numClasses) !== ref.classSet) {
        throw new AppError('bad-input', `run ${req.source.runId} predicts ${model.network.numClasses} classes, dataset ${ref.id} uses the ${ref.classSet}-class set`, { where: 'datasetId' });
      }
      await ensureBackend();
      const net = new SegNet(model.network, { weights: model.weights });
      dispose = () => net.dispose();
      const entries = req.imageIds ? pick(req.imageIds) : all;
      total = entries.length;
      const soft = req.soft;
      items = (async function* () {
        for (const entry of entries) {
          const p = predictImage(net, await dataset.readImage(entry.id));
          yield { entry, width: p.width, height: p.height, trainIds: p.trainIds, confidence: p.confidence, soft: soft ? p.soft : undefined };
        }
      })();
    } else {
      const store = new LabelStore(ws.root);
      const ids = req.imageIds ?? (await store.list(ref.id)).map((c) => c.imageId);
      const entries = pick(ids);
      total = entries.length;
      items = (async function* () {
        for (const entry of entries) {
          const c = await readCorrection(store.folder(ref.id, entry.id));
          if (!c) throw new AppError('not-found', `image ${entry.id} has no corrections`, { where: entry.id });
          yield { entry, width: c.width, height: c.height, trainIds: c.labels };
        }
      })();
    }
    try {
      const r = await exportLabels(items, { outDir, classSet: ref.classSet, layouts: req.layouts, total, onProgress: (d, t) => onProgress('labels', d, t, `${d}/${t} images`) });
      await writeJsonAtomic(path.join(outDir, 'export.json'), { exportId, dataset: ref.id, source: req.source, layouts: req.layouts, images: r.images, classSet: ref.classSet, createdAt: new Date().toISOString() });
      return { exportId, dir: outDir, images: r.images, files: r.files.length };
    } catch (err) {
      throw wrap(err, exportId);
    } finally {
      dispose();
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
      const dir = path.join(ws.root, 'exports', id);
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
      const dir = path.join(ws.root, 'imports', id);
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

  'import.checkpoint': async (req, ctx) => {
    const ws = ctx.requireWorkspace();
    const importId = req.importId ?? `${path.basename(req.path).replace(/[^A-Za-z0-9._-]/g, '_')}-${stamp()}`;
    const onProgress = progress(ctx, importId);
    onProgress('read', 0, 2, `reading ${req.path}`);
    let obj: unknown;
    try {
      obj = await readTorchFile(req.path);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ENOENT') throw new AppError('not-found', `${req.path}: no such file`, { where: 'path' });
      throw new AppError('bad-input', e.message, { where: req.path });
    }
    let network;
    try {
      network = segNetConfig({ arch: req.network.arch, classes: req.network.classes, bnPretrain: req.network.bnPretrain });
    } catch (err) {
      throw new AppError('validation', (err as Error).message, { where: 'network.arch' });
    }
    await ensureBackend();
    const net = new SegNet(network, { seed: 1337 });
    try {
      let imported;
      try {
        imported = mapCheckpoint(obj, net.graph, { source: req.path, strict: req.strict });
      } catch (err) {
        throw new AppError('bad-input', (err as Error).message, { where: req.path });
      }
      onProgress('map', 1, 2, summarizeReport(imported.report));
      const dir = path.join(ws.root, 'imports', importId);
      // Unmatched parameters keep the network's own initialisation, exactly as load_state_dict(strict=False) would.
      const weights = net.getWeights();
      for (const [k, v] of imported.params) weights[k] = { shape: weights[k].shape, data: v };
      const tensors = weightsToTensors('student.', weights);
      if (imported.prototypes) {
        const p = imported.prototypes;
        prototypesToTensors({ numClasses: p.classes, dim: p.dim, vectors: p.data, counts: new Float32Array(p.classes) }, tensors);
      }
      if (imported.params.size > 0) {
        await writeFileAtomic(path.join(dir, MODEL_ARTIFACT), encodeTensors(tensors, { format: 'proda-workbench model', layout: 'tfjs (conv HWIO)', importedFrom: req.path }));
      }
      await writeJsonAtomic(path.join(dir, 'import.json'), { importId, network: req.network, report: imported.report, createdAt: new Date().toISOString() });
      onProgress('done', 2, 2, 'import complete');
      return { importId, dir, report: imported.report, summary: summarizeReport(imported.report) };
    } finally {
      net.dispose();
    }
  },
};
