import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cli } from '../testing/run-cli';
import { makeDemo } from '../datasets';
import { EXIT } from './exit-codes';
import { loadWorkspaceFile } from '../services/workspace-file';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const toyEntry = path.join(repo, 'main', 'runs', 'testing', 'toy-run-process.ts');

const toyConfig = (lr: number) => ({
  stage: 'warmup',
  seed: 3,
  source: { root: 'demo', format: 'demo', split: 'source' },
  optim: { iterations: 30, lr, batchSize: 2, polyHorizon: 100 },
  checkpoint: { every: 10, keep: 2 },
});

describe('proda CLI', () => {
  let ws: string;
  const saved = { entry: process.env.PRODA_RUN_ENTRY, step: process.env.TOY_STEP_MS };
  beforeAll(async () => {
    ws = await mkdtemp(path.join(os.tmpdir(), 'proda-cli-'));
    process.env.PRODA_RUN_ENTRY = toyEntry;
    process.env.TOY_STEP_MS = '1';
    await makeDemo({ out: path.join(ws, 'demo'), seed: 1, width: 64, height: 32, count: 3, valCount: 2 });
    await writeFile(path.join(ws, 'a.json'), JSON.stringify(toyConfig(0.01)));
    await writeFile(path.join(ws, 'b.json'), JSON.stringify(toyConfig(0.02)));
    await writeFile(path.join(ws, 'bad.json'), JSON.stringify({ ...toyConfig(0.01), optim: { iterations: -5 } }));
    await writeFile(path.join(ws, 'broken.json'), '{ "stage": ');
  });
  afterAll(async () => {
    process.env.PRODA_RUN_ENTRY = saved.entry;
    process.env.TOY_STEP_MS = saved.step;
    await rm(ws, { recursive: true, force: true });
  });

  it('usage errors exit 2', async () => {
    expect((await cli('frobnicate')).code).toBe(EXIT.usage);
    expect((await cli('train')).code).toBe(EXIT.usage);
    expect((await cli('runs', 'list', '--nope')).code).toBe(EXIT.usage);
    // inference flags are checked before any run starts
    const evalArgs = ['eval', '--model', 'm', '--data', ws, '--format', 'demo', '--workspace', ws];
    expect((await cli(...evalArgs, '--engine', 'torch')).code).toBe(EXIT.usage);
    expect((await cli(...evalArgs, '--provider', 'tpu')).code).toBe(EXIT.usage);
    expect((await cli(...evalArgs, '--threads', '0')).code).toBe(EXIT.usage);
    expect(process.env.PRODA_INFERENCE).toBeUndefined();
  });

  it('a missing config exits 4 and an invalid one exits 3 naming the file and field, as JSON with --json', async () => {
    const missing = await cli('train', '--config', path.join(ws, 'none.json'), '--json', '--workspace', ws);
    expect(missing.code).toBe(EXIT.notFound);
    expect(JSON.parse(missing.out)).toMatchObject({ ok: false, error: { code: 'not-found' } });
    const bad = await cli('train', '--config', path.join(ws, 'bad.json'), '--json', '--workspace', ws);
    expect(bad.code).toBe(EXIT.invalid);
    // A refused command writes nothing: the folder does not become a workspace.
    expect(existsSync(path.join(ws, 'workspace.json'))).toBe(false);
    const data = JSON.parse(bad.out);
    expect(data.error.message).toContain('bad.json');
    expect(data.error.message).toContain('optim.iterations');
    expect((await cli('train', '--config', path.join(ws, 'broken.json'), '--workspace', ws)).code).toBe(EXIT.invalid);
  });

  it('train runs a stage in a child process; runs list/show/compare report it; resuming a finished run is a conflict', async () => {
    const a = await cli('train', '--config', path.join(ws, 'a.json'), '--id', 'ra', '--json', '--workspace', ws);
    expect(a.code).toBe(EXIT.ok);
    const ra = JSON.parse(a.out);
    expect(ra).toMatchObject({ ok: true, id: 'ra', state: 'succeeded' });
    expect(ra.report.iterations).toBe(30);
    // ...and a command that wrote a run made the folder a workspace the app opens, with the run's dataset.
    const file = await loadWorkspaceFile(ws);
    expect(file.datasets.map((d) => [d.id, d.root, d.split, d.role])).toEqual([['demo-demo-source', path.join(ws, 'demo'), 'source', 'source']]);
    expect((await cli('train', '--config', path.join(ws, 'b.json'), '--id', 'rb', '--workspace', ws)).code).toBe(EXIT.ok);

    const list = JSON.parse((await cli('runs', 'list', '--json', '--workspace', ws)).out);
    expect(list.map((r: { id: string }) => r.id).sort()).toEqual(['ra', 'rb']);
    const filtered = JSON.parse((await cli('runs', 'list', '--text', 'rb', '--json', '--workspace', ws)).out);
    expect(filtered.map((r: { id: string }) => r.id)).toEqual(['rb']);

    const show = JSON.parse((await cli('runs', 'show', 'ra', '--json', '--workspace', ws)).out);
    expect(show.env).toMatchObject({ seed: 3, effectiveBatchSize: 2, backend: 'toy' });
    expect(show.config.source.root).toBe(path.join(ws, 'demo'));

    const cmp = JSON.parse((await cli('runs', 'compare', 'ra', 'rb', '--json', '--workspace', ws)).out);
    expect(cmp.configDiff).toEqual([{ path: 'optim.lr', a: 0.01, b: 0.02 }]);
    expect(cmp.metrics.find((m: { name: string }) => m.name === 'loss mse')).toBeTruthy();
    const text = await cli('runs', 'compare', 'ra', 'rb', '--workspace', ws);
    expect(text.out).toMatch(/optim\.lr\s+0\.01\s+0\.02/);

    expect((await cli('runs', 'resume', 'ra', '--workspace', ws)).code).toBe(EXIT.conflict);
    expect((await cli('runs', 'show', 'nope', '--workspace', ws)).code).toBe(EXIT.notFound);
  });

  it('refuses to train on a dataset whose check finds errors, quoting the check, exit 3', async () => {
    await writeFile(path.join(ws, 'nodata.json'), JSON.stringify({ ...toyConfig(0.01), source: { root: 'missing', format: 'cityscapes', split: 'train' } }));
    const r = await cli('train', '--config', path.join(ws, 'nodata.json'), '--json', '--workspace', ws);
    expect(r.code).toBe(EXIT.invalid);
    const e = JSON.parse(r.out).error;
    expect(e.message).toMatch(/dataset check failed/);
    expect(e.details.join('\n')).toContain(path.join(ws, 'missing'));
    expect(JSON.parse((await cli('runs', 'list', '--json', '--workspace', ws)).out).map((x: { id: string }) => x.id)).not.toContain('nodata');
  });

  it('bin/proda.mjs exits with the documented status and prints one JSON object', async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number; out: string }>((resolve) => {
        execFile(process.execPath, [path.join(repo, 'bin', 'proda.mjs'), ...args], { env: { ...process.env, PRODA_CLI_FROM_SOURCE: '1' } }, (err, stdout) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout }),
        );
      });
    const list = await run(['runs', 'list', '--json', '--workspace', ws]);
    expect(list.code).toBe(0);
    expect(Array.isArray(JSON.parse(list.out))).toBe(true);
    const missing = await run(['runs', 'show', 'nope', '--json', '--workspace', ws]);
    expect(missing.code).toBe(EXIT.notFound);
    expect(JSON.parse(missing.out).error.code).toBe('not-found');
  });
});
