// The export/import service end to end on a small workspace: a demo-network run, a target folder of
// images, a PyTorch checkpoint; progress events and error codes as clients see them.
import { mkdtempSync, mkdirSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requests, type EventOf, type ParsedRequestOf, type RequestOf, type ResponseOf } from '../../shared/contract/index';
import { AppError } from '../../shared/contract/errors';
import { runConfigSchema } from '../../shared/runs-config';
import { initBackend } from '../engine/backend';
import { SegNet, demoConfig } from '../engine/nets';
import { torchFixtures } from '../interop/torch-fixtures';
import { decodeLabel8 } from '../io/png';
import { LabelStore } from '../labels/store';
import { createRun } from '../artifacts/records';
import { writeModel } from '../artifacts/model';
import { ServiceContext } from './context';
import { openDataset } from '../datasets';
import { exportHandlers } from './export-service';

type Name = keyof typeof exportHandlers;
async function call<K extends Name>(ctx: ServiceContext, name: K, req: RequestOf<K>): Promise<ResponseOf<K>> {
  const handler = exportHandlers[name] as unknown as (r: ParsedRequestOf<K>, c: ServiceContext) => Promise<ResponseOf<K>>;
  return handler(requests[name].request.parse(req) as ParsedRequestOf<K>, ctx);
}

