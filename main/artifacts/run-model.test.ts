import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { evalCommand } from '../cli/train-command';
import { initBackend } from '../engine/backend';
import { importOfficialModel } from '../interop/jobs';
import { exportInfo } from '../interop/export-info';
import { torchFixtures } from '../interop/torch-fixtures';
import { encodePng } from '../io/png';
import { loadRunMapSource } from '../maps/run-source';
import { hasModel, parseModelRef } from '../models/refs';
import { runConfigSchema } from '../../shared/runs-config';
import { saveCheckpoint } from './checkpoints';
import { MODEL_ARTIFACT, runDir, runPaths } from './layout';
import { prototypesToTensors, weightsToTensors, writeModel } from './model';
import { createRun } from './records';
import { loadRunModel } from './run-model';

const fx = torchFixtures();
const fxDir = 'dir' in fx ? fx.dir : null;
const ws = mkdtempSync(path.join(tmpdir(), 'model-sources-'));
afterAll(() => rmSync(ws, { recursive: true, force: true }));

describe('model references', () => {
  it('a run id or import:<id>, single safe segments only', () => {
    expect(parseModelRef('warmup-1')).toEqual({ kind: 'run', id: 'warmup-1' });
    expect(parseModelRef('import:ckpt.pkl-2026')).toEqual({ kind: 'import', id: 'ckpt.pkl-2026' });
    for (const bad of ['../x', 'import:../x', 'import:', 'a/b', 'import:..', '..', 'import:a:b']) expect(() => parseModelRef(bad)).toThrow(/not a run id/);
  });
});

describe('loadRunModel on a run', () => {
  it('reads the final model; an unfinished run serves its newest verified checkpoint only when asked', async () => {
    const cfg = runConfigSchema.parse({ stage: 'warmup', network: { arch: 'demo', classes: 19 }, source: { root: ws, format: 'folder' } });
    await createRun(ws, cfg, 'unfinished');
    const dir = runDir(ws, 'unfinished');
    await expect(loadRunModel(ws, 'unfinished')).rejects.toThrow(/model\.safetensors: missing/);
    await expect(loadRunModel(ws, 'unfinished', { checkpoint: true })).rejects.toThrow(/neither a final model .* nor a readable checkpoint/);
    const protos = { numClasses: 2, dim: 1, vectors: Float32Array.of(0.5, -0.5), counts: Float32Array.of(3, 4) };
    const early = { 'conv1.weight': { shape: [2], data: Float32Array.of(1, 2) } };
    await saveCheckpoint(runPaths(dir).checkpoints, 3, weightsToTensors('student.', early, prototypesToTensors(protos)));
    const fromCkpt = await loadRunModel(ws, 'unfinished', { checkpoint: true });
    expect(fromCkpt.from).toBe('checkpoints (iteration 3)');
    expect(Array.from(fromCkpt.weights['conv1.weight'].data)).toEqual([1, 2]);
    expect(Array.from(fromCkpt.prototypes!.vectors)).toEqual([0.5, -0.5]);
    expect(fromCkpt).toMatchObject({ ref: { kind: 'run', id: 'unfinished' }, config: { stage: 'warmup' }, import: null, describe: 'run unfinished' });
    await writeModel(dir, { 'conv1.weight': { shape: [2], data: Float32Array.of(5, 6) } });
    for (const m of [await loadRunModel(ws, 'unfinished'), await loadRunModel(ws, { kind: 'run', id: 'unfinished' }, { checkpoint: true })]) {
      expect(m.from).toBe(MODEL_ARTIFACT);
      expect(Array.from(m.weights['conv1.weight'].data)).toEqual([5, 6]);
      expect(m.prototypes).toBeNull();
    }
    await expect(loadRunModel(ws, '../unfinished')).rejects.toThrow(/not a run id/);
  });
});

