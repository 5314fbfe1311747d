import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { classSets } from '../../shared/classes';
import { correctionUses, loadCorrections, mergeCorrection } from './corrections';
import { decodeLabelPng, encodeLabelPng } from './formats';
import { LabelStore } from './store';

const W = 8;
const H = 4;
const startLayer = async () => ({ raster: { width: W, height: H, data: new Uint8Array(W * H).fill(2) }, start: { source: 'layer' as const, label: 'pred' } });

describe('loadCorrections', () => {
  it('returns touched images with labels and mask, including steps not yet snapshotted', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'corr-'));
    const store = new LabelStore(root, { debounceMs: 60_000 });
    const a = await store.get('tgt', 'a.png', startLayer);
    await a.step({ kind: 'edit', op: { tool: 'brush', points: [[0.5, 0.5], [2.5, 0.5]], size: 1, classId: 13 } });
    await a.step({ kind: 'edit', op: { tool: 'ignore', points: [[7.5, 3.5]], size: 1 } });
    await store.get('tgt', 'untouched.png', startLayer);
    const map = await loadCorrections(root, 'tgt');
    expect([...map.keys()]).toEqual(['a.png']);
    const c = map.get('a.png')!;
    expect(c.touchedPixels).toBe(4);
    expect([...c.labels.subarray(0, 4)]).toEqual([13, 13, 13, 2]);
    expect(c.labels[W * H - 1]).toBe(250);
    const uses = correctionUses(map);
    expect(uses[0]).toMatchObject({ imageId: 'a.png', touchedPixels: 4, seq: 2, generation: 0 });
    expect(uses[0].sha256).toMatch(/^[0-9a-f]{64}$/);
    await store.closeAll();
  });
});

describe('mergeCorrection', () => {
  it('uses the correction on touched pixels with the weight, the pseudo-label elsewhere', () => {
    const c = {
      width: 4, height: 1, labels: Uint8Array.from([5, 250, 7, 7]), touched: Uint8Array.from([1, 1, 0, 0]),
      touchedPixels: 2, seq: 1, generation: 0, updatedAt: '',
    };
    const m = mergeCorrection({ width: 4, height: 1, data: Uint8Array.from([1, 1, 250, 3]) }, c, { weight: 4 });
    expect([...m.labels]).toEqual([5, 250, 250, 3]);
    expect([...m.weights]).toEqual([4, 0, 0, 1]);
    // at half resolution each training pixel samples the correction at floor(2x)
    const half = mergeCorrection({ width: 2, height: 1, data: Uint8Array.from([9, 9]) }, c);
    expect([...half.labels]).toEqual([5, 9]);
    expect([...half.weights]).toEqual([1, 1]);
  });
});

describe('label PNG formats', () => {
  it('round-trips trainId, labelId and colour; refuses values outside the class set', async () => {
    const set = classSets['19'];
    const r = { width: 3, height: 2, data: Uint8Array.from([0, 1, 13, 18, 250, 10]) };
    for (const f of ['trainId', 'labelId', 'color'] as const) {
      const back = await decodeLabelPng(await encodeLabelPng(r, f, set), f, set, `x.${f}.png`);
      expect([...back.data]).toEqual([...r.data]);
    }
    const labelIds = await decodeLabelPng(await encodeLabelPng(r, 'labelId', set), 'trainId', set, 'x').catch((e: Error) => e.message);
    expect(labelIds).toMatch(/value 26, not a train id/);
    // sanity: the colour export really is the palette
    const rgb = await encodeLabelPng({ width: 1, height: 1, data: Uint8Array.from([13]) }, 'color', set);
    const sharp = (await import('sharp')).default;
    const { data } = await sharp(rgb).raw().toBuffer({ resolveWithObject: true });
    expect([...data.subarray(0, 3)]).toEqual([0, 0, 142]);
  });
});
