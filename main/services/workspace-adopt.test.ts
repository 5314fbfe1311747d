import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runConfigSchema } from '../../shared/runs-config';
import { AppError } from '../../shared/contract/errors';
import { makeDemo } from '../datasets';
import { createRun } from '../artifacts/records';
import { ServiceContext } from './context';
import { adoptFolder, ensureWorkspaceFile, probeFolder } from './workspace-adopt';
import { loadWorkspaceFile } from './workspace-file';
import { openOrCreateWorkspace, openWorkspace } from './workspace-service';

let tmp: string;
let other: string;

/** A folder as `proda demo --quick` left it before it wrote workspace.json: a demo-quick benchmark and runs. */
async function cliLeftovers(dir: string): Promise<void> {
  const data = path.join(dir, 'datasets', 'demo-quick');
  await makeDemo({ out: data, seed: 1, width: 32, height: 16, count: 2, valCount: 1 });
  const warm = runConfigSchema.parse({ stage: 'warmup', source: { root: data, format: 'demo', split: 'source' }, optim: { iterations: 2 } });
  await createRun(dir, warm, 'warm');
  // A run that read a dataset outside datasets/: adopting registers it too.
  const ev = runConfigSchema.parse({ stage: 'eval', model: 'warm', val: { root: other, format: 'folder' } });
  await createRun(dir, ev, 'ev');
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'proda-adopt-'));
  other = path.join(tmp, 'elsewhere', 'photos');
  await mkdir(other, { recursive: true });
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

describe('adopting a folder without workspace.json', () => {
  it('probe tells missing, empty, other, adoptable and workspace apart', async () => {
    expect((await probeFolder(path.join(tmp, 'nope'))).kind).toBe('missing');
    await mkdir(path.join(tmp, 'empty'));
    expect((await probeFolder(path.join(tmp, 'empty'))).kind).toBe('empty');
    await mkdir(path.join(tmp, 'other'));
    await writeFile(path.join(tmp, 'other', 'notes.txt'), 'x');
    expect((await probeFolder(path.join(tmp, 'other'))).kind).toBe('other');
    await expect(adoptFolder(path.join(tmp, 'other'))).rejects.toThrow(/nothing to adopt/);
    expect(existsSync(path.join(tmp, 'other', 'workspace.json'))).toBe(false);
    const ws = path.join(tmp, 'a');
    await cliLeftovers(ws);
    expect(await probeFolder(ws)).toEqual({ path: ws, kind: 'adoptable', runs: 2, datasets: 4 });
  });

  it('workspace.open refuses without adopt (saying it can), adopts with it: runs, datasets and the demo preset', async () => {
    const ws = path.join(tmp, 'a');
    const ctx = new ServiceContext({ transport: 'http' });
    const err = await openWorkspace(ctx, ws).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).details).toEqual(['adoptable']);
    expect((err as AppError).message).toMatch(/holds 2 runs and 4 datasets: adopt it/);
    expect(ctx.workspace).toBeNull();

    const info = await openWorkspace(ctx, ws, { adopt: true });
    expect(info.preset).toBe('demo-quick');
    expect(info.datasets.map((d) => d.id)).toEqual(['demo-quick-source', 'demo-quick-target-train', 'demo-quick-target-val', 'folder-photos']);
    expect(info.datasets[0]).toMatchObject({ root: path.join(ws, 'datasets', 'demo-quick'), role: 'source', format: 'demo' });
    expect(info.datasets[3]).toMatchObject({ root: other, role: 'target', format: 'folder' });
    for (const d of ['runs', 'cache', 'labels', 'exports']) expect(existsSync(path.join(ws, d))).toBe(true);
    // Stored relative inside the workspace, so it can be moved; the reopened file is the same.
    const stored = JSON.parse(await readFile(path.join(ws, 'workspace.json'), 'utf8'));
    expect(stored.datasets[0].root).toBe('datasets/demo-quick');
    expect((await loadWorkspaceFile(ws)).datasets).toEqual(info.datasets);
    await expect(adoptFolder(ws)).rejects.toThrow(/already holds a workspace/);
  });

  it('serve/app start adopts such a folder and says so, instead of refusing it as not empty', async () => {
    const ws = path.join(tmp, 'b');
    await cliLeftovers(ws);
    const ctx = new ServiceContext({ transport: 'http' });
    const logs: string[] = [];
    ctx.onEvent((name, payload) => name === 'system.log' && logs.push((payload as { message: string }).message));
    const info = await openOrCreateWorkspace(ctx, ws);
    expect(info.datasets).toHaveLength(4);
    expect(logs.join('\n')).toMatch(/adopted .*b: it held 2 runs and no workspace.json; wrote one registering 4 datasets/);
  });
});

describe('ensureWorkspaceFile (CLI commands that write a workspace)', () => {
  it('creates a missing folder as a workspace, then registers datasets that appear later', async () => {
    const ws = path.join(tmp, 'cli', 'nested');
    const first = await ensureWorkspaceFile(ws, { preset: 'demo-quick' });
    expect(first.created).toBe(true);
    expect(first.file.datasets).toEqual([]);
    await makeDemo({ out: path.join(ws, 'datasets', 'demo-quick'), seed: 1, width: 32, height: 16, count: 2, valCount: 1 });
    const second = await ensureWorkspaceFile(ws, { preset: 'demo-quick' });
    expect(second.created).toBe(false);
    expect(second.added.map((d) => d.id)).toEqual(['demo-quick-source', 'demo-quick-target-train', 'demo-quick-target-val']);
    const info = await openWorkspace(new ServiceContext({ transport: 'http' }), ws);
    expect(info.datasets).toHaveLength(3);
    expect(info.preset).toBe('demo-quick');
    // Nothing new: the file is left as it is.
    expect((await ensureWorkspaceFile(ws)).added).toEqual([]);
  });

  it('never overwrites a workspace.json it cannot read', async () => {
    const ws = path.join(tmp, 'broken');
    await mkdir(ws);
    await writeFile(path.join(ws, 'workspace.json'), '{ "schemaVersion": ');
    await expect(ensureWorkspaceFile(ws)).rejects.toThrow(/workspace.json: not valid JSON/);
    expect(await readFile(path.join(ws, 'workspace.json'), 'utf8')).toBe('{ "schemaVersion": ');
  });
});
