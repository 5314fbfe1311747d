import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDoc, performStep, type EditStep } from '../../shared/annotation/editor';
import type { EditOp } from '../../shared/annotation/ops';
import { decodeIndexPng } from './label-png';
import { LabelStore, readEditLog, type StartInfo } from './store';

const fresh = () => mkdtempSync(path.join(tmpdir(), 'labels-'));
const W = 32;
const H = 16;
const startRaster = () => {
  const data = new Uint8Array(W * H);
  for (let i = 0; i < data.length; i++) data[i] = (i % W) < W / 2 ? 0 : 8; // road | vegetation
  return { width: W, height: H, data };
};
const initial = async () => ({ raster: startRaster(), start: { source: 'layer', label: 'test layer' } as StartInfo });
const brush = (y: number, classId: number): EditStep => ({ kind: 'edit', op: { tool: 'brush', points: [[2, y + 0.5], [12, y + 0.5]], size: 3, classId } });
const fill: EditOp = { tool: 'fill', x: 30, y: 1, classId: 13 };

describe('LabelStore', () => {
  it('saves within the debounce, restores labels, touched mask and undo history on reopen', async () => {
    const root = fresh();
    const store = new LabelStore(root, { debounceMs: 50, who: 'tester' });
    const img = await store.get('target', 'city/a.png', initial);
    await img.step(brush(4, 11), 0);
    await img.step({ kind: 'edit', op: fill }, 1);
    await img.step({ kind: 'undo' }, 2);
    // Debounced 50 ms; the PNG encodes may take a while on a loaded 2-core machine, so poll.
    for (let t = 0; img.dirty && t < 100; t++) await new Promise((r) => setTimeout(r, 30));
    expect(img.dirty).toBe(false);
    const dir = store.folder('target', 'city/a.png');
    expect(path.basename(dir)).toBe('city%2Fa.png');
    const labels = await decodeIndexPng(readFileSync(path.join(dir, 'labels.png')), 'labels.png');
    expect([...labels.data]).toEqual([...img.doc.layers.labels]);
    expect(labels.data[4 * W + 10]).toBe(11);
    expect(labels.data[1 * W + 30]).toBe(8); // the fill was undone
    const touched = await decodeIndexPng(readFileSync(path.join(dir, 'touched.png')), 'touched.png');
    expect(touched.data[4 * W + 10]).toBe(255);
    expect(touched.data[0]).toBe(0);

    const log = (await readEditLog(dir)).lines;
    expect(log.map((l) => [l.kind, l.seq, l.tool ?? null])).toEqual([
      ['start', 0, null],
      ['edit', 1, 'brush'],
      ['edit', 2, 'fill'],
      ['undo', 3, null],
    ]);
    expect(log[1].who).toBe('tester');
    expect(log[1].pixels).toBe(38); // rows 3 and 5: x 1..12; row 4: x 0..13 (round caps)
    expect(log[2].pixels).toBe((W * H) / 2); // the whole vegetation half (the brush stayed left of it)

    // a second process (a new store) sees the same state and can redo the fill
    const again = await new LabelStore(root).get('target', 'city/a.png', () => Promise.reject(new Error('must not start over')));
    expect(again.seq).toBe(3);
    expect([...again.doc.layers.labels]).toEqual([...img.doc.layers.labels]);
    expect(again.doc.history.redo).toHaveLength(1);
    await again.step({ kind: 'redo' }, 3);
    expect(again.doc.layers.labels[1 * W + 30]).toBe(13);
    await again.close();
  });

  it('rejects a step based on a stale sequence number', async () => {
    const img = await new LabelStore(fresh(), { debounceMs: 10 }).get('d', 'i', initial);
    await img.step(brush(3, 1), 0);
    await expect(img.step(brush(5, 2), 0)).rejects.toThrow(/step 0.*step 1/);
    await img.close();
  });

  it('replays the log over the snapshot when the snapshot lags, and from base.png when it is torn', async () => {
    const root = fresh();
    const store = new LabelStore(root, { debounceMs: 60_000 });
    const img = await store.get('d', 'i', initial);
    const steps: EditStep[] = [brush(2, 1), brush(6, 2), { kind: 'edit', op: fill }, { kind: 'undo' }, brush(10, 5)];
    for (const s of steps) await img.step(s);
    // No snapshot since creation: only the log has the steps (as after a kill).
    let expected = createDoc(startRaster());
    for (const s of steps) expected = performStep(expected, s).doc;
    const lagging = await new LabelStore(root).get('d', 'i', () => Promise.reject(new Error('no')));
    expect(lagging.seq).toBe(5);
    expect([...lagging.doc.layers.labels]).toEqual([...expected.layers.labels]);
    expect([...lagging.doc.layers.touched]).toEqual([...expected.layers.touched]);
    expect(lagging.doc.history.undo.map((e) => e.seq)).toEqual([1, 2, 5]);

    // A snapshot torn between its files (labels.png newer than state.json) is detected by its hash.
    const dir = store.folder('d', 'i');
    writeFileSync(path.join(dir, 'labels.png'), readFileSync(path.join(dir, 'base.png')));
    writeFileSync(path.join(dir, 'state.json'), readFileSync(path.join(dir, 'state.json'), 'utf8').replace(/"seq": \d+/, '"seq": 2'));
    const rebuilt = await new LabelStore(root).get('d', 'i', () => Promise.reject(new Error('no')));
    expect([...rebuilt.doc.layers.labels]).toEqual([...expected.layers.labels]);
    expect(rebuilt.seq).toBe(5);
    await img.close();
  });

  it('reset starts a new generation from another layer; list reports touched pixels', async () => {
    const root = fresh();
    const store = new LabelStore(root, { debounceMs: 10 });
    const img = await store.get('d', 'i', initial);
    await img.step(brush(4, 3));
    const fresh2 = await store.reset('d', 'i', { width: W, height: H, data: new Uint8Array(W * H).fill(250) }, { source: 'import', label: 'x.png' });
    expect(fresh2.seq).toBe(0);
    expect(fresh2.generation).toBe(1);
    await fresh2.step(brush(8, 7));
    const summary = await store.list('d');
    expect(summary).toHaveLength(1);
    expect(summary[0].imageId).toBe('i');
    expect(summary[0].touchedPixels).toBe(38);
    const reopened = await new LabelStore(root).get('d', 'i', () => Promise.reject(new Error('no')));
    expect(reopened.generation).toBe(1);
    expect(reopened.doc.layers.base[0]).toBe(250);
    expect(reopened.doc.layers.labels[8 * W + 10]).toBe(7);
    await store.closeAll();
  });
});

