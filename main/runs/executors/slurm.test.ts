// The Slurm executor on a real Slurm (scripts/slurm-local.sh start; .ci/run does it): jobs run the
// headless CLI from this checkout, which writes the run folders. The toy stage program (fast, exact)
// stands in for the engine except in the scancel-and-resume test, which trains a tiny real warm-up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeDemo } from '../../datasets';
import { checkDataset } from '../../datasets';
import { checkGate } from '../dataset-refs';
import { forkLauncher } from '../launcher';
import { listCheckpoints } from '../../artifacts/checkpoints';
import { readLogTail, readStatus } from '../../artifacts/records';
import { runDir, runPaths } from '../../artifacts/layout';
import { summarize } from '../catalogue';
import { RunSupervisor } from '../supervisor';
import { cancelSlurmRun, resubmit, submitGraph, waitForRuns, type GraphStep } from './slurm';
import { ACTIVE_STATES, jobState, scancel, slurmReachable } from './slurm-commands';
import { readSlurmRecord } from './slurm-record';
import type { RunConfigInput } from '../../../shared/runs-config';
import { ServiceContext } from '../../services/context';
import { handlers } from '../../services/registry';
import { dispatch } from '../../transports/dispatch';

const reachable = await slurmReachable();
if (!reachable.ok) process.stdout.write(`slurm executor tests skipped: no Slurm controller answers (${reachable.why}); run scripts/slurm-local.sh start\n`);

const here = path.dirname(fileURLToPath(import.meta.url));
const toyEntry = path.join(here, '..', 'testing', 'toy-run-process.ts');
// The jobs run this checkout's sources (not a possibly stale dist/), with the toy stage program.
const toyEnv = { ...process.env, PRODA_CLI_FROM_SOURCE: '1', PRODA_RUN_ENTRY: toyEntry, TOY_STEP_MS: '20' };
const realEnv = { ...process.env, PRODA_CLI_FROM_SOURCE: '1', PRODA_RUN_ENTRY: '', PRODA_BACKEND: 'wasm' };

