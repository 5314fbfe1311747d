import { describe, expect, it } from 'vitest';
import { decodeDiff, diffBytes, encodeDiff } from './diff';
import { createDoc, performEdit, performRedo, performStep, performUndo, type EditStep } from './editor';
import type { EditOp } from './ops';
import { IGNORE } from './raster';

const raster = (w: number, h: number, fill = 0) => ({ width: w, height: h, data: new Uint8Array(w * h).fill(fill) });
const hline = (y: number, classId: number, w = 4): EditOp => ({ tool: 'brush', points: [[0, y + 0.5], [w - 0.6, y + 0.5]], size: 1, classId });

describe('undo / redo', () => {
  it('walks back and forth through exact states', () => {
    let doc = createDoc(raster(4, 3));
    const snap = () => [...doc.layers.labels].join('') + '|' + [...doc.layers.touched].join('');
    const states = [snap()];
    for (const op of [hline(0, 1), hline(1, 2), { tool: 'fill', x: 0, y: 0, classId: 3 } as EditOp]) {
      doc = performEdit(doc, op).doc;
      states.push(snap());
    }
    expect(states[3]).toBe('333322220000|111111110000');
    for (let i = 2; i >= 0; i--) {
      const r = performUndo(doc);
      expect(r.captureUpdate).toBe('immediately');
      doc = r.doc;
      expect(snap()).toBe(states[i]);
    }
    expect(performUndo(doc).captureUpdate).toBe('never');
    doc = performRedo(doc).doc;
    doc = performRedo(doc).doc;
    expect(snap()).toBe(states[2]);
    // a new edit drops what was left to redo
    doc = performEdit(doc, { tool: 'ignore', points: [[0.5, 2.5]], size: 1 }).doc;
    expect(doc.history.redo).toHaveLength(0);
    expect(performRedo(doc).captureUpdate).toBe('never');
    expect(doc.layers.labels[8]).toBe(IGNORE);
  });

  it('an edit that changes nothing is not a history step', () => {
    let doc = createDoc(raster(3, 3));
    doc = performEdit(doc, hline(0, 1, 3)).doc;
    const r = performEdit(doc, hline(0, 1, 3));
    expect(r.captureUpdate).toBe('never');
    expect(r.doc.history.undo).toHaveLength(1);
    expect(r.doc.seq).toBe(1);
  });

  it('replaying the logged steps reproduces the document', () => {
    const steps: EditStep[] = [
      { kind: 'edit', op: hline(0, 1) },
      { kind: 'edit', op: { tool: 'polygon', vertices: [[0, 0], [4, 0], [4, 3]], rule: 'evenodd', classId: 5 } },
      { kind: 'undo' },
      { kind: 'edit', op: { tool: 'replace', points: [[0, 0.5], [4, 0.5]], size: 1, from: 1, to: 7 } },
      { kind: 'undo' },
      { kind: 'redo' },
    ];
    let a = createDoc(raster(4, 3));
    let b = createDoc(raster(4, 3));
    for (const s of steps) a = performStep(a, s).doc;
    for (const s of steps) b = performStep(b, s).doc;
    expect([...a.layers.labels]).toEqual([...b.layers.labels]);
    expect([...a.layers.labels.subarray(0, 4)]).toEqual([7, 7, 7, 7]);
    expect(a.seq).toBe(6);
  });
});

describe('history memory', () => {
  it('keeps hundreds of strokes on a 2048×1024 raster in a small fraction of one copy each', () => {
    let doc = createDoc(raster(2048, 1024));
    for (let i = 0; i < 300; i++) {
      const y = 10 + (i % 100) * 10;
      doc = performEdit(doc, { tool: 'brush', points: [[100, y], [400, y + 5]], size: 12, classId: (i % 18) + 1 }).doc;
    }
    expect(doc.history.undo).toHaveLength(300);
    // 300 full copies would be 600 MiB; each stroke changes ~3,600 pixels
    expect(doc.history.bytes).toBeLessThan(300 * 12 * 1024);
    expect(doc.history.bytes / 300).toBeLessThan((2048 * 1024) / 100);
  });

  it('drops the oldest steps beyond the byte budget and the step limit', () => {
    let doc = createDoc(raster(64, 64), { maxBytes: 2000, maxSteps: 1000 });
    for (let i = 0; i < 20; i++) doc = performEdit(doc, hline(i, (i % 3) + 1, 64)).doc;
    expect(doc.history.bytes).toBeLessThanOrEqual(2000);
    expect(doc.history.undo.length).toBeLessThan(20);
    expect(doc.history.dropped + doc.history.undo.length).toBe(20);
    // the kept steps are the newest ones
    expect(doc.history.undo[doc.history.undo.length - 1].seq).toBe(20);

    let capped = createDoc(raster(8, 8), { maxBytes: 1e9, maxSteps: 3 });
    for (let i = 0; i < 5; i++) capped = performEdit(capped, hline(i, 1, 8)).doc;
    expect(capped.history.undo.map((e) => e.seq)).toEqual([3, 4, 5]);
  });

  it('diffs survive a round trip through bytes, and torn bytes are refused', () => {
    const doc = createDoc(raster(16, 16));
    const { diff } = performEdit(doc, { tool: 'brush', points: [[3, 3], [12, 9]], size: 3, classId: 4 });
    const bytes = encodeDiff(diff!);
    expect(bytes.length).toBe(24 + diffBytes(diff!));
    const back = decodeDiff(bytes).diff;
    expect([...back.runs]).toEqual([...diff!.runs]);
    expect([...back.after]).toEqual([...diff!.after]);
    expect([...back.touchedBefore]).toEqual([...diff!.touchedBefore]);
    expect(() => decodeDiff(bytes.subarray(0, bytes.length - 1))).toThrow(/truncated/);
  });
});

describe('resizeNearest', () => {
  it('samples floor(i·in/out) in both directions', async () => {
    const { resizeNearest } = await import('./raster');
    const r = { width: 2, height: 2, data: Uint8Array.from([1, 2, 3, 4]) };
    expect([...resizeNearest(r, 4, 2).data]).toEqual([1, 1, 2, 2, 3, 3, 4, 4]);
    expect([...resizeNearest(r, 1, 1).data]).toEqual([1]);
    expect(resizeNearest(r, 2, 2)).toBe(r);
  });
});