describe('LabelStore memory', () => {
  it('keeps only the most recently used images open, flushing the ones it closes', async () => {
    const root = fresh();
    const store = new LabelStore(root, { debounceMs: 60_000, maxOpen: 2 });
    const a = await store.get('d', 'a', initial);
    await a.step(brush(2, 4));
    await store.get('d', 'b', initial);
    await store.get('d', 'a', initial); // a is now the most recent
    await store.get('d', 'c', initial); // b goes
    expect(store.openCount).toBe(2);
    await store.get('d', 'd', initial); // a goes, flushed on close
    await a.idle();
    expect(a.closed).toBe(true);
    expect(a.dirty).toBe(false);
    await expect(a.step(brush(5, 4))).rejects.toThrow(/closed/);
    const again = await store.get('d', 'a', () => Promise.reject(new Error('must restore')));
    expect(again).not.toBe(a);
    expect(again.seq).toBe(1);
    await store.closeAll();
  });
});

describe('edit log', () => {
  it('a torn last line (kill mid-append) is skipped and does not swallow the next step', async () => {
    const root = fresh();
    const store = new LabelStore(root, { debounceMs: 60_000 });
    const img = await store.get('d', 'i', initial);
    await img.step(brush(2, 4));
    const dir = store.folder('d', 'i');
    const { appendFileSync } = await import('node:fs');
    appendFileSync(path.join(dir, 'edits.jsonl'), '{"gen":0,"seq":2,"at":"x","who":"y","kind":"ed'); // torn
    const reopened = await new LabelStore(root, { debounceMs: 60_000 }).get('d', 'i', () => Promise.reject(new Error('no')));
    expect(reopened.seq).toBe(1);
    await reopened.step(brush(6, 5));
    const third = await new LabelStore(root).get('d', 'i', () => Promise.reject(new Error('no')));
    expect(third.seq).toBe(2);
    expect(third.doc.layers.labels[6 * W + 5]).toBe(5);
  });
});
