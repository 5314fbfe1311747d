// Editor actions in the reducer style: document in, document out plus an undo intent. The pixel
// buffers are updated in place (copying a 2 MiB raster per stroke is exactly what diff history is
// there to avoid); everything else in the document is a new value, and `version` changes on every
// edit so views know to redraw.
import { applyDiff, diffPixelCount, type RasterDiff } from './diff';
import { emptyHistory, popRedo, popUndo, pushEntry, type History, type HistoryBudget } from './history';
import { computeEdit, type EditOp } from './ops';
import { createLayers, type EditLayers, type LabelRaster } from './raster';

export interface EditorDoc {
  readonly layers: EditLayers;
  readonly history: History;
  /** Sequence number of the last edit, undo or redo applied; main and renderer compare it to stay in step. */
  readonly seq: number;
}

export type CaptureUpdate = 'immediately' | 'never';

export interface ActionResult {
  readonly doc: EditorDoc;
  /** The pixels that changed and how, for redraw and for sending on; null when nothing changed. */
  readonly diff: RasterDiff | null;
  readonly direction: 'forward' | 'backward';
  /** 'immediately': the step went into (or came out of) history; 'never': nothing to record. */
  readonly captureUpdate: CaptureUpdate;
}

export function createDoc(base: LabelRaster, budget?: HistoryBudget): EditorDoc {
  return { layers: createLayers(base), history: emptyHistory(budget), seq: 0 };
}

const unchanged = (doc: EditorDoc): ActionResult => ({ doc, diff: null, direction: 'forward', captureUpdate: 'never' });

export function performEdit(doc: EditorDoc, op: EditOp): ActionResult {
  const diff = computeEdit(doc.layers, op);
  if (diffPixelCount(diff) === 0) return unchanged(doc);
  applyDiff(doc.layers, diff, 'forward');
  const seq = doc.seq + 1;
  return { doc: { ...doc, seq, history: pushEntry(doc.history, { seq, op, diff }) }, diff, direction: 'forward', captureUpdate: 'immediately' };
}

export function performUndo(doc: EditorDoc): ActionResult {
  const popped = popUndo(doc.history);
  if (!popped) return unchanged(doc);
  applyDiff(doc.layers, popped.entry.diff, 'backward');
  return { doc: { ...doc, seq: doc.seq + 1, history: popped.history }, diff: popped.entry.diff, direction: 'backward', captureUpdate: 'immediately' };
}

export function performRedo(doc: EditorDoc): ActionResult {
  const popped = popRedo(doc.history);
  if (!popped) return unchanged(doc);
  applyDiff(doc.layers, popped.entry.diff, 'forward');
  return { doc: { ...doc, seq: doc.seq + 1, history: popped.history }, diff: popped.entry.diff, direction: 'forward', captureUpdate: 'immediately' };
}

/** One step of the edit log: what main records and what replay after a crash feeds back in. */
export type EditStep = { kind: 'edit'; op: EditOp } | { kind: 'undo' } | { kind: 'redo' };

export function performStep(doc: EditorDoc, step: EditStep): ActionResult {
  switch (step.kind) {
    case 'edit':
      return performEdit(doc, step.op);
    case 'undo':
      return performUndo(doc);
    case 'redo':
      return performRedo(doc);
  }
}
