import { describe, expect, it } from 'vitest';
import { encodeDiff, diffPixelCount } from '../../../../shared/annotation/diff';
import { createDoc, performStep, type EditorDoc, type EditStep } from '../../../../shared/annotation/editor';
import { describeOp } from '../../../../shared/annotation/ops';
import { countTouched } from '../../../../shared/annotation/raster';
import { AppError, type ContractClient } from '../../../../shared/contract/index';
import { ALPHA_TOUCHED, ALPHA_UNTOUCHED, boundsOf, paintLabels } from './label-colors';
import { AnnotationSession } from './session';
import { initialToolState, keyAction, reduceTool, stepSize, strokeOp } from './tools';

// An in-memory stand-in for main's labels service, running the same shared/annotation code.
function fakeMain(w: number, h: number) {
  let doc: EditorDoc = createDoc({ width: w, height: h, data: new Uint8Array(w * h).fill(250) });
  const calls: string[] = [];
  const history = () => ({
    undo: doc.history.undo.map((e) => ({ seq: e.seq, summary: describeOp(e.op) })),
    redo: doc.history.redo.map((e) => ({ seq: e.seq, summary: describeOp(e.op) })),
    bytes: doc.history.bytes,
    dropped: doc.history.dropped,
  });
  const state = () => ({
    datasetId: 'd', imageId: 'i', width: w, height: h,
    labels: doc.layers.labels.slice(), touched: doc.layers.touched.slice(), base: doc.layers.base.slice(),
    seq: doc.seq, generation: 0, start: { source: 'empty' as const, label: '' }, touchedPixels: countTouched(doc.layers.touched), history: history(),
  });
  const step = (req: { seq: number }, s: EditStep, withDiff: boolean) => {
    if (req.seq !== doc.seq) throw new AppError('conflict', `stale step ${req.seq}, stored ${doc.seq}; reload`);
    const r = performStep(doc, s);
    doc = r.doc;
    return { seq: doc.seq, pixels: r.diff ? diffPixelCount(r.diff) : 0, touchedPixels: countTouched(doc.layers.touched), diff: withDiff && r.diff ? encodeDiff(r.diff) : null, direction: r.direction, history: history() };
  };
  const handlers: Record<string, (req: never) => unknown> = {
    'labels.get': () => state(),
    'labels.applyEdit': (req: { seq: number; op: never }) => step(req, { kind: 'edit', op: req.op }, false),
    'labels.undo': (req: { seq: number }) => step(req, { kind: 'undo' }, true),
    'labels.redo': (req: { seq: number }) => step(req, { kind: 'redo' }, true),
  };
  const client = {
    call: async (name: string, req: never) => {
      calls.push(name);
      await new Promise((r) => setTimeout(r, 1));
      return handlers[name](req);
    },
    subscribe: () => () => undefined,
  } as unknown as ContractClient;
  return { client, calls, doc: () => doc, bump: () => (doc = performStep(doc, { kind: 'edit', op: { tool: 'fill', x: 0, y: 0, classId: 5 } }).doc) };
}

