// Undo/redo as two stacks of diffs under a memory budget. Values are immutable: pushing returns a
// new history that shares the untouched entries, so it works as React state and as reducer output.
import { diffBytes, type RasterDiff } from './diff';
import type { EditOp } from './ops';

export interface HistoryEntry {
  /** Edit sequence number in the image's edit log. */
  readonly seq: number;
  readonly op: EditOp;
  readonly diff: RasterDiff;
}

export interface HistoryBudget {
  /** Bytes of diffs kept across both stacks; the oldest undo steps go first when exceeded. */
  readonly maxBytes: number;
  readonly maxSteps: number;
}

export const defaultBudget: HistoryBudget = { maxBytes: 64 * 1024 * 1024, maxSteps: 500 };

export interface History {
  /** Oldest first; the last entry is the next to undo. */
  readonly undo: readonly HistoryEntry[];
  /** The last entry is the next to redo. */
  readonly redo: readonly HistoryEntry[];
  readonly bytes: number;
  readonly budget: HistoryBudget;
  /** Steps dropped from the bottom to stay within the budget: they can no longer be undone. */
  readonly dropped: number;
}

export const emptyHistory = (budget: HistoryBudget = defaultBudget): History => ({ undo: [], redo: [], bytes: 0, budget, dropped: 0 });

const entryBytes = (e: HistoryEntry): number => diffBytes(e.diff) + 64;
const sumBytes = (es: readonly HistoryEntry[]): number => es.reduce((a, e) => a + entryBytes(e), 0);

/** Records a new edit: clears the redo stack and trims the oldest steps beyond the budget. */
export function pushEntry(h: History, entry: HistoryEntry): History {
  const undo = [...h.undo, entry];
  let bytes = sumBytes(undo);
  let drop = 0;
  // The newest step is always kept, even if alone it exceeds the budget.
  while (undo.length - drop > 1 && (bytes > h.budget.maxBytes || undo.length - drop > h.budget.maxSteps)) {
    bytes -= entryBytes(undo[drop]);
    drop++;
  }
  return { undo: undo.slice(drop), redo: [], bytes, budget: h.budget, dropped: h.dropped + drop };
}

/** Moves the newest undo entry to the redo stack; returns it, or null when there is nothing to undo. */
export function popUndo(h: History): { history: History; entry: HistoryEntry } | null {
  const entry = h.undo[h.undo.length - 1];
  if (!entry) return null;
  return { entry, history: { ...h, undo: h.undo.slice(0, -1), redo: [...h.redo, entry] } };
}

export function popRedo(h: History): { history: History; entry: HistoryEntry } | null {
  const entry = h.redo[h.redo.length - 1];
  if (!entry) return null;
  return { entry, history: { ...h, undo: [...h.undo, entry], redo: h.redo.slice(0, -1) } };
}
