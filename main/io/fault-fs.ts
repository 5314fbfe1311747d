// A file layer for tests that behaves like a disk filling up: each write(2) takes at most `chunk` bytes
// (short writes), and once `budget` bytes are spent every write fails with ENOSPC.
import { promises as fsp } from 'node:fs';
import { injectOpenForWrite, type OpenForWrite } from './atomic';

export interface FaultBudget {
  /** Bytes the "disk" still takes; Infinity for no limit. */
  bytes: number;
  /** Largest single write accepted. */
  chunk: number;
}

export const faultyOpen =
  (budget: FaultBudget): OpenForWrite =>
  async (file, flags) => {
    const h = await fsp.open(file, flags);
    return {
      write: async (buf, off, len, pos) => {
        const n = Math.min(len, budget.chunk, budget.bytes);
        if (n <= 0) throw Object.assign(new Error(`ENOSPC: no space left on device, write '${file}'`), { code: 'ENOSPC' });
        budget.bytes -= n;
        return h.write(buf, off, n, pos);
      },
      sync: () => h.sync(),
      truncate: (len) => h.truncate(len),
      stat: () => h.stat(),
      read: (buf, off, len, pos) => h.read(buf, off, len, pos),
      close: () => h.close(),
    };
  };

/** Runs `f` with every atomic write going through the faulty layer. */
export async function withFaultyDisk<T>(budget: FaultBudget, f: () => Promise<T>): Promise<T> {
  const restore = injectOpenForWrite(faultyOpen(budget));
  try {
    return await f();
  } finally {
    restore();
  }
}
