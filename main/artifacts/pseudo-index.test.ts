import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inFolder, PSEUDO_INDEX, pseudoFiles } from './layout';
import { PSEUDO_INDEX_VERSION, readPseudoIndex, readPseudoIndexIfAny, writePseudoIndex } from './pseudo-index';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'pseudo-index-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const runFolder = (name: string, index?: unknown): string => {
  const dir = path.join(tmp, name);
  mkdirSync(path.join(dir, 'artifacts'), { recursive: true });
  if (index !== undefined) writeFileSync(path.join(dir, PSEUDO_INDEX), typeof index === 'string' ? index : JSON.stringify(index));
  return dir;
};

describe('pseudo.json', () => {
  it('is written with its schemaVersion and read back', async () => {
    const dir = runFolder('new');
    const files = pseudoFiles('aachen/aachen_000000_000019_leftImg8bit.png');
    expect(files.soft).toBe(path.join('artifacts', 'soft', 'aachen__aachen_000000_000019_leftImg8bit.npy'));
    await writePseudoIndex(dir, { mode: 'soft', ids: ['a.png'], files: { 'a.png': { soft: files.soft } }, softShape: [19, 4, 8] });
    expect(JSON.parse(readFileSync(path.join(dir, PSEUDO_INDEX), 'utf8')).schemaVersion).toBe(PSEUDO_INDEX_VERSION);
    const idx = await readPseudoIndex(dir, 'soft', 'stage 1');
    expect(idx.files['a.png'].soft).toBe(files.soft);
    expect(inFolder(dir, idx.files['a.png'].soft!)).toBe(path.join(dir, files.soft));
    await expect(readPseudoIndex(dir, 'hard', 'distillation')).rejects.toThrow(/pseudo-label run is 'soft', distillation needs hard labels/);
  });

  it('reads an index written before schemaVersion existed', async () => {
    const dir = runFolder('old', { mode: 'hard', ids: ['x.png'], files: { 'x.png': { label: 'artifacts/hard/x.png', conf: 'artifacts/hard/x_conf.npy' } } });
    const idx = await readPseudoIndexIfAny(dir);
    expect(idx).toMatchObject({ schemaVersion: 1, mode: 'hard', files: { 'x.png': { label: 'artifacts/hard/x.png' } } });
  });

  it('is absent, or refused naming the file when it is not an index', async () => {
    expect(await readPseudoIndexIfAny(runFolder('none'))).toBeNull();
    await expect(readPseudoIndex(runFolder('none2'), 'soft', 'stage 1')).rejects.toThrow(/pseudo\.json: missing/);
    const cases: [unknown, RegExp][] = [
      ['{"mode": "soft", ', /not valid JSON/],
      [[1], /not a pseudo-label index/],
      [{ schemaVersion: 2, mode: 'soft', ids: [], files: {} }, /schemaVersion 2 is newer than this app understands/],
      [{ mode: 'fuzzy', ids: [], files: {} }, /mode/],
      [{ mode: 'soft', ids: [], files: { a: { soft: '../../etc/passwd' } } }, /files\.a\.soft: not a relative path/],
      [{ mode: 'soft', ids: [], files: { a: { soft: '/etc/passwd' } } }, /files\.a\.soft: not a relative path/],
      [{ mode: 'soft', ids: [], files: {}, softShape: [19, 0, 4] }, /softShape/],
    ];
    for (const [i, [raw, re]] of cases.entries()) {
      const dir = runFolder(`bad-${i}`, raw);
      await expect(readPseudoIndexIfAny(dir)).rejects.toThrow(re);
      await expect(readPseudoIndexIfAny(dir)).rejects.toThrow(new RegExp(PSEUDO_INDEX.replace(/[./]/g, '\\$&')));
    }
  });

  it('resolves no path outside the run folder', () => {
    expect(() => inFolder(tmp, path.join('artifacts', '..', '..', 'x'))).toThrow(/not a single file or folder name/);
  });
});
