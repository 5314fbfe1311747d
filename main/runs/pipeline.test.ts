import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RunSupervisor } from './supervisor';
import { forkLauncher } from './launcher';
import { runPipeline, type PipelineStep } from './pipeline';
import { readStatus } from '../artifacts/records';
import { runDir } from '../artifacts/layout';
import { listRuns } from './catalogue';

const toyEntry = path.join(path.dirname(fileURLToPath(import.meta.url)), 'testing', 'toy-run-process.ts');

const toy = (extra: Record<string, unknown> = {}) => ({
  stage: 'warmup' as const,
  seed: 1,
  source: { root: '/data', format: 'demo' as const },
  optim: { iterations: 30, lr: 0.01, batchSize: 1, polyHorizon: 100 },
  checkpoint: { every: 10, keep: 1 },
  ...extra,
});

describe('pipeline runner (toy stages)', () => {
  let ws: string;
  let sup: RunSupervisor;
  const started: string[] = [];
  beforeAll(async () => {
    ws = await mkdtemp(path.join(os.tmpdir(), 'proda-pipe-'));
    sup = new RunSupervisor({
      workspace: ws,
      launcher: forkLauncher({ file: toyEntry, execArgv: ['--import', import.meta.resolve('tsx')] }, { ...process.env, TOY_STEP_MS: '20' }),
      onState: (e) => e.state === 'running' && started.push(e.runId),
    });
  });
  afterAll(async () => {
    await sup.shutdown();
    await rm(ws, { recursive: true, force: true });
  });

  const steps: PipelineStep[] = [
    { key: 'a', needs: [], config: () => toy() },
    { key: 'b', needs: ['a'], config: (r) => toy({ init: r.a }) },
    { key: 'c', needs: [], config: () => toy({ seed: 2 }) },
  ];

  it('runs steps after the runs they read, independent ones side by side, passing run ids', async () => {
    const ids = await runPipeline(sup, steps, 'p', { concurrency: 2 });
    expect(ids).toEqual({ a: 'p-a', b: 'p-b', c: 'p-c' });
    // a and c start together; b only after a finished.
    expect(started.slice(0, 2).sort()).toEqual(['p-a', 'p-c']);
    expect(started[2]).toBe('p-b');
    expect((await listRuns(ws, { upstream: 'p-a' })).map((r) => r.id)).toEqual(['p-b']);
  });

  it('reuses succeeded runs and resumes a cancelled one when run again', async () => {
    const { id } = await sup.start(toy({ seed: 5 }), 'q-a');
    await sup.cancel(id);
    expect((await sup.wait(id)).state).toBe('cancelled');
    const how: string[] = [];
    const qSteps: PipelineStep[] = [{ key: 'a', needs: [], config: () => toy({ seed: 5 }) }, ...steps.slice(1)];
    await runPipeline(sup, qSteps, 'q', { onStep: (k, _id, h) => how.push(`${k}:${h}`) });
    expect(how).toContain('a:resume');
    expect((await readStatus(runDir(ws, 'q-a'))).state).toBe('succeeded');
    const again: string[] = [];
    await runPipeline(sup, qSteps, 'q', { onStep: (k, _id, h) => again.push(`${k}:${h}`) });
    expect(again.sort()).toEqual(['a:reuse', 'b:reuse', 'c:reuse']);
  });

  it('refuses to take over a run whose config changed, or one made from a run it has just re-made', async () => {
    await runPipeline(sup, steps, 's');
    const changed = steps.map((st) => (st.key === 'c' ? { ...st, config: () => toy({ seed: 3 }) } : st));
    await expect(runPipeline(sup, changed, 's')).rejects.toThrow(/run s-c exists but its config differs .*seed: 2 → 3/);
    await rm(runDir(ws, 's-a'), { recursive: true });
    await expect(runPipeline(sup, steps, 's')).rejects.toThrow(/run s-b exists but it was made from an earlier run of s-a/);
    expect((await readStatus(runDir(ws, 's-a'))).state).toBe('succeeded');
  });

  it('stops at a failing step and reports it', async () => {
    const bad: PipelineStep[] = [{ key: 'x', needs: [], config: () => toy({ init: 'missing-run' }) }];
    await expect(runPipeline(sup, bad, 'r')).rejects.toThrow(/upstream run missing-run does not exist/);
  });
});
