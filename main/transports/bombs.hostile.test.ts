// Hostile probes against the real server (main/serve.ts in its own process, as `npm run serve` runs it):
// tiny requests and files that ask for gigabytes or minutes. Each must be refused with a clear error,
// the server's peak RSS must stay under 600 MB above its idle RSS, a cheap request must answer in under
// a second while the bomb is being refused, and the workspace must be byte-identical afterwards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { layoutBomb, pngBomb, zipBombCheckpoint } from '../interop/bomb-files';
import { startServeProcess, type Answer, type ServeProcess } from './testing/serve-process';

const RSS_LIMIT_MB = 600;
const LATENCY_LIMIT_MS = 1000;

let server: ServeProcess;
let idleMb = 0;
let files: string;
let ws: string;
let sums: Map<string, string>;
let dataset = '';
let image = '';
const measured: { bomb: string; peakAboveIdleMb: number; worstCheapMs: number; answer: string }[] = [];

const status = (field: 'VmRSS' | 'VmHWM'): number => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${server.child.pid}/status`, 'utf8'))![1]) / 1024;
const call = (name: string, body: string | Buffer) => server.call(name, body);
const api = (name: string, payload: unknown) => server.api(name, payload);

function checksums(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const p = path.join(e.parentPath, e.name);
    out.set(path.relative(dir, p), createHash('sha256').update(readFileSync(p)).digest('hex'));
  }
  return out;
}

/**
 * Sends `bomb`, and while it is in flight keeps asking a cheap question; returns the bomb's answer, the
 * server's peak RSS above idle during it, and the slowest cheap answer.
 */
async function underBomb(label: string, bomb: () => Promise<Answer[]>): Promise<Answer[]> {
  let peakReset = true;
  try {
    writeFileSync(`/proc/${server.child.pid}/clear_refs`, '5'); // resets VmHWM, the kernel's peak RSS
  } catch {
    peakReset = false;
  }
  let sampled = status('VmRSS');
  const sampler = setInterval(() => (sampled = Math.max(sampled, status('VmRSS'))), 10);
  let inFlight = true;
  const answers = bomb().finally(() => (inFlight = false));
  let worst = 0;
  let n = 0;
  while (inFlight || n === 0) {
    const t0 = performance.now();
    const r = await api('system.info', {});
    expect(r.status).toBe(200);
    worst = Math.max(worst, performance.now() - t0);
    n++;
    await new Promise((r) => setTimeout(r, 20));
  }
  clearInterval(sampler);
  const result = await answers;
  const peak = Math.max(sampled, peakReset ? status('VmHWM') : 0);
  measured.push({ bomb: label, peakAboveIdleMb: peak - idleMb, worstCheapMs: worst, answer: result.map((a) => `${a.status} ${a.body.error?.message.slice(0, 70) ?? ''}`).join(' | ') });
  expect(peak - idleMb, `${label}: peak RSS ${peak.toFixed(0)} MB, idle ${idleMb.toFixed(0)} MB`).toBeLessThan(RSS_LIMIT_MB);
  // Wall time on a shared machine: the message carries the load average to judge a failure by.
  expect(worst, `${label}: slowest cheap request ${worst.toFixed(0)} ms (load average ${loadavg()[0].toFixed(1)})`).toBeLessThan(LATENCY_LIMIT_MS);
  return result;
}

const refused = (a: Answer, pattern: RegExp) => {
  expect(a.body.ok).toBe(false);
  expect(a.status).toBeGreaterThanOrEqual(400);
  expect(a.status).toBeLessThan(500);
  expect(a.body.error?.message).toMatch(pattern);
  // An error never echoes more than a few lines of what it was sent.
  expect(a.bytes).toBeLessThan(4096);
};

describe('bombs against the real server (RSS < idle + 600 MB, cheap request < 1 s)', () => {
  beforeAll(async () => {
    files = mkdtempSync(path.join(tmpdir(), 'bombs-'));
    ws = path.join(files, 'ws');
    // The bomb files are generated here (never committed); zlib compresses them on the thread pool.
    const [zipHonest, zipLying, png] = await Promise.all([zipBombCheckpoint(2 ** 30, true), zipBombCheckpoint(2 ** 30, false), pngBomb(30000, 30000)]);
    writeFileSync(path.join(files, 'zip-bomb.pth'), zipHonest);
    writeFileSync(path.join(files, 'zip-bomb-lying.pth'), zipLying);
    writeFileSync(path.join(files, 'huge.png'), png);
    writeFileSync(path.join(files, 'stride0.pth'), layoutBomb([16384, 16384], [0, 0]));
    writeFileSync(path.join(files, 'negative-stride.pth'), layoutBomb([4], [-1], 3, 4));
    writeFileSync(path.join(files, 'negative-size.pth'), layoutBomb([-2, -2], [2, 1], 0, 4));

    server = await startServeProcess(ws, path.join(files, 'data'));
    // Warm up every path the probes take with ordinary requests, so idle RSS includes loaded modules.
    const ds = (await api('datasets.list', {})).body.value as { datasets: { id: string }[] };
    dataset = ds.datasets[0].id;
    image = ((await api('images.list', { datasetId: dataset, limit: 1 })).body.value as { items: { id: string }[] }).items[0].id;
    expect((await api('labels.get', { datasetId: dataset, imageId: image })).body.ok).toBe(true);
    await api('labels.save', {});
    await api('import.checkpoint', { path: path.join(files, 'negative-size.pth') });
    for (let i = 0; i < 5; i++) await api('system.info', {});
    await new Promise((r) => setTimeout(r, 500));
    idleMb = status('VmRSS');
    sums = checksums(ws);
  }, 240_000);

  afterAll(async () => {
    if (measured.length) {
      const rows = measured.map((m) => `  ${m.bomb.padEnd(34)} ${m.peakAboveIdleMb.toFixed(0).padStart(6)} MB ${m.worstCheapMs.toFixed(0).padStart(6)} ms  ${m.answer}`);
      console.log(`load average ${loadavg()[0].toFixed(1)}; server idle RSS ${idleMb.toFixed(0)} MB; per bomb: peak RSS above idle, slowest cheap request, answer\n${rows.join('\n')}`);
    }
    await server?.stop();
    if (files) rmSync(files, { recursive: true, force: true });
  });

  it('zip-bomb checkpoint (1 MB file, 1 GB declared)', async () => {
    const [a] = await underBomb('zip bomb, honest sizes', async () => [await api('import.checkpoint', { path: path.join(files, 'zip-bomb.pth') })]);
    refused(a, /unpack to 1024 MB from a 1\.0 MB file/);
  });

  it('zip-bomb checkpoint whose headers lie about the size', async () => {
    const [a] = await underBomb('zip bomb, lying sizes', async () => [await api('import.checkpoint', { path: path.join(files, 'zip-bomb-lying.pth') })]);
    refused(a, /does not inflate to its declared 64 bytes/);
  });

  it('stride-0 tensor asking for 16384×16384 floats from one', async () => {
    const [a] = await underBomb('stride-0 tensor', async () => [await api('import.checkpoint', { path: path.join(files, 'stride0.pth') })]);
    refused(a, /268435456 elements but its storage holds 1/);
  });

  it('negative strides and sizes', async () => {
    const answers = await underBomb('negative stride / size', async () => [
      await api('import.checkpoint', { path: path.join(files, 'negative-stride.pth') }),
      await api('import.checkpoint', { path: path.join(files, 'negative-size.pth') }),
    ]);
    for (const a of answers) refused(a, /must be non-negative integers/);
  });

  it('/dev/zero as a checkpoint', async () => {
    const [a] = await underBomb('/dev/zero checkpoint', async () => [await api('import.checkpoint', { path: '/dev/zero' })]);
    refused(a, /not a regular file/);
  });

  it('a 30000×30000 PNG (875 KB) as a label', async () => {
    const bytes = new Uint8Array(readFileSync(path.join(files, 'huge.png')));
    const [a] = await underBomb('30000×30000 PNG label', async () => [await api('labels.import', { datasetId: dataset, imageId: image, bytes, name: 'huge.png' })]);
    refused(a, /30000×30000, image .* is \d+×\d+/);
  });

  it('a schema-valid 100,000-point stroke of a 1024 px brush', async () => {
    const points = Array.from({ length: 100_000 }, (_, i) => [i % 97, (i * 7) % 53]);
    const [a] = await underBomb('100k-point brush of size 1024', async () => [
      await api('labels.applyEdit', { datasetId: dataset, imageId: image, seq: 0, op: { tool: 'brush', points, size: 1024, classId: 1 } }),
    ]);
    refused(a, /stroke too large/);
  });

  it('10 concurrent requests with a 60 MB string field', async () => {
    const big = Buffer.from(`{"a":"${'x'.repeat(60 * 2 ** 20)}","b":"y"}`);
    const answers = await underBomb('10 × 60 MB string fields', () =>
      Promise.all(Array.from({ length: 10 }, () => call('runs.compare', big).catch((err: Error) => ({ status: 0, body: { ok: false, error: { code: 'reset', message: err.message } }, bytes: 0 })))),
    );
    for (const a of answers) {
      // Refused as too large, or the connection closed before the whole body was sent: never processed.
      if (a.status === 0) expect(a.body.error?.message).toMatch(/EPIPE|ECONNRESET|socket hang up/);
      else refused(a, /over the limit|too many large requests/);
    }
  });

  it('a 10 MB id is answered with a short error, not echoed whole', async () => {
    const [a] = await underBomb('10 MB id echoed in an error', async () => [await api('runs.compare', { a: 'x'.repeat(10 * 2 ** 20), b: 'y' })]);
    expect(a.body.ok).toBe(false);
    expect(a.bytes).toBeLessThan(4096);
  });

  it('the workspace is byte-identical after every bomb', () => {
    expect(checksums(ws)).toEqual(sums);
  });
});
