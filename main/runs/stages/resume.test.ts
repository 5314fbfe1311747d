// The real engine under supervision: a stage-1 run killed with SIGKILL mid-training and resumed from
// its last checkpoint ends with the same weights, EMA and prototypes as an uninterrupted run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { makeDemo } from '../../datasets';
import { RunSupervisor } from '../supervisor';
import { forkLauncher, resolveRunEntry } from '../launcher';
import { listCheckpoints } from '../../artifacts/checkpoints';
import { readLogTail, readReport } from '../../artifacts/records';
import { runDir, runPaths } from '../../artifacts/layout';
import { decodeTensors } from '../../artifacts/safetensors';
import type { RunConfigInput } from '../../../shared/runs-config';

describe('stage runs on the real engine (wasm, tiny demo)', () => {
  let ws: string;
  let sup: RunSupervisor;
  let data: string;
  const common = () => ({
    seed: 4,
    network: { arch: 'demo', classes: 19 },
    aug: { cropWidth: 48, cropHeight: 24, resizeBase: 64, resizeRange: [1, 1.25] as [number, number] },
    validation: { every: 0 },
  });
  const src = () => ({ root: data, format: 'demo' as const, split: 'source' });
  const tgt = () => ({ root: data, format: 'demo' as const, split: 'target-train' });
  const stage1 = (): RunConfigInput => ({
    ...common(),
    stage: 'stage1',
    init: 'w',
    pseudo: 'p',
    source: src(),
    target: tgt(),
    emaDecay: 0.9,
    protoMomentum: 0.05,
    optim: { iterations: 10, batchSize: 2, lr: 1e-3, polyHorizon: 20 },
    checkpoint: { every: 3, keep: 2 },
  });

  beforeAll(async () => {
    ws = await mkdtemp(path.join(os.tmpdir(), 'proda-real-'));
    data = path.join(ws, 'demo');
    await makeDemo({ out: data, seed: 2, width: 64, height: 32, count: 6, valCount: 2 });
    sup = new RunSupervisor({ workspace: ws, launcher: forkLauncher(resolveRunEntry(), { ...process.env, PRODA_BACKEND: 'wasm' }) });
    const ok = async (cfg: RunConfigInput, id: string) => {
      await sup.start(cfg, id);
      const st = await sup.wait(id);
      expect(st.state, `${id}: ${st.message} ${st.logTail?.join('\n')}`).toBe('succeeded');
    };
    await ok({ ...common(), stage: 'warmup', source: src(), adversarialWeight: 0, freezeBn: false, optim: { iterations: 4, batchSize: 2, lr: 1e-2, polyHorizon: 10 } }, 'w');
    await ok({ seed: 4, stage: 'pseudo', mode: 'soft', model: 'w', target: tgt(), flip: false }, 'p');
    await ok(stage1(), 'ref');
  }, 240_000);
  afterAll(async () => {
    await sup.shutdown();
    await rm(ws, { recursive: true, force: true });
  });

  const model = async (id: string) => decodeTensors(new Uint8Array(await readFile(path.join(runDir(ws, id), 'artifacts', 'model.safetensors')))).tensors;

  it('writes the model with prototypes, and the soft-label run wrote prototypes and per-image maps', async () => {
    const m = await model('ref');
    expect(m['prototypes.vectors'].shape).toEqual([19, 64]);
    expect(Object.keys(m).some((k) => k.startsWith('student.layer1'))).toBe(true);
    const idx = JSON.parse(await readFile(path.join(runDir(ws, 'p'), 'artifacts', 'pseudo.json'), 'utf8'));
    expect(idx.ids.length).toBe(6);
    expect(idx.softShape[0]).toBe(19);
  });

  it('SIGKILL mid-training, then resume: same final student, EMA-fed prototypes and weights as the uninterrupted run', async () => {
    await sup.start(stage1(), 'killed');
    const dir = runPaths(runDir(ws, 'killed')).checkpoints;
    for (let i = 0; i < 1200 && !((await listCheckpoints(dir))[0] >= 3); i++) await new Promise((r) => setTimeout(r, 50));
    sup.kill('killed', 'SIGKILL');
    const st = await sup.wait('killed');
    expect(st.state).toBe('failed');
    expect(st.message).toMatch(/SIGKILL/);
    await sup.resume('killed');
    expect((await sup.wait('killed')).state).toBe('succeeded');
    const [a, b] = [await model('ref'), await model('killed')];
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    let maxDiff = 0;
    for (const k of Object.keys(a)) {
      const x = a[k].data;
      const y = b[k].data;
      for (let i = 0; i < x.length; i++) maxDiff = Math.max(maxDiff, Math.abs(x[i] - y[i]));
    }
    expect(maxDiff).toBeLessThan(1e-5);
  }, 240_000);

  it('eval with bn both and no bnData re-estimates BN on the scored split (proda eval --bn both)', async () => {
    const val = { root: data, format: 'demo' as const, split: 'target-val' };
    await sup.start({ seed: 4, stage: 'eval', model: 'w', val, bn: 'both', bnImages: 2 }, 'eval-both');
    const st = await sup.wait('eval-both');
    expect(st.state, `${st.message} ${st.logTail?.join('\n')}`).toBe('succeeded');
    const report = await readReport(runDir(ws, 'eval-both'));
    expect(report?.evals.map((e) => e.bn)).toEqual(['running', 'reestimate']);
    expect((await readLogTail(runDir(ws, 'eval-both'), 50)).join('\n')).toMatch(/BN re-estimation images: the scored split itself \(target-val\)/);
  }, 120_000);
});
