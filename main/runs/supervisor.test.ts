import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { RunSupervisor } from './supervisor';
import { listCheckpoints, readCheckpoint } from '../artifacts/checkpoints';
import { finalWeights, toyConfig, toyLauncher, waitForCheckpoint } from './testing/toy-runs';
import { listRuns } from './catalogue';
import { readLogTail, readStatus } from '../artifacts/records';
import { runDir, runPaths } from '../artifacts/layout';
import type { RunProgress } from '../../shared/contract/runs';

const launcher = toyLauncher();
const config = toyConfig;

describe('run supervision (toy stage program in real processes)', () => {
  let ws: string;
  let sup: RunSupervisor;
  const progress: RunProgress[] = [];
  const states: string[] = [];
  let reference: Float32Array;

  beforeAll(async () => {
    ws = await mkdtemp(path.join(os.tmpdir(), 'proda-sup-'));
    sup = new RunSupervisor({
      workspace: ws,
      launcher,
      onProgress: (p) => progress.push(p),
      onState: (e) => states.push(`${e.runId}:${e.state}`),
      datasetGate: async (d) => (d.root === '/bad' ? ['/bad/labels/x.png: unknown label id 77', '/bad/images/y.png: corrupt PNG'] : []),
    });
    const { id } = await sup.start(config(), 'reference');
    const st = await sup.wait(id);
    expect(st.state).toBe('succeeded');
    reference = await finalWeights(ws, id);
  });
  afterAll(async () => {
    await sup.shutdown();
    await rm(ws, { recursive: true, force: true });
  });

  it('reports progress at a steady rate with losses, lr, speed, ETA and memory', () => {
    const mine = progress.filter((p) => p.runId === 'reference');
    expect(mine.length).toBeGreaterThan(2);
    expect(mine.length).toBeLessThan(40); // throttled, not one per iteration
    const last = mine[mine.length - 1];
    expect(last.iteration).toBe(240);
    expect(last.losses.mse).toBeTypeOf('number');
    expect(last.itPerSec).toBeGreaterThan(0);
    expect(last.memory.rssMb).toBeGreaterThan(0);
    expect(states).toContain('reference:succeeded');
  });

  it('a cancelled run stops between iterations, leaves a checkpoint, and resumes to the same weights', async () => {
    const { id } = await sup.start(config(), 'cancelled');
    await waitForCheckpoint(ws, id, 40);
    expect(await sup.cancel(id)).toBe('cancelling');
    const st = await sup.wait(id);
    expect(st.state).toBe('cancelled');
    const [at] = await listCheckpoints(runPaths(runDir(ws, id)).checkpoints);
    expect(at).toBeGreaterThanOrEqual(40);
    expect(at).toBeLessThan(240);
    await sup.resume(id);
    expect((await sup.wait(id)).state).toBe('succeeded');
    expect(Array.from(await finalWeights(ws, id))).toEqual(Array.from(reference));
  });

  it('a corrupt checkpoint is detected by checksum and the previous one is used', async () => {
    const { id } = await sup.start(config(), 'corrupt');
    await waitForCheckpoint(ws, id, 60);
    await sup.cancel(id);
    expect((await sup.wait(id)).state).toBe('cancelled');
    const dir = runPaths(runDir(ws, id)).checkpoints;
    const [newest, previous] = await listCheckpoints(dir);
    const file = path.join(dir, `ckpt-${String(newest).padStart(8, '0')}.safetensors`);
    const bytes = await readFile(file);
    bytes[bytes.length - 3] ^= 0xff;
    await writeFile(file, bytes);
    await expect(readCheckpoint(dir, newest)).rejects.toThrow(/checksum mismatch/);
    await sup.resume(id);
    expect((await sup.wait(id)).state).toBe('succeeded');
    const log = (await readLogTail(runDir(ws, id), 200)).join('\n');
    expect(log).toMatch(/corrupt checkpoint skipped: .*checksum mismatch/);
    expect(log).toContain(`resumed from checkpoint at iteration ${previous}`);
    expect(Array.from(await finalWeights(ws, id))).toEqual(Array.from(reference));
  });

  it('a one-shot stage cancelled part-way ends cancelled, without a report of partial results', async () => {
    const { id } = await sup.start({ stage: 'eval', model: 'reference', val: { root: '/v', format: 'demo' } }, 'eval-cancel');
    for (let i = 0; i < 200 && !progress.some((p) => p.runId === id && p.iteration >= 10); i++) await new Promise((r) => setTimeout(r, 20));
    await sup.cancel(id);
    expect((await sup.wait(id)).state).toBe('cancelled');
    await expect(readFile(path.join(runDir(ws, id), 'report.json'))).rejects.toThrow();
  });

  it('refuses to start a run on a dataset with check errors, quoting the check', async () => {
    const bad = { ...config(), source: { root: '/bad', format: 'demo' } };
    await expect(sup.start(bad, 'bad')).rejects.toThrow(/dataset check failed[\s\S]*unknown label id 77[\s\S]*corrupt PNG/);
    expect((await listRuns(ws)).map((r) => r.id)).not.toContain('bad');
  });

  it('refuses a resume of a finished run and a start that names a missing upstream run', async () => {
    await expect(sup.resume('reference')).rejects.toThrow(/succeeded/);
    await expect(sup.start({ ...config(), init: 'nope' })).rejects.toThrow(/upstream run nope does not exist/);
    expect((await readStatus(runDir(ws, 'reference'))).state).toBe('succeeded');
  });
});
