// history.bin: the undo and redo stacks of one image, so reopening the image (or the app) can still
// undo the session's edits. Layout: "LHS1", u32 dropped, u32 undo count, u32 redo count, then per entry
// u32 seq, u32 op-JSON length, op JSON (UTF-8), one encoded diff.
import { decodeDiff, diffBytes, encodeDiff } from '../../shared/annotation/diff';
import type { History, HistoryBudget, HistoryEntry } from '../../shared/annotation/history';
import { editOpSchema } from '../../shared/annotation/ops';

const MAGIC = 0x3153484c;

export function encodeHistory(h: History): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  const head = new Uint8Array(16);
  const hv = new DataView(head.buffer);
  hv.setUint32(0, MAGIC, true);
  hv.setUint32(4, h.dropped, true);
  hv.setUint32(8, h.undo.length, true);
  hv.setUint32(12, h.redo.length, true);
  parts.push(head);
  for (const e of [...h.undo, ...h.redo]) {
    const op = enc.encode(JSON.stringify(e.op));
    const eh = new Uint8Array(8);
    const ev = new DataView(eh.buffer);
    ev.setUint32(0, e.seq, true);
    ev.setUint32(4, op.length, true);
    parts.push(eh, op, encodeDiff(e.diff));
  }
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function decodeHistory(buf: Uint8Array, budget: HistoryBudget): History {
  const dec = new TextDecoder();
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.length < 16 || view.getUint32(0, true) !== MAGIC) throw new RangeError('history: bad header');
  const dropped = view.getUint32(4, true);
  const nu = view.getUint32(8, true);
  const nr = view.getUint32(12, true);
  let o = 16;
  const entries: HistoryEntry[] = [];
  for (let i = 0; i < nu + nr; i++) {
    if (buf.length - o < 8) throw new RangeError('history: truncated');
    const seq = view.getUint32(o, true);
    const len = view.getUint32(o + 4, true);
    o += 8;
    const op = editOpSchema.parse(JSON.parse(dec.decode(buf.subarray(o, o + len))));
    o += len;
    const { diff, next } = decodeDiff(buf, o);
    o = next;
    entries.push({ seq, op, diff });
  }
  const undo = entries.slice(0, nu);
  const redo = entries.slice(nu);
  const bytes = entries.reduce((a, e) => a + diffBytes(e.diff) + 64, 0);
  return { undo, redo, bytes, budget, dropped };
}
