import { describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { requests, type ParsedRequestOf, type RequestName, type RequestOf } from '../../shared/contract/index';
import { applyDiff, decodeDiff } from '../../shared/annotation/diff';
import { computeEdit, type EditOp } from '../../shared/annotation/ops';
import { decodeIndexPng } from '../labels/label-png';
import { ServiceContext } from './context';
import { labelsHandlers } from './labels-service';

const W = 12;
const H = 8;

async function workspace(): Promise<ServiceContext> {
  const root = mkdtempSync(path.join(tmpdir(), 'labels-svc-'));
  const dsRoot = path.join(root, 'target');
  mkdirSync(path.join(dsRoot, 'images', 'city'), { recursive: true });
  await sharp(new Uint8Array(W * H * 3).fill(90), { raw: { width: W, height: H, channels: 3 } }).png().toFile(path.join(dsRoot, 'images', 'city', 'a.png'));
  const ctx = new ServiceContext({ transport: 'http' });
  ctx.setWorkspace({
    root,
    file: {
      schemaVersion: 1,
      name: 't',
      createdAt: '',
      classSet: '19',
      settings: {},
      datasets: [{ id: 'tgt', name: 'tgt', format: 'folder', root: dsRoot, role: 'target', classSet: '19' }],
    },
  });
  return ctx;
}

type LabelsName = Extract<RequestName, `labels.${string}`>;
const call = <K extends LabelsName>(ctx: ServiceContext, name: K, req: RequestOf<K>) =>
  (labelsHandlers[name] as unknown as (r: ParsedRequestOf<K>, c: ServiceContext) => ReturnType<(typeof labelsHandlers)[K]>)(
    requests[name].request.parse(req) as ParsedRequestOf<K>,
    ctx,
  );

describe('labels service', () => {
  it('edits, undoes, exports and counts one image end to end', async () => {
    const ctx = await workspace();
    const ref = { datasetId: 'tgt', imageId: 'city/a.png' };
    const st = await call(ctx, 'labels.get', ref);
    // A folder dataset has no ground truth: the default start is all-ignore.
    expect(st.start.source).toBe('empty');
    expect(st.width).toBe(W);
    expect(st.labels.every((v) => v === 250)).toBe(true);

    const local = { width: W, height: H, labels: st.labels.slice(), touched: st.touched.slice(), base: st.base.slice() };
    const brush: EditOp = { tool: 'brush', points: [[0, 1.5], [5.9, 1.5]], size: 1, classId: 0 };
    const fill: EditOp = { tool: 'fill', x: 10, y: 6, classId: 8 };
    for (const [i, op] of [brush, fill].entries()) {
      applyDiff(local, computeEdit(local, op), 'forward');
      const r = await call(ctx, 'labels.applyEdit', { ...ref, seq: i, op });
      expect(r.seq).toBe(i + 1);
    }
    await expect(call(ctx, 'labels.applyEdit', { ...ref, seq: 0, op: brush })).rejects.toThrow(/reload/);
    await expect(call(ctx, 'labels.applyEdit', { ...ref, seq: 2, op: { ...brush, classId: 19 } })).rejects.toThrow(/op.classId: 19 is not a class/);

    const undo = await call(ctx, 'labels.undo', { ...ref, seq: 2 });
    expect(undo.direction).toBe('backward');
    applyDiff(local, decodeDiff(undo.diff!).diff, 'backward');
    expect(undo.history.undo.map((e) => e.summary)).toEqual(['brush 1px class 0']);
    expect(undo.history.redo).toHaveLength(1);

    const again = await call(ctx, 'labels.get', ref);
    expect([...again.labels]).toEqual([...local.labels]);
    expect(again.touchedPixels).toBe(6);

    const png = await call(ctx, 'labels.export', { ...ref, format: 'trainId' });
    expect(png.fileName).toBe('a_trainId.png');
    const decoded = await decodeIndexPng(png.bytes, 'export');
    const expected = new Uint8Array(W * H).fill(250);
    expected.fill(0, W, W + 6);
    expect([...decoded.data]).toEqual([...expected]);

    const counts = await call(ctx, 'labels.counts', { datasetId: 'tgt' });
    expect(counts).toMatchObject({ images: 1, touchedPixels: 6 });

    const all = await call(ctx, 'labels.exportAll', { datasetId: 'tgt', format: 'color' });
    expect(all.files.map((f) => path.relative(all.dir, f.path))).toEqual([path.join('city', 'a.png')]);

    const imported = await call(ctx, 'labels.import', { ...ref, format: 'trainId', bytes: png.bytes, name: 'a_trainId.png' });
    expect(imported.start).toEqual({ source: 'import', label: 'a_trainId.png' });
    expect(imported.touchedPixels).toBe(6);
    expect(imported.seq).toBe(0);
    await expect(call(ctx, 'labels.get', { datasetId: 'tgt', imageId: 'nope.png' })).rejects.toThrow(/no image 'nope.png'/);
    await call(ctx, 'labels.save', {});
    // Quitting closes the store: pending snapshots are written, later steps are refused until reopened.
    await call(ctx, 'labels.applyEdit', { ...ref, seq: 0, op: { ...brush, classId: 13 } });
    await ctx.dispose();
    const state = JSON.parse(readFileSync(path.join(ctx.requireWorkspace().root, 'labels', 'tgt', 'city%2Fa.png', 'state.json'), 'utf8')) as { seq: number };
    expect(state.seq).toBe(1);
  });

  it('starts from a given layer (checked against the image size and class set) and imports colour PNGs', async () => {
    const ctx = await workspace();
    const ref = { datasetId: 'tgt', imageId: 'city/a.png' };
    const layer = new Uint8Array(W * H).fill(2);
    await expect(call(ctx, 'labels.get', { ...ref, start: { source: 'layer', label: 'pred', width: W, height: H - 1, data: layer.subarray(W) } })).rejects.toThrow(
      /start layer is 12×7, image city\/a.png is 12×8/,
    );
    const bad = layer.slice();
    bad[5] = 19;
    await expect(call(ctx, 'labels.get', { ...ref, start: { source: 'layer', label: 'pred', width: W, height: H, data: bad } })).rejects.toThrow(/value 19 at pixel 5/);
    await expect(call(ctx, 'labels.get', { ...ref, start: { source: 'ground-truth' } })).rejects.toThrow(/no readable ground truth/);
    const st = await call(ctx, 'labels.get', { ...ref, start: { source: 'layer', label: 'run r1: prediction', width: W, height: H, data: layer } });
    expect(st.start).toEqual({ source: 'layer', label: 'run r1: prediction' });
    expect(st.touchedPixels).toBe(0);
    // the eraser goes back to the starting layer
    await call(ctx, 'labels.applyEdit', { ...ref, seq: 0, op: { tool: 'brush', points: [[6, 4]], size: 4, classId: 13 } });
    const erased = await call(ctx, 'labels.applyEdit', { ...ref, seq: 1, op: { tool: 'eraser', points: [[6, 4]], size: 8 } });
    expect(erased.touchedPixels).toBe(0);
    expect((await call(ctx, 'labels.get', ref)).labels.every((v) => v === 2)).toBe(true);

    const colour = await call(ctx, 'labels.export', { ...ref, format: 'color' });
    const back = await call(ctx, 'labels.import', { ...ref, format: 'color', bytes: colour.bytes, name: 'c.png' });
    expect(back.labels.every((v) => v === 2)).toBe(true);
    expect(back.touchedPixels).toBe(W * H);
    expect(back.generation).toBe(1);
  });
});
