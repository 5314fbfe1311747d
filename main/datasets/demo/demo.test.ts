import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEMO_CLASSES, makeDemo, readDemoManifest, renderScene } from './index';
import { decodeLabel8, decodePng } from '../../io/png';

const sha = (...parts: Uint8Array[]): string => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

function filesHash(root: string): string {
  const h = createHash('sha256');
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, name.name);
      if (name.isDirectory()) walk(p);
      else h.update(path.relative(root, p)).update(readFileSync(p));
    }
  };
  walk(root);
  return h.digest('hex');
}

describe('demo generator', () => {
  it('is byte-for-byte reproducible from its seed and differs across seeds', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'demo-'));
    const a = await makeDemo({ out: path.join(tmp, 'a'), seed: 7, width: 64, height: 32, count: 3 });
    await makeDemo({ out: path.join(tmp, 'b'), seed: 7, width: 64, height: 32, count: 3 });
    await makeDemo({ out: path.join(tmp, 'c'), seed: 8, width: 64, height: 32, count: 3 });
    expect(a.written).toBe(true);
    expect(filesHash(path.join(tmp, 'a'))).toBe(filesHash(path.join(tmp, 'b')));
    expect(filesHash(path.join(tmp, 'a'))).not.toBe(filesHash(path.join(tmp, 'c')));
    const m = await readDemoManifest(path.join(tmp, 'a'));
    expect(m.splits['target-val'].count).toBe(2);
    expect(m.splits['target-train'].labels).toBe('eval-only');
    // Same options again: nothing rewritten; different options into the same folder: refused.
    expect((await makeDemo({ out: path.join(tmp, 'a'), seed: 7, width: 64, height: 32, count: 3 })).written).toBe(false);
    await expect(makeDemo({ out: path.join(tmp, 'a'), seed: 9, width: 64, height: 32, count: 3 })).rejects.toThrow(/holds a different demo/);
    const img = decodePng(readFileSync(path.join(tmp, 'a', 'source', 'images', '000001.png')), 'x');
    expect([img.width, img.height, img.channels]).toEqual([64, 32, 3]);
  });

  it('draws the same pixels as when this test was written (bump DEMO_GENERATOR when this changes)', () => {
    const s = renderScene(1, 'source', 0, 128, 64);
    const t = renderScene(1, 'target-val', 3, 128, 64);
    expect(sha(s.rgb, s.label, t.rgb, t.label)).toBe('8cc0a776b586ac23ad80171216aacf767b9d0252c87b2b66476460ff67c611de');
  });

  it('uses at least 10 classes with a realistic imbalance, and 250 for void', () => {
    const counts = new Map<number, number>();
    for (const split of ['source', 'target-train'] as const) {
      for (let i = 0; i < 12; i++) {
        for (const v of renderScene(3, split, i, 128, 64).label) counts.set(v, (counts.get(v) ?? 0) + 1);
      }
    }
    for (const k of counts.keys()) expect([...DEMO_CLASSES, 250]).toContain(k);
    const classes = [...counts.keys()].filter((k) => k !== 250);
    expect(classes.length).toBeGreaterThanOrEqual(10);
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    const share = (k: number): number => (counts.get(k) ?? 0) / total;
    expect(share(0)).toBeGreaterThan(0.2); // road dominates
    expect(share(2)).toBeGreaterThan(0.1); // buildings
    expect(share(5)).toBeLessThan(0.03); // poles are thin
    expect(share(250)).toBeGreaterThan(0.01); // ego hood and clutter
  });

  it('renders the two domains with measurably different colour statistics', () => {
    const stats = (split: 'source' | 'target-train') => {
      let sat = 0;
      let sum = 0;
      let sq = 0;
      let n = 0;
      for (let i = 0; i < 6; i++) {
        const { rgb } = renderScene(11, split, i, 128, 64);
        for (let p = 0; p < rgb.length; p += 3) {
          const mx = Math.max(rgb[p], rgb[p + 1], rgb[p + 2]);
          const mn = Math.min(rgb[p], rgb[p + 1], rgb[p + 2]);
          sat += mx ? (mx - mn) / mx : 0;
          sum += rgb[p];
          sq += rgb[p] * rgb[p];
          n++;
        }
      }
      return { sat: sat / n, mean: sum / n, std: Math.sqrt(sq / n - (sum / n) ** 2) };
    };
    const s = stats('source');
    const t = stats('target-train');
    expect(s.sat).toBeGreaterThan(t.sat * 1.5);
    expect(s.std).toBeGreaterThan(t.std * 1.2); // target contrast is compressed
    expect(s.mean).toBeGreaterThan(t.mean + 5); // and darker
  });

  it('stores labels as trainIds readable by the label decoder', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'demo-'));
    await makeDemo({ out: tmp, seed: 2, width: 48, height: 24, count: 1 });
    const lab = decodeLabel8(readFileSync(path.join(tmp, 'target-val', 'labels', '000000.png')), 'l');
    expect(Array.from(lab.data)).toEqual(Array.from(renderScene(2, 'target-val', 0, 48, 24).label));
  });
});
