// Hostile probes of `proda dataset check`: a dataset that is empty, or broken beyond the listing cap, must
// never pass, and broken files are named in words a person can act on. The dataset folders are
// checksummed before and after: a check reads, it never writes.
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from './exit-codes';
import { runDatasetCommand } from './dataset-command';
import { checksumTree, lostFiles } from '../testing/hostile-kit';

let base: string;
beforeAll(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'proda-hostile-check-'));
});
afterAll(() => rm(base, { recursive: true, force: true }));

async function check(root: string, extra: string[] = []): Promise<{ code: number; out: string }> {
  let out = '';
  const before = await checksumTree(root);
  const code = await runDatasetCommand(['check', root, '--format', 'folder', ...extra], { out: (s) => (out += s), err: (s) => (out += s), isTTY: false });
  expect(lostFiles(before, await checksumTree(root))).toEqual([]);
  return { code, out };
}

async function folder(name: string): Promise<string> {
  const root = path.join(base, name);
  await mkdir(path.join(root, 'images'), { recursive: true });
  await mkdir(path.join(root, 'masks'), { recursive: true });
  await writeFile(path.join(root, 'classes.txt'), 'road\n');
  return root;
}

describe('dataset check on an empty or broken dataset', () => {
  it('no images: fails', async () => {
    const r = await check(await folder('empty'));
    expect(r.code).toBe(EXIT.invalid);
    expect(r.out).toMatch(/no-images/);
  });
  it('no images with --max-problems 0: still fails', async () => {
    const r = await check(path.join(base, 'empty'), ['--max-problems', '0']);
    expect(r.code).toBe(EXIT.invalid);
    expect(r.out).toMatch(/FAILED/);
    expect(r.out).toMatch(/not listed/);
  });
  it('only links leading outside the folder: fails, the links skipped by name', async () => {
    const root = await folder('links-only');
    await writeFile(path.join(base, 'passwd'), 'root:x:0:0\n');
    await symlink(path.join(base, 'passwd'), path.join(root, 'images', 'a.png'));
    const r = await check(root);
    expect(r.code).toBe(EXIT.invalid);
    expect(r.out).toContain(`${path.join(root, 'images', 'a.png')}: symbolic link`);
    expect(r.out).not.toContain('root:x');
  });
  it('one empty image file: fails, named as an empty file', async () => {
    const root = await folder('empty-file');
    await writeFile(path.join(root, 'images', 'a.png'), '');
    const r = await check(root);
    expect(r.code).toBe(EXIT.invalid);
    expect(r.out).toMatch(/a\.png: the file is empty \(0 bytes\)/);
    expect(r.out).not.toMatch(/Input Bit Array/);
  });
});