describe('AnnotationSession', () => {
  it('applies edits locally at once, confirms them in order, and undoes/redoes through main', async () => {
    const main = fakeMain(6, 4);
    const s = new AnnotationSession(main.client, 'd', 'i');
    await s.load();
    const changes: (number | null)[] = [];
    s.onPixels((c) => changes.push(c ? c.length : null));
    expect(s.apply({ tool: 'brush', points: [[0, 0.5], [5.9, 0.5]], size: 1, classId: 1 })).toBe(6);
    expect(s.apply({ tool: 'fill', x: 3, y: 3, classId: 2 })).toBe(18);
    // visible before main answered
    expect(s.getLayers()!.labels[23]).toBe(2);
    expect(s.getSnapshot().pending).toBe(2);
    await s.idle();
    expect(s.getSnapshot()).toMatchObject({ seq: 2, pending: 0, touchedPixels: 24 });
    await s.undo();
    expect(s.getLayers()!.labels[23]).toBe(250);
    expect([...s.getLayers()!.labels]).toEqual([...main.doc().layers.labels]);
    await s.redo();
    expect(s.getLayers()!.labels[23]).toBe(2);
    expect(changes).toEqual([6, 18, 18, 18]);
    expect(main.calls).toEqual(['labels.get', 'labels.applyEdit', 'labels.applyEdit', 'labels.undo', 'labels.redo']);
  });

  it('a refused step reloads main state and drops the steps queued behind it', async () => {
    const main = fakeMain(4, 2);
    const s = new AnnotationSession(main.client, 'd', 'i');
    await s.load();
    main.bump(); // someone else changed the image: our next step is stale
    s.apply({ tool: 'brush', points: [[0.5, 0.5]], size: 1, classId: 1 });
    s.apply({ tool: 'brush', points: [[1.5, 0.5]], size: 1, classId: 1 });
    await s.idle();
    expect(s.getSnapshot().error).toMatch(/stale/);
    expect([...s.getLayers()!.labels]).toEqual([...main.doc().layers.labels]);
    expect(main.calls.filter((c) => c === 'labels.applyEdit')).toHaveLength(1);
  });
});

describe('tools', () => {
  it('maps keys to actions', () => {
    const k = (key: string, mods: Partial<{ ctrlKey: boolean; shiftKey: boolean; metaKey: boolean; altKey: boolean }> = {}) =>
      keyAction({ key, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...mods });
    expect(k('z', { ctrlKey: true })).toEqual({ type: 'undo' });
    expect(k('Z', { ctrlKey: true, shiftKey: true })).toEqual({ type: 'redo' });
    expect(k('y', { metaKey: true })).toEqual({ type: 'redo' });
    expect(k('[')).toEqual({ type: 'size', step: -1 });
    expect(k(']')).toEqual({ type: 'size', step: 1 });
    expect(k('g')).toEqual({ type: 'tool', tool: 'fill' });
    expect(k('b', { ctrlKey: true })).toBeNull();
    expect(k('1')).toEqual({ type: 'class', classId: 0 });
    expect(k('0')).toEqual({ type: 'class', classId: 9 });
    expect(keyAction({ key: '!', code: 'Digit1', ctrlKey: false, metaKey: false, shiftKey: true, altKey: false })).toEqual({ type: 'class', classId: 10 });
    expect(k('1', { ctrlKey: true })).toBeNull();
  });

  it('steps sizes and builds stroke ops', () => {
    expect(stepSize(8, 1)).toBe(12);
    expect(stepSize(8, -1)).toBe(6);
    expect(stepSize(1, -1)).toBe(1);
    expect(stepSize(5, 1)).toBe(6);
    const s = reduceTool(reduceTool(initialToolState(), { type: 'tool', tool: 'replace' }), { type: 'class', classId: 12 });
    expect(strokeOp(s, [[1, 1]], 11)).toEqual({ tool: 'replace', points: [[1, 1]], size: 8, from: 11, to: 12 });
    expect(strokeOp(s, [[1, 1]], 12)).toBeNull();
    expect(strokeOp({ ...s, tool: 'ignore' }, [[1, 1]], 0)).toEqual({ tool: 'ignore', points: [[1, 1]], size: 8 });
  });
});

describe('label colours', () => {
  it('colours by class, stronger when touched, clear for untouched ignore', () => {
    const layers = { width: 3, height: 1, labels: Uint8Array.from([0, 13, 250]), touched: Uint8Array.from([0, 1, 0]), base: new Uint8Array(3) };
    const rgba = new Uint8ClampedArray(12).fill(9);
    paintLabels(rgba, layers, [[128, 64, 128], ...Array(12).fill([1, 1, 1]), [0, 0, 142]], null);
    expect([...rgba]).toEqual([128, 64, 128, ALPHA_UNTOUCHED, 0, 0, 142, ALPHA_TOUCHED, 9, 9, 9, 0]);
    expect(boundsOf(Uint32Array.from([7, 8, 13]), 5)).toEqual({ x: 2, y: 1, w: 2, h: 2 });
  });
});
