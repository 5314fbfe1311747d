// The run service behind the contract: requests go through dispatch (validated both ways) and run
// progress and state arrive as contract events, as either transport forwards them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ServiceContext } from './context';
import { handlers } from './registry';
import { dispatch } from '../transports/dispatch';
import { forkLauncher } from '../runs/launcher';
import { datasetGate, setDatasetGate, setRunLauncher } from '../runs/host';
import { events } from '../../shared/contract/index';

const toyEntry = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'runs', 'testing', 'toy-run-process.ts');

describe('runs service over the contract', () => {
  let ws: string;
  const ctx = new ServiceContext({ transport: 'http' });
  const seen: { name: string; payload: unknown }[] = [];
  const savedGate = datasetGate();
  beforeAll(async () => {
    ws = await mkdtemp(path.join(os.tmpdir(), 'proda-svc-'));
    setRunLauncher(forkLauncher({ file: toyEntry, execArgv: ['--import', import.meta.resolve('tsx')] }, { ...process.env, TOY_STEP_MS: '5' }));
    setDatasetGate(async (d) => (d.root.endsWith('broken') ? [`${d.root}/labels/a.png: unknown label id 99`] : []));
    ctx.setWorkspace({ root: ws, file: { schemaVersion: 1, name: 't', createdAt: new Date().toISOString(), classSet: '19', datasets: [], settings: {} } });
    ctx.onEvent((name, payload) => seen.push({ name, payload }));
  });
  afterAll(async () => {
    setDatasetGate(savedGate);
    await rm(ws, { recursive: true, force: true });
  });

  const config = (root = '/data') => ({
    stage: 'warmup',
    source: { root, format: 'demo' },
    optim: { iterations: 60, batchSize: 2, lr: 0.01, polyHorizon: 100 },
    checkpoint: { every: 20 },
  });

  it('starts a run, streams run.progress and run.state events that match the contract, and lists it', async () => {
    const started = await dispatch(handlers, ctx, 'runs.start', { config: config(), id: 'svc-a' });
    expect(started).toMatchObject({ ok: true, value: { id: 'svc-a', warnings: [] } });
    for (let i = 0; i < 400 && !seen.some((e) => e.name === 'run.state' && (e.payload as { state: string }).state === 'succeeded'); i++)
      await new Promise((r) => setTimeout(r, 25));
    const progress = seen.filter((e) => e.name === 'run.progress');
    expect(progress.length).toBeGreaterThan(0);
    for (const e of progress) expect(events['run.progress'].payload.safeParse(e.payload).success).toBe(true);
    expect(seen.filter((e) => e.name === 'run.state').map((e) => (e.payload as { state: string }).state)).toEqual(['running', 'succeeded']);
    const list = await dispatch(handlers, ctx, 'runs.list', { filter: { stage: 'warmup' } });
    expect(list).toMatchObject({ ok: true, value: [{ id: 'svc-a', state: 'succeeded', iteration: 60 }] });
    const got = await dispatch(handlers, ctx, 'runs.get', { id: 'svc-a' });
    expect(got.ok && (got.value as { metrics: unknown[] }).metrics.length).toBeGreaterThanOrEqual(60);
  });

  it('answers bad requests and refused starts with contract errors', async () => {
    expect(await dispatch(handlers, ctx, 'runs.start', { config: { stage: 'warmup' } })).toMatchObject({ ok: false, error: { code: 'validation' } });
    const refused = await dispatch(handlers, ctx, 'runs.start', { config: config('/x/broken') });
    expect(refused).toMatchObject({ ok: false, error: { code: 'bad-input', details: ['source: /x/broken/labels/a.png: unknown label id 99'] } });
    expect(await dispatch(handlers, ctx, 'runs.resume', { id: 'svc-a' })).toMatchObject({ ok: false, error: { code: 'conflict' } });
    expect(await dispatch(handlers, ctx, 'runs.get', { id: 'nope' })).toMatchObject({ ok: false, error: { code: 'not-found' } });
  });
});
