// Prototype initialisation from labelled source images (calc_prototype.py --source) in a real soft pseudo-label run:
// the run's prototypes are the engine's source centroids of the warm-up model, accumulated over the passes, and
// differ from the target-initialised ones.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { makeDemo, openDataset } from '../../datasets';
import { initBackend } from '../../engine/backend';
import { accumulatePrototypeMean, createPrototypes } from '../../engine/proda/prototypes';
import { forkLauncher, resolveRunEntry } from '../launcher';
import { runDir } from '../../artifacts/layout';
import { RunSupervisor } from '../supervisor';
import type { RunConfigInput } from '../../../shared/runs-config';
import { ImageSource } from './data';
import { readPrototypes } from '../../artifacts/model';
import { createPredictor, inferenceFromEnv } from '../../engine/predict';
import { loadRunModel } from '../../artifacts/run-model';
import { sourceCentroids } from './source-prototypes';

describe('prototypes from source images (real engine, wasm, tiny demo)', () => {
  let ws: string;
  let data: string;
  let sup: RunSupervisor;
  const src = () => ({ root: data, format: 'demo' as const, split: 'source' });
  const tgt = () => ({ root: data, format: 'demo' as const, split: 'target-train' });
  const ok = async (cfg: RunConfigInput, id: string) => {
    await sup.start(cfg, id);
    const st = await sup.wait(id);
    expect(st.state, `${id}: ${st.message} ${st.logTail?.join('\n')}`).toBe('succeeded');
  };

  beforeAll(async () => {
    await initBackend('wasm');
    ws = await mkdtemp(path.join(os.tmpdir(), 'proda-srcproto-'));
    data = path.join(ws, 'demo');
    await makeDemo({ out: data, seed: 2, width: 64, height: 32, count: 4, valCount: 1 });
    sup = new RunSupervisor({ workspace: ws, launcher: forkLauncher(resolveRunEntry(), { ...process.env, PRODA_BACKEND: 'wasm' }) });
    const common = { seed: 4, network: { arch: 'demo', classes: 19 }, validation: { every: 0 } };
    await ok(
      {
        ...common,
        stage: 'warmup',
        source: src(),
        adversarialWeight: 0,
        freezeBn: false,
        aug: { cropWidth: 48, cropHeight: 24, resizeBase: 64, resizeRange: [1, 1.25] },
        optim: { iterations: 6, batchSize: 2, lr: 1e-2, polyHorizon: 10 },
      },
      'w',
    );
    await ok({ seed: 4, stage: 'pseudo', mode: 'soft', model: 'w', target: tgt(), flip: false, prototypes: { minPixels: 1 } }, 'pt');
    await ok({ seed: 4, stage: 'pseudo', mode: 'soft', model: 'w', target: tgt(), flip: false, prototypes: { minPixels: 1, from: 'source', source: src() } }, 'ps');
  }, 240_000);
  afterAll(async () => {
    await sup?.shutdown();
    await rm(ws, { recursive: true, force: true });
  });

  it('the run writes the source centroids accumulated over the passes, not the target ones', async () => {
    const written = await readPrototypes(runDir(ws, 'ps'));
    // The run's own default inference engine, on the same model.
    const predictor = await createPredictor(await loadRunModel(ws, { kind: 'run', id: 'w' }), inferenceFromEnv());
    const source = await ImageSource.open(openDataset, { ...src(), classSet: '19' }, 'source');
    const cs = (await sourceCentroids(predictor, source, 1, { cancelled: () => false }))!;
    await predictor.dispose();
    const expected = createPrototypes(written.numClasses, written.dim);
    for (let e = 0; e < 4; e++) for (const c of cs) accumulatePrototypeMean(expected, c, 3000);
    expect([...written.counts]).toEqual([...expected.counts]);
    expect(written.counts.filter((c) => c > 0).length).toBeGreaterThan(1);
    let worst = 0;
    for (let i = 0; i < expected.vectors.length; i++) worst = Math.max(worst, Math.abs(written.vectors[i] - expected.vectors[i]));
    expect(worst).toBeLessThan(1e-5);
    const target = await readPrototypes(runDir(ws, 'pt'));
    expect([...target.vectors].some((v, i) => Math.abs(v - written.vectors[i]) > 1e-3)).toBe(true);
  });

  it("refuses from = 'source' without a source split", async () => {
    await sup.start({ seed: 4, stage: 'pseudo', mode: 'soft', model: 'w', target: tgt(), prototypes: { from: 'source' } }, 'bad');
    const st = await sup.wait('bad');
    expect(st.state).toBe('failed');
    expect(`${st.message} ${st.logTail?.join('\n')}`).toMatch(/prototypes\.source/);
  }, 60_000);
});
