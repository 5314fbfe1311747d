import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '../../shared/contract/errors';
import { ServiceContext } from './context';
import { WORKSPACE_FILE, loadWorkspaceFile, saveWorkspaceFile, type WorkspaceFile } from './workspace-file';
import { migrate } from '../io/schema-version';
import { createWorkspace, openWorkspace, workspaceHandlers } from './workspace-service';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'proda-ws-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const valid = (over: Record<string, unknown> = {}) => ({
  schemaVersion: 1,
  name: 'w',
  createdAt: '2026-01-01T00:00:00Z',
  classSet: '19',
  datasets: [{ id: 'src', name: 'Source', format: 'folder', root: 'data/src', role: 'source', classSet: '19' }],
  ...over,
});

async function loadError(content: string): Promise<AppError> {
  await writeFile(path.join(dir, WORKSPACE_FILE), content);
  const err = await loadWorkspaceFile(dir).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe('workspace.json', () => {
  it('loads a valid file and resolves relative dataset roots against the workspace', async () => {
    await writeFile(path.join(dir, WORKSPACE_FILE), JSON.stringify(valid()));
    const ws = await loadWorkspaceFile(dir);
    expect(ws.datasets[0].root).toBe(path.join(dir, 'data', 'src'));
    expect(ws.settings).toEqual({});
  });

  it('names the file and the field on invalid content', async () => {
    const file = path.join(dir, WORKSPACE_FILE);
    let e = await loadError(JSON.stringify(valid({ classSet: '20' })));
    expect(e.code).toBe('bad-input');
    expect(e.message).toContain(file);
    expect(e.message).toContain('classSet');
    expect(e.where).toBe(file);

    e = await loadError(JSON.stringify(valid({ datasets: [{ id: 'x', name: 'x', format: 'nope', root: '/r', role: 'source', classSet: '19' }] })));
    expect(e.message).toContain('datasets.0.format');

    e = await loadError('{"schemaVersion": 1,');
    expect(e.message).toMatch(new RegExp(`${file.replace(/[/\\]/g, '.')}: not valid JSON`));

    e = await loadError(JSON.stringify(valid({ schemaVersion: 'one' })));
    expect(e.message).toContain('schemaVersion');

    e = await loadError(JSON.stringify(valid({ schemaVersion: 99 })));
    expect(e.message).toMatch(/newer than this app understands/);
  });

  it('reports a folder without workspace.json as not-found', async () => {
    await expect(loadWorkspaceFile(dir)).rejects.toMatchObject({ code: 'not-found' });
  });

  it('migrates older versions step by step before validating', () => {
    const table = {
      1: (raw: Record<string, unknown>) => ({ ...raw, schemaVersion: 2, added: true }),
      2: (raw: Record<string, unknown>) => ({ ...raw, schemaVersion: 3, renamed: raw.added }),
    };
    expect(migrate({ schemaVersion: 1 }, 'f.json', table, 3)).toEqual({ schemaVersion: 3, added: true, renamed: true });
    expect(() => migrate({ schemaVersion: 2 }, 'f.json', {}, 3)).toThrow(/no migration from schemaVersion 2/);
  });

  it('saves roots inside the workspace relative, outside ones absolute, and reads them back', async () => {
    const file: WorkspaceFile = {
      ...(valid() as WorkspaceFile),
      datasets: [
        { id: 'a', name: 'A', format: 'folder', root: path.join(dir, 'datasets', 'a'), role: 'source', classSet: '19' },
        { id: 'b', name: 'B', format: 'folder', root: '/elsewhere/b', role: 'target', classSet: '19' },
      ],
      settings: {},
    };
    await saveWorkspaceFile(dir, file);
    const stored = JSON.parse(await readFile(path.join(dir, WORKSPACE_FILE), 'utf8'));
    expect(stored.datasets.map((d: { root: string }) => d.root)).toEqual(['datasets/a', '/elsewhere/b']);
    expect((await loadWorkspaceFile(dir)).datasets.map((d) => d.root)).toEqual([path.join(dir, 'datasets', 'a'), '/elsewhere/b']);
  });
});

describe('workspace service', () => {
  it('creates an empty workspace, reopens it, and refuses to create over it', async () => {
    const ctx = new ServiceContext({ transport: 'http' });
    const seen: unknown[] = [];
    ctx.onEvent((name, payload) => seen.push([name, payload]));
    const root = path.join(dir, 'w1');
    const info = await createWorkspace(ctx, root, { demo: false, seed: 1, name: 'My WS' });
    expect(info).toMatchObject({ path: root, name: 'My WS', schemaVersion: 1, datasets: [] });
    expect(seen).toEqual([['workspace.changed', info]]);
    expect(await workspaceHandlers['workspace.current']({}, ctx)).toEqual(info);

    const other = new ServiceContext({ transport: 'http' });
    expect(await openWorkspace(other, root)).toEqual(info);
    await expect(createWorkspace(other, root, { demo: false, seed: 1 })).rejects.toMatchObject({ code: 'conflict' });
  });
});

describe('service context shutdown', () => {
  it('runs disposers newest first, once, even when one fails', async () => {
    const ctx = new ServiceContext({ transport: 'http' });
    const order: string[] = [];
    ctx.onDispose(() => {
      order.push('first');
    });
    ctx.onDispose(async () => {
      order.push('second');
      throw new Error('boom');
    });
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    await ctx.dispose();
    await ctx.dispose();
    spy.mockRestore();
    expect(order).toEqual(['second', 'first']);
  });
});
