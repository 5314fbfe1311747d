import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { safeId } from '../../shared/contract/ids';
import { realInside, resolveInside } from './paths';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'proda-paths-'));
  await mkdir(path.join(root, 'ws', 'runs'), { recursive: true });
  await writeFile(path.join(root, 'ws', 'runs', 'in.txt'), 'x');
  await writeFile(path.join(root, 'secret.txt'), 's');
  await symlink(path.join(root, 'secret.txt'), path.join(root, 'ws', 'runs', 'out-link'));
  await symlink(path.join(root, 'ws', 'runs', 'in.txt'), path.join(root, 'ws', 'runs', 'in-link'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('resolveInside', () => {
  it('joins plain names under the root', () => {
    expect(resolveInside('/w', 'runs', 'r-1')).toBe(path.resolve('/w/runs/r-1'));
    // a name that merely starts with two dots stays inside
    expect(resolveInside('/w', '..notes')).toBe(path.resolve('/w/..notes'));
  });
  it.each(['..', '.', '', '../x', 'a/b', 'a\\b', '/etc', 'x\0y'])('refuses %j as a segment', (seg) => {
    expect(() => resolveInside('/w', 'runs', seg)).toThrow(/validation|not a single|empty/);
  });
});

describe('realInside', () => {
  it('follows links: one leading out of the root is outside, one within is inside', async () => {
    const runs = path.join(root, 'ws', 'runs');
    expect(await realInside(runs, path.join(runs, 'in.txt'))).toBe(true);
    expect(await realInside(runs, path.join(runs, 'in-link'))).toBe(true);
    expect(await realInside(runs, path.join(runs, 'out-link'))).toBe(false);
    expect(await realInside(runs, path.join(runs, 'missing'))).toBe(false);
  });
});

describe('safeId', () => {
  it('accepts run, export and dataset ids as the app makes them', () => {
    for (const id of ['warmup-20260101-120000-ab12', 'run1', 'demo_quick', 'x.1']) expect(safeId.safeParse(id).success).toBe(true);
  });
  it('refuses anything that is not one plain folder name', () => {
    for (const id of ['.', '..', '.hidden', 'a/b', 'a\\b', '/abs', 'x\0', '', 'é', 'x'.repeat(129)]) expect(safeId.safeParse(id).success).toBe(false);
  });
});