const fx = torchFixtures();
const fxDir = 'dir' in fx ? fx.dir : null;
const root = mkdtempSync(path.join(tmpdir(), 'export-svc-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const ctx = new ServiceContext({ transport: 'http' });
const progress: EventOf<'export.progress'>[] = [];
ctx.onEvent((name, payload) => {
  if (name === 'export.progress') progress.push(payload as EventOf<'export.progress'>);
});

beforeAll(async () => {
  await initBackend('wasm');
  const ds = path.join(root, 'target');
  for (const [i, name] of ['a', 'b'].entries()) {
    mkdirSync(path.join(ds, 'images', 'city'), { recursive: true });
    const px = new Uint8Array(48 * 32 * 3).map((_, k) => (k * (7 + i)) % 251);
    await sharp(px, { raw: { width: 48, height: 32, channels: 3 } }).png().toFile(path.join(ds, 'images', 'city', `${name}.png`));
  }
  ctx.setWorkspace({
    root,
    file: {
      schemaVersion: 1,
      name: 't',
      createdAt: '',
      classSet: '19',
      settings: {},
      datasets: [{ id: 'tgt', name: 'tgt', format: 'folder', root: ds, role: 'target', classSet: '19' }],
    } as never,
  });
  const cfg = runConfigSchema.parse({ stage: 'warmup', network: { arch: 'demo', classes: 19 }, source: { root: ds, format: 'folder' } });
  const id = await createRun(root, cfg, 'run1');
  const net = new SegNet(demoConfig(19), { seed: 5 });
  await writeModel(path.join(root, 'runs', id), await net.getWeights());
  net.dispose();
});

describe('export service', () => {
  it('export.model writes the export after parity and reports progress', async () => {
    progress.length = 0;
    const r = await call(ctx, 'export.model', { runId: 'run1', datasetId: 'tgt', parityImages: 2, exportId: 'x1' });
    expect(r.parity.passed).toBe(true);
    expect(r.parity.images).toBe(2);
    expect(existsSync(path.join(root, 'exports', 'x1', 'model.argmax.onnx'))).toBe(true);
    expect(progress.filter((p) => p.jobId === 'x1').map((p) => p.step)).toEqual(expect.arrayContaining(['onnx', 'tfjs', 'safetensors', 'parity', 'done']));
  }, 60_000);

  it('export.model names a missing run', async () => {
    await expect(call(ctx, 'export.model', { runId: 'nope', datasetId: 'tgt' })).rejects.toBeInstanceOf(AppError);
  });

  it('export.labels writes ProDA and Cityscapes layouts from a run’s predictions', async () => {
    const r = await call(ctx, 'export.labels', { datasetId: 'tgt', source: { kind: 'run', runId: 'run1' }, layouts: ['proda', 'cityscapes'], soft: true, exportId: 'l1' });
    expect(r.images).toBe(2);
    expect(existsSync(path.join(r.dir, 'proda', 'a_conf.npy'))).toBe(true);
    expect(existsSync(path.join(r.dir, 'proda', 'b.npy'))).toBe(true);
    expect(existsSync(path.join(r.dir, 'cityscapes', 'results', 'a_leftImg8bit.png'))).toBe(true);
  }, 60_000);

  it.skipIf(fxDir === null)('import.checkpoint maps a ProDA checkpoint into the workspace with its key report', async () => {
    const r = await call(ctx, 'import.checkpoint', { path: path.join(fxDir!, 'small_bnclr_dp.pkl'), network: { arch: 'demo', classes: 19 }, importId: 'i1' });
    expect(r.report.strippedPrefix).toBe('module.');
    // bn_pretrain.* keys are detected and the network is built with the bn_clr BatchNorm, so nothing is dropped
    expect(r.report.unexpected).not.toEqual(expect.arrayContaining(['bn_pretrain.weight']));
    expect(r.summary).toMatch(/bn_pretrain\.\* keys found: network built with the bn_clr BatchNorm/);
    expect(r.summary).toMatch(/matched/);
    expect(existsSync(path.join(r.dir, 'artifacts', 'model.safetensors'))).toBe(true);
    expect(existsSync(path.join(r.dir, 'artifacts', 'prototypes.safetensors'))).toBe(true);
    // calc_prototype.py's file is 19×256: it fits the official head, not the demo net's 64-d feat
    await expect(call(ctx, 'import.checkpoint', { path: path.join(fxDir!, 'prototypes_on_cityscapes_from_deeplabv2'), network: { arch: 'demo', classes: 19 } })).rejects.toMatchObject({
      message: expect.stringMatching(/prototypes are 256-d but .* feat is 64-d/),
    });
    const protos = await call(ctx, 'import.checkpoint', { path: path.join(fxDir!, 'prototypes_on_cityscapes_from_deeplabv2'), network: { arch: 'resnet101', classes: 19 }, importId: 'p1' });
    expect(protos.report.kind).toBe('prototypes');
    expect(existsSync(path.join(protos.dir, 'artifacts', 'prototypes.safetensors'))).toBe(true);
    expect(existsSync(path.join(protos.dir, 'artifacts', 'model.safetensors'))).toBe(false);
    // strict refuses a checkpoint that does not fit: a 19-class head on a 16-class network
    await expect(call(ctx, 'import.checkpoint', { path: path.join(fxDir!, 'small_bnclr_dp.pkl'), network: { arch: 'demo', classes: 16 }, strict: true })).rejects.toMatchObject({
      code: 'bad-input',
    });
  }, 60_000);

  it('export.labels takes the label order and BN mode through the contract into the compute job', async () => {
    await expect(call(ctx, 'export.labels', { datasetId: 'tgt', source: { kind: 'run', runId: 'run1' }, bnDatasetId: 'tgt', exportId: 'l-bad' })).rejects.toMatchObject({ code: 'validation' });
    const r = await call(ctx, 'export.labels', { datasetId: 'tgt', source: { kind: 'run', runId: 'run1' }, layouts: ['proda'], order: 'eval', bn: 'reestimate', bnDatasetId: 'tgt', exportId: 'l2' });
    expect(r.images).toBe(2);
    const meta = JSON.parse(readFileSync(path.join(r.dir, 'export.json'), 'utf8')) as { source: Record<string, unknown> };
    // The eval order defaults to no flip (validation scores without it).
    expect(meta.source).toMatchObject({ order: 'eval', bn: 'reestimate', bnData: 'tgt', flip: false });
    const dflt = await call(ctx, 'export.labels', { datasetId: 'tgt', source: { kind: 'run', runId: 'run1' }, layouts: ['proda'], exportId: 'l3' });
    const meta3 = JSON.parse(readFileSync(path.join(dflt.dir, 'export.json'), 'utf8')) as { source: Record<string, unknown> };
    expect(meta3.source).toMatchObject({ order: 'pseudo-label', bn: 'running', flip: true });
  }, 120_000);

  it('export.labels writes hand corrections as read back from the label store', async () => {
    const ref = ctx.requireWorkspace().file.datasets[0];
    const id = (await (await openDataset(ref)).list()).find((e) => e.imagePath.endsWith('b.png'))!.id;
    const store = new LabelStore(root);
    const labels = new Uint8Array(48 * 32).map((_, i) => (i % 5 === 0 ? 250 : i % 19));
    await store.reset('tgt', id, { width: 48, height: 32, data: labels }, { source: 'import', label: 't' });
    await store.flushAll();
    await store.closeAll();
    const r = await call(ctx, 'export.labels', { datasetId: 'tgt', source: { kind: 'corrections' }, layouts: ['proda'], exportId: 'c1' });
    expect(r.images).toBe(1);
    const back = decodeLabel8(new Uint8Array(readFileSync(path.join(r.dir, 'proda', 'b.png'))), 'b.png');
    expect(back.data).toEqual(labels);
  });

  it('export.list shows finished exports and imports, newest first', async () => {
    const { entries } = await call(ctx, 'export.list', {});
    const byId = new Map(entries.map((e) => [e.id, e]));
    expect(byId.get('x1')).toMatchObject({ kind: 'model', runId: 'run1', argmaxAgreement: 1 });
    expect(byId.get('x1')?.contents.sort()).toEqual(['onnx', 'pytorch', 'safetensors', 'tfjs']);
    expect(byId.get('l1')).toMatchObject({ kind: 'labels', runId: 'run1', contents: ['proda', 'cityscapes'] });
    if (fxDir) expect(byId.get('i1')?.summary).toMatch(/matched/);
  });

  it.skipIf(fxDir === null)('import.checkpoint refuses a pickle that calls a disallowed global', async () => {
    await expect(call(ctx, 'import.checkpoint', { path: path.join(fxDir!, 'malicious.pkl'), network: { arch: 'demo', classes: 19 } })).rejects.toMatchObject({
      code: 'bad-input',
      message: expect.stringMatching(/refusing to load global '(posix|os|nt)\.system'/),
    });
  });
});
