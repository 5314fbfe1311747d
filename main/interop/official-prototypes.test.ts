// An official ProDA folder as a model source: the prototypes calc_prototype.py writes beside the
// checkpoint (prototypes_on_cityscapes_from_deeplabv2) stand in for the checkpoint's objective_vectors
// when those are missing or the warm-up's zeros, and never replace real ones.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/backend';
import { loadRunModel } from '../artifacts/run-model';
import { importOfficialModel, OFFICIAL_PROTOTYPES_FILE } from './jobs';
import { readTorchFile } from './torch-checkpoint';
import { runPython, smallSpec, torchUnavailable } from './torch-fixtures';

const WRITE_OFFICIAL = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../fixtures/interop/write_official.py');
const skip = torchUnavailable();
const tmp = mkdtempSync(path.join(tmpdir(), 'proda-official-protos-'));
const ws = path.join(tmp, 'ws');
const network = { arch: 'demo', classes: 19, bnPretrain: false } as const;

function write(folder: string, ...flags: string[]): void {
  const r = runPython([WRITE_OFFICIAL, path.join(tmp, folder, 'warmup_best_model.pkl'), '--small', JSON.stringify(smallSpec()), '--prototypes-beside', ...flags]);
  if (r.status !== 0) throw new Error(`write_official.py: ${r.stderr.slice(-1500)}`);
}

/** The C×D values a torch file holds: a bare tensor, or the checkpoint's objective_vectors. */
async function vectorsOf(file: string): Promise<Float32Array> {
  const obj = (await readTorchFile(file)) as unknown;
  const t = (obj instanceof Map ? (obj.get('ResNet101') as Map<string, unknown>).get('objective_vectors') : obj) as { data: Float32Array };
  return Float32Array.from(t.data);
}

describe.skipIf(skip !== null)('official folder prototypes', () => {
  beforeAll(async () => {
    await initBackend('wasm');
    write('warmup', '--zero-objective-vectors');
    write('stage1');
  }, 180_000);
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("takes calc_prototype.py's file beside a warm-up checkpoint whose objective_vectors are zeros", async () => {
    const r = await importOfficialModel({ workspace: ws, path: path.join(tmp, 'warmup'), network });
    const m = await loadRunModel(ws, r.ref);
    const beside = await vectorsOf(path.join(tmp, 'warmup', OFFICIAL_PROTOTYPES_FILE));
    expect([m.prototypes?.numClasses, m.prototypes?.dim]).toEqual([19, 64]);
    expect(beside.some((v) => v !== 0)).toBe(true);
    expect(Array.from(m.prototypes!.vectors)).toEqual(Array.from(beside));
    expect(m.import?.file).toBe(path.join(tmp, 'warmup', 'warmup_best_model.pkl'));
  }, 120_000);

  it("keeps a checkpoint's own objective_vectors over the file beside it", async () => {
    const r = await importOfficialModel({ workspace: ws, path: path.join(tmp, 'stage1'), network });
    const m = await loadRunModel(ws, r.ref);
    const own = await vectorsOf(path.join(tmp, 'stage1', 'warmup_best_model.pkl'));
    expect(own.some((v) => v !== 0)).toBe(true);
    expect(Array.from(m.prototypes!.vectors)).toEqual(Array.from(own));
  }, 120_000);
});