describe.skipIf(!reachable.ok)('Slurm executor on a real one-node Slurm', () => {
  let ws: string;
  let data: string;
  let sup: RunSupervisor;
  let timeLimited: string;

  const toy = (seed: number, iterations: number, init?: string): RunConfigInput => ({
    stage: 'warmup',
    seed,
    ...(init ? { init } : {}),
    source: { root: data, format: 'demo', split: 'source' },
    optim: { iterations, lr: 0.05, batchSize: 4, polyHorizon: 1000 },
    checkpoint: { every: 20, keep: 2 },
  });
  const status = (id: string) => readStatus(runDir(ws, id));
  const settle = async (ids: string[]) => waitForRuns(ws, ids, () => {}, 500);

  beforeAll(async () => {
    ws = await mkdtemp(path.join(os.tmpdir(), 'proda-slurm-'));
    data = path.join(ws, 'demo');
    await makeDemo({ out: data, seed: 2, width: 64, height: 32, count: 6, valCount: 2 });
    sup = new RunSupervisor({ workspace: ws, launcher: forkLauncher(), datasetGate: checkGate((ref) => checkDataset(ref)) });
    // Submitted first so its minute runs while the other tests use the node's other core.
    const [run] = await submitGraph(sup, [{ id: 'limited', config: toy(5, 100000), after: [] }], { time: '1' }, { ...toyEnv, TOY_STEP_MS: '200' });
    timeLimited = run.jobId;
  }, 60_000);
  afterAll(async () => {
    if (!ws) return;
    // Jobs this file submitted that still run (a test failed or was filtered out) are cancelled, and
    // the workspace removed once Slurm has ended them.
    const jobs: string[] = [];
    for (const id of await readdir(path.join(ws, 'runs')).catch(() => [])) {
      const rec = await readSlurmRecord(runDir(ws, id)).catch(() => null);
      if (rec) jobs.push(...rec.jobs.map((j) => j.jobId));
    }
    const active = async () => (await Promise.all(jobs.map((j) => jobState(j)))).some((js) => js && ACTIVE_STATES.has(js.state));
    if (await active()) {
      await scancel(jobs).catch(() => {});
      for (let i = 0; i < 100 && (await active()); i++) await new Promise((r) => setTimeout(r, 200));
    }
    await rm(ws, { recursive: true, force: true });
  }, 60_000);

  it('submits a chain at once with afterok dependencies; each job starts after its upstream succeeded', async () => {
    const steps: GraphStep[] = [
      { id: 'c1', config: toy(1, 40), after: [] },
      { id: 'c2', config: toy(2, 40, 'c1'), after: ['c1'] },
      { id: 'c3', config: toy(3, 40, 'c2'), after: ['c2'] },
    ];
    const runs = await submitGraph(sup, steps, { partition: 'debug' }, toyEnv);
    expect(runs.map((r) => r.how)).toEqual(['start', 'start', 'start']);
    // Submitted before any ran: the dependents wait in Slurm's queue, not in this process.
    expect((await status('c3')).state).toBe('queued');
    const rec2 = await readSlurmRecord(runDir(ws, 'c2'));
    expect(rec2?.jobs[0].dependsOn).toEqual([runs[0].jobId]);
    expect(rec2?.jobs[0].command).toContain(`--dependency=afterok:${runs[0].jobId}`);
    const done = await settle(['c1', 'c2', 'c3']);
    for (const id of ['c1', 'c2', 'c3']) expect(done.get(id)?.state, `${id}: ${done.get(id)?.message}`).toBe('succeeded');
    const [s1, s2, s3] = [done.get('c1')!, done.get('c2')!, done.get('c3')!];
    expect(Date.parse(s2.startedAt!)).toBeGreaterThanOrEqual(Date.parse(s1.endedAt!));
    expect(Date.parse(s3.startedAt!)).toBeGreaterThanOrEqual(Date.parse(s2.endedAt!));
    // The run's files say succeeded a moment before Slurm calls the job COMPLETED.
    let summary = await summarize(runDir(ws, 'c3'));
    for (let i = 0; i < 100 && summary.slurm?.state !== 'COMPLETED'; i++) {
      await new Promise((r) => setTimeout(r, 200));
      summary = await summarize(runDir(ws, 'c3'));
    }
    expect(summary.slurm).toMatchObject({ jobId: runs[2].jobId, state: 'COMPLETED' });
    expect(summary.iteration).toBe(40);
  }, 120_000);

  it('a failing upstream job cancels its dependents, each run saying why', async () => {
    // The toy stage registry has no pseudo-label stage: the job's run fails at start.
    const steps: GraphStep[] = [
      { id: 'bad', config: { stage: 'pseudo', seed: 1, mode: 'hard', model: 'c1', target: { root: data, format: 'demo', split: 'target-train' } }, after: [] },
      { id: 'after-bad', config: toy(4, 20, 'c1'), after: ['bad'] },
    ];
    await submitGraph(sup, steps, {}, toyEnv);
    const done = await settle(['bad', 'after-bad']);
    expect(done.get('bad')?.state).toBe('failed');
    expect(done.get('bad')?.message).toMatch(/no implementation for stage "pseudo"/);
    expect(done.get('after-bad')?.state).toBe('cancelled');
    expect(done.get('after-bad')?.message).toMatch(/CANCELLED: an upstream job did not succeed \(DependencyNeverSatisfied\)/);
    expect(await listCheckpoints(runPaths(runDir(ws, 'after-bad')).checkpoints)).toEqual([]);
  }, 120_000);

  it('sbatch errors reach the caller verbatim with the command, and leave no run behind', async () => {
    const err = await submitGraph(sup, [{ id: 'nowhere', config: toy(1, 10), after: [] }], { partition: 'no-such-partition' }, toyEnv).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/^sbatch --parsable .*job\.sbatch failed:/);
    expect((err as Error).message).toMatch(/invalid partition specified: no-such-partition/);
    expect(existsSync(runDir(ws, 'nowhere'))).toBe(false);
  }, 60_000);

  it('scancel mid-run, then resume: the weights equal an uninterrupted run byte for byte (real engine, tiny warm-up)', async () => {
    const warmup = (): RunConfigInput => ({
      stage: 'warmup',
      seed: 3,
      network: { arch: 'demo', classes: 19 },
      aug: { cropWidth: 48, cropHeight: 24, resizeBase: 64, resizeRange: [1, 1.25] },
      validation: { every: 0 },
      source: { root: data, format: 'demo', split: 'source' },
      adversarialWeight: 0,
      freezeBn: false,
      optim: { iterations: 16, batchSize: 2, lr: 1e-2, polyHorizon: 20 },
      checkpoint: { every: 2, keep: 2 },
    });
    await submitGraph(sup, [{ id: 'whole', config: warmup(), after: [] }, { id: 'cut', config: warmup(), after: ['whole'] }], {}, realEnv);
    const cutDir = runDir(ws, 'cut');
    // Cancel once the interrupted run has a checkpoint but before it ends.
    for (let i = 0; i < 2400; i++) {
      const s = await readStatus(cutDir);
      if (s.state === 'running' && ((await listCheckpoints(runPaths(cutDir).checkpoints))[0] ?? 0) >= 2) break;
      if (s.state !== 'queued' && s.state !== 'running') throw new Error(`cut is ${s.state}: ${s.message}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const { jobId } = await cancelSlurmRun(ws, 'cut');
    const cancelled = (await settle(['cut'])).get('cut')!;
    expect(cancelled.state).toBe('cancelled');
    expect(cancelled.message).toMatch(new RegExp(`Slurm job ${jobId} CANCELLED`));
    expect(cancelled.iteration).toBeLessThan(16);
    expect((await jobState(jobId))?.state).toBe('CANCELLED');

    const again = await resubmit(ws, 'cut', realEnv);
    expect(again).not.toBe(jobId);
    const done = await settle(['whole', 'cut']);
    expect(done.get('whole')?.state, done.get('whole')?.message).toBe('succeeded');
    expect(done.get('cut')?.state, done.get('cut')?.message).toBe('succeeded');
    expect((await readLogTail(cutDir, 200)).some((l) => /resumed from checkpoint at iteration [1-9]/.test(l))).toBe(true);
    const model = (id: string) => readFile(path.join(runDir(ws, id), 'artifacts', 'model.safetensors'));
    expect(Buffer.compare(await model('cut'), await model('whole'))).toBe(0);
    expect((await readSlurmRecord(cutDir))?.jobs.map((j) => j.kind)).toEqual(['start', 'resume']);
  }, 400_000);

  it('the app sees a Slurm run through the runs service: job id and state in runs.list, cancel is scancel, resume a new job', async () => {
    const ctx = new ServiceContext({ transport: 'http' });
    ctx.setWorkspace({ root: ws, file: { schemaVersion: 1, name: 't', createdAt: new Date().toISOString(), classSet: '19', datasets: [], settings: {} } });
    // The service submits with this process's environment, which sbatch hands to the job.
    const saved = { ...process.env };
    Object.assign(process.env, toyEnv, { TOY_STEP_MS: '50' });
    try {
      const [run] = await submitGraph(sup, [{ id: 'app', config: toy(6, 300), after: [] }], {});
      const dir = runDir(ws, 'app');
      for (let i = 0; i < 1200 && !((await readStatus(dir)).state === 'running' && ((await listCheckpoints(runPaths(dir).checkpoints))[0] ?? 0) >= 20); i++)
        await new Promise((r) => setTimeout(r, 100));
      const listed = await dispatch(handlers, ctx, 'runs.list', { filter: { text: 'app' } });
      expect(listed).toMatchObject({ ok: true, value: [{ id: 'app', state: 'running', slurm: { jobId: run.jobId, state: 'RUNNING' } }] });
      expect(await dispatch(handlers, ctx, 'runs.cancel', { id: 'app' })).toMatchObject({ ok: true, value: { state: 'cancelling' } });
      expect((await settle(['app'])).get('app')).toMatchObject({ state: 'cancelled', message: expect.stringMatching(/CANCELLED: the job was cancelled \(scancel\)/) });
      expect(await dispatch(handlers, ctx, 'runs.resume', { id: 'app' })).toMatchObject({ ok: true, value: { state: 'queued' } });
      expect((await settle(['app'])).get('app')).toMatchObject({ state: 'succeeded', iteration: 300 });
      const got = await dispatch(handlers, ctx, 'runs.get', { id: 'app' });
      expect(got.ok && (got.value as { summary: { slurm?: { jobId: string } } }).summary.slurm?.jobId).not.toBe(run.jobId);
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  }, 200_000);

  it('a job killed at its time limit is a failed run that says so', async () => {
    const st = (await settle(['limited'])).get('limited')!;
    expect(st.state).toBe('failed');
    expect(st.message).toMatch(new RegExp(`Slurm job ${timeLimited} TIMEOUT: the job reached its time limit`));
    expect(st.iteration).toBeGreaterThan(0);
    const summary = await summarize(runDir(ws, 'limited'));
    expect(summary.slurm).toMatchObject({ jobId: timeLimited, state: 'TIMEOUT' });
  }, 200_000);
});
