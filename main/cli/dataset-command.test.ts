import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodeIndexPng, encodeRgbPng } from '../io/png';
import { runDatasetCommand } from './dataset-command';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runDatasetCommand(argv, { out: (s) => (out += s), err: (s) => (err += s), isTTY: false });
  return { code, out, err };
}

async function folder(bad: boolean): Promise<string> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'cli-ds-'));
  mkdirSync(path.join(root, 'images'));
  mkdirSync(path.join(root, 'masks'));
  writeFileSync(path.join(root, 'classes.txt'), 'road\nsidewalk\ncar\n');
  const img = { width: 6, height: 4, data: Uint8Array.from({ length: 72 }, (_, i) => i * 3) };
  const mask = { width: 6, height: 4, data: Uint8Array.from({ length: 24 }, (_, i) => i % 3) };
  for (const n of ['a', 'b', 'c']) {
    writeFileSync(path.join(root, 'images', `${n}.png`), await encodeRgbPng(img));
    writeFileSync(path.join(root, 'masks', `${n}.png`), encodeIndexPng(mask));
  }
  if (bad) {
    writeFileSync(path.join(root, 'images', 'a.png'), Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]));
    writeFileSync(path.join(root, 'images', 'orphan.png'), await encodeRgbPng(img));
    writeFileSync(path.join(root, 'masks', 'c.png'), encodeIndexPng({ ...mask, data: mask.data.map((v, i) => (i === 0 ? 7 : v)) }));
  }
  return root;
}

describe('proda dataset check', () => {
  it('lists a corrupt PNG, a missing label and an unknown id by file and exits non-zero', async () => {
    const root = await folder(true);
    const r = await run(['check', root, '--format', 'folder']);
    expect(r.code).toBe(3);
    expect(r.out).toContain(`ERROR unreadable: ${path.join(root, 'images', 'a.png')}: `);
    expect(r.out).toContain(`ERROR unmatched-image: ${path.join(root, 'images', 'orphan.png')}: no mask`);
    expect(r.out).toContain(`ERROR unknown-label-id: ${path.join(root, 'masks', 'c.png')}: unknown id mask value 7 (1 px)`);
    expect(r.out).toMatch(/FAILED: 3 errors/);
    const j = await run(['check', root, '--format', 'folder', '--json']);
    expect(j.code).toBe(3);
    expect(JSON.parse(j.out).problems).toHaveLength(3);
  });

  it('prints the histogram table on a clean folder and exits 0', async () => {
    const root = await folder(false);
    const r = await run(['check', root, '--format', 'folder']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Class histogram/);
    expect(r.out).toMatch(/^0\s+road\s+24\s+33\.33$/m);
    expect(r.out).toMatch(/^13\s+car\s+24\s+33\.33$/m);
    expect(r.out).toMatch(/^OK$/m);
  });

  it('reports usage errors and missing folders with distinct exit codes', async () => {
    expect((await run(['check', '/x', '--format', 'nope'])).code).toBe(2);
    expect((await run(['frobnicate'])).code).toBe(2);
    const missing = await run(['check', '/nonexistent/ds', '--format', 'cityscapes']);
    expect(missing.code).toBe(3);
    expect(missing.out).toMatch(/missing-folder: \/nonexistent\/ds/);
  });
});

describe('proda dataset make-demo', () => {
  it('writes a demo that then checks clean, with per-domain colour statistics', async () => {
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'cli-demo-')), 'demo');
    const r = await run(['make-demo', '--out', out, '--seed', '3', '--width', '64', '--height', '32', '--count', '2']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/64×32, source 2, target-train 2, target-val 1, seed 3/);
    const c = await run(['check', out, '--format', 'demo']);
    expect(c.code).toBe(0);
    expect(c.out).toMatch(/Colour statistics per domain/);
    expect(c.out).toMatch(/^source\s+2\s/m);
    expect(c.out).toMatch(/^target-val\s+1\s/m);
    expect((await run(['make-demo', '--out', out])).code).toBe(2);
  });
});
