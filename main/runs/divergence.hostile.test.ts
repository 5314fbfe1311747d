// A run whose loss turns NaN or infinite fails naming the iteration, instead of reporting numbers JSON
// cannot carry. The real run loop with the toy linear-regression stage, whose loss explodes at lr 10.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runConfigSchema } from '../../shared/runs-config';
import { checkStepFinite, withFiniteSteps } from './program';
import { createRun, readMetrics } from '../artifacts/records';
import { runLoop } from './run-loop';
import { toyRegistry } from './testing/toy-program';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function toyRun(lr: number): Promise<string> {
  const ws = await mkdtemp(path.join(os.tmpdir(), 'proda-diverge-'));
  dirs.push(ws);
  const config = runConfigSchema.parse({
    stage: 'warmup',
    source: { root: ws, format: 'folder' },
    optim: { iterations: 200, lr, momentum: 0.9, polyHorizon: 1000 },
    checkpoint: { every: 1000 },
  });
  return path.join(ws, 'runs', await createRun(ws, config, 'r'));
}

describe('run whose loss turns non-finite', () => {
  it('checkStepFinite names the iteration (1-based) and the term', () => {
    expect(() => checkStepFinite({ losses: { ce: 1, kd: Number.NaN }, lr: 0.1 }, 6)).toThrow(/^loss diverged at iteration 7 \(kd = NaN\)/);
    expect(() => checkStepFinite({ losses: { ce: Infinity }, lr: 0.1 }, 0)).toThrow(/iteration 1 \(ce = Infinity\)/);
    expect(checkStepFinite({ losses: { ce: 2 }, lr: 0.1 }, 3).losses.ce).toBe(2);
  });

  it('a diverging run fails with "loss diverged at iteration N" and records no NaN metric', async () => {
    process.env.TOY_STEP_MS = '0';
    const dir = await toyRun(10);
    const registry = { ...toyRegistry, factories: withFiniteSteps(toyRegistry.factories) };
    const err = await runLoop({ runDir: dir, resume: false, registry, channel: null, cancelRequested: () => false }).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    const m = /^loss diverged at iteration (\d+) \(mse = (NaN|Infinity)\)/.exec((err as Error).message);
    expect(m).not.toBeNull();
    const n = Number(m?.[1]);
    expect(n).toBeGreaterThan(1);
    const metrics = await readMetrics(dir);
    expect(metrics.filter((p) => p.losses).length).toBe(n - 1);
    expect(metrics.every((p) => Object.values(p.losses ?? {}).every(Number.isFinite))).toBe(true);
  });

  it('a stable run is untouched by the check', async () => {
    const dir = await toyRun(0.01);
    const registry = { ...toyRegistry, factories: withFiniteSteps(toyRegistry.factories) };
    expect(await runLoop({ runDir: dir, resume: false, registry, channel: null, cancelRequested: () => false })).toBe('succeeded');
  });
});