// A two-image Cityscapes-layout val split (64×32): road on the left half, car on the right.
const root = path.join(ws, 'cs');
async function cityscapes(): Promise<void> {
  for (const name of ['aachen_000000_000019', 'aachen_000001_000019']) {
    const img = path.join(root, 'leftImg8bit', 'val', 'aachen');
    const gt = path.join(root, 'gtFine', 'val', 'aachen');
    mkdirSync(img, { recursive: true });
    mkdirSync(gt, { recursive: true });
    const px = new Uint8Array(64 * 32 * 3).map((_, k) => (k * 13 + name.length * 7) % 251);
    await sharp(px, { raw: { width: 64, height: 32, channels: 3 } }).png().toFile(path.join(img, `${name}_leftImg8bit.png`));
    const ids = new Uint8Array(64 * 32).map((_, i) => (i % 64 < 32 ? 7 : 26));
    writeFileSync(path.join(gt, `${name}_gtFine_labelIds.png`), encodePng({ width: 64, height: 32, colorType: 0, bitDepth: 8, data: ids }));
  }
}

describe.skipIf(fxDir === null)('an imported official checkpoint as a model source', () => {
  let ref = '';
  beforeAll(async () => {
    await initBackend('wasm');
    await cityscapes();
    const r = await importOfficialModel({ workspace: ws, path: path.join(fxDir!, 'small_official.pkl'), network: { arch: 'demo', classes: 19, bnPretrain: false } });
    expect(r.reused).toBe(false);
    ref = r.ref;
  }, 120_000);

  it('is imported once, carries its objective_vectors, and serves maps and exports', async () => {
    expect(ref).toMatch(/^import:small_official\.pkl-/);
    const again = await importOfficialModel({ workspace: ws, path: path.join(fxDir!, 'small_official.pkl'), network: { arch: 'demo', classes: 19, bnPretrain: false } });
    expect(again).toMatchObject({ ref, reused: true });
    expect(await hasModel(ws, parseModelRef(ref))).toBe(true);
    const m = await loadRunModel(ws, parseModelRef(ref));
    expect(m.config).toBeNull();
    expect(m.network.numClasses).toBe(19);
    expect([m.prototypes?.numClasses, m.prototypes?.dim]).toEqual([19, 64]);
    const maps = await loadRunMapSource(ws, ref);
    expect((await maps.loadModel!()).weights['layer5.head.1.weight']).toBeDefined();
    // The prototypes are read on their own (the subset read), the same values the whole-model read gives.
    expect([maps.prototypes?.classes, maps.prototypes?.dims]).toEqual([19, 64]);
    expect(Array.from(maps.prototypes!.data)).toEqual(Array.from(m.prototypes!.vectors));
    expect(await exportInfo(m)).toMatchObject({ runId: null, arch: 'demo', classSet: '19' });
    expect(m.prototypes?.vectors.length).toBe(19 * 64);
    await expect(loadRunModel(ws, parseModelRef('import:nothing-here'))).rejects.toThrow(/no import/);
  });

  it('proda eval --model <checkpoint path> --json scores it in a run process and names the inference engine', async () => {
    let out = '';
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
      out += String(s);
      return true;
    });
    let code: number;
    try {
      code = await evalCommand(['--model', path.join(fxDir!, 'small_official.pkl'), '--arch', 'demo', '--data', root, '--format', 'cityscapes', '--split', 'val', '--workspace', ws, '--threads', '1', '--json']);
    } finally {
      spy.mockRestore();
      delete process.env.PRODA_ORT_THREADS;
    }
    const j = JSON.parse(out);
    expect(code, JSON.stringify(j.logTail)).toBe(0);
    expect(j.ok).toBe(true);
    expect(j.inference).toMatchObject({ engine: 'onnxruntime', provider: 'cpu', threads: 1 });
    expect(j.inference.secondsPerImage).toBeGreaterThan(0);
    expect(j.report.final.images).toBe(2);
    expect(existsSync(path.join(ws, 'runs', j.id, 'config.json'))).toBe(true);
  }, 180_000);
});
