import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runConfigSchema } from '../../shared/runs-config';
import { initBackend } from '../engine/backend';
import { SegNet, demoConfig } from '../engine/nets';
import { createPredictor } from '../engine/predict';
import { loadRunModel } from '../artifacts/run-model';
import { parseModelRef } from '../models/refs';
import { createRun } from '../artifacts/records';
import { writeModel } from '../artifacts/model';
import { ComputeClient } from './client';

const ws = mkdtempSync(path.join(tmpdir(), 'compute-'));
const client = new ComputeClient();
afterAll(() => {
  client.close();
  rmSync(ws, { recursive: true, force: true });
});

const image = (w: number, h: number) => ({ width: w, height: h, data: Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 37 + ((i / 3) | 0) * 5) % 256) });

beforeAll(async () => {
  await initBackend('wasm');
  const cfg = runConfigSchema.parse({ stage: 'warmup', network: { arch: 'demo', classes: 19 }, source: { root: ws, format: 'folder' } });
  await createRun(ws, cfg, 'r1');
  const net = new SegNet(demoConfig(19), { seed: 9 });
  await writeModel(path.join(ws, 'runs', 'r1'), await net.getWeights());
  net.dispose();
});

describe('the compute process', () => {
  it('predicts what the in-process predictor does, while main keeps its event loop', async () => {
    const remote = await client.open(ws, 'r1', { threads: 1 });
    expect(client.pid).not.toBe(process.pid);
    expect(remote.info.engine).toBe('onnxruntime');
    const m = await loadRunModel(ws, parseModelRef('r1'));
    const local = await createPredictor({ network: m.network, weights: m.weights }, { threads: 1 });
    const img = image(257, 129);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const t0 = performance.now();
    const [a] = await remote.predict([img], { order: 'pseudo-label', flip: true });
    const remoteMs = performance.now() - t0;
    clearInterval(timer);
    const [b] = await local.predict([img], { order: 'pseudo-label', flip: true });
    expect(Array.from(a.labels!)).toEqual(Array.from(b.labels!));
    expect(Math.max(...Array.from(a.conf!, (v, i) => Math.abs(v - b.conf![i])))).toBeLessThan(1e-6);
    expect(a.feat.data.length).toBe(b.feat.data.length);
    // Main's timers kept firing during the remote forward (a forward in main would have held them all).
    expect(ticks).toBeGreaterThan(Math.min(3, remoteMs / 20));
    await remote.dispose();
    await local.dispose();
  }, 120_000);

  it('cancel stops a forward in flight; the next request starts a fresh process', async () => {
    const remote = await client.open(ws, 'r1', { threads: 1 });
    const pid = client.pid;
    const pending = remote.predict([image(1024, 512)], { order: 'pseudo-label', flip: true });
    setTimeout(() => client.cancel(), 50);
    // Every request in flight dies with the process and learns it restarted (the cancelling service knows its own job).
    await expect(pending).rejects.toThrow(/restarted \(a request was cancelled\)/);
    await expect(remote.predict([image(16, 16)])).rejects.toThrow(/restarted|exited|cancelled/);
    const again = await client.open(ws, 'r1', { threads: 1 });
    expect(client.pid).not.toBe(pid);
    expect((await again.predict([image(33, 17)]))[0].labels!.length).toBe(33 * 17);
    await expect(client.open(ws, 'import:none')).rejects.toThrow(/no import/);
  }, 120_000);
});
