// Every file the workbench writes goes through here: write a temp file beside the target, fsync it,
// rename it over the target, fsync the directory. A killed process leaves either the old file or the
// new one, never a torn one. A write that fails (ENOSPC, EIO) removes its temp file before it throws;
// temp files of killed processes are removed by the next write into the same folder.
//
// A write(2) may write fewer bytes than asked (a disk filling up does exactly that before ENOSPC), so
// every write loops until the last byte is down or fails.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

const TMP_MARK = '.tmp-';

export const isTempFile = (name: string): boolean => path.basename(name).includes(TMP_MARK);

/** The part of a file handle this module uses; tests swap in one that writes short or fails. */
export interface WriteHandle {
  write(buffer: Uint8Array, offset: number, length: number, position: number | null): Promise<{ bytesWritten: number }>;
  sync(): Promise<void>;
  truncate(len: number): Promise<void>;
  stat(): Promise<{ size: number }>;
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  close(): Promise<void>;
}

export type OpenForWrite = (file: string, flags: 'w' | 'a+') => Promise<WriteHandle>;

const realOpen: OpenForWrite = (file, flags) => fsp.open(file, flags);
let openForWrite: OpenForWrite = realOpen;

/** Fault injection: every write of this module opens files through `open` until the returned function is called. */
export function injectOpenForWrite(open: OpenForWrite): () => void {
  openForWrite = open;
  return () => {
    openForWrite = realOpen;
  };
}

/** Writes all of `data` (at `position`, or at the end for an append handle); a write that makes no progress is ENOSPC. */
async function writeAll(handle: WriteHandle, data: Uint8Array, position: number | null): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await handle.write(data, done, data.length - done, position === null ? null : position + done);
    if (bytesWritten <= 0) throw Object.assign(new Error(`ENOSPC: no space left on device, wrote ${done} of ${data.length} bytes`), { code: 'ENOSPC' });
    done += bytesWritten;
  }
}

const toBytes = (data: string | Uint8Array): Uint8Array => (typeof data === 'string' ? Buffer.from(data, 'utf8') : data);

export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  const dir = path.dirname(target);
  await fsp.mkdir(dir, { recursive: true });
  await removeStaleTemps(dir);
  const tmp = path.join(dir, `${path.basename(target)}${TMP_MARK}${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const handle = await openForWrite(tmp, 'w');
    try {
      await writeAll(handle, toBytes(data), 0);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fsp.rename(tmp, target);
  } catch (err) {
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
  await syncDir(dir);
}

export const writeJsonAtomic = (target: string, value: unknown): Promise<void> =>
  writeFileAtomic(target, `${JSON.stringify(value, null, 2)}\n`);

async function syncDir(dir: string): Promise<void> {
  // Directory fsync makes the rename itself durable; not every platform allows opening a directory.
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(dir, 'r');
    await handle.sync();
  } catch {
    /* best effort: Windows cannot open directories */
  } finally {
    await handle?.close();
  }
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

// Each folder is swept once per process: enough to collect what a killed writer left, without a
// directory listing on every write.
const swept = new Set<string>();

/** Removes temp files whose writing process no longer exists (a live writer's temp is never touched). */
async function removeStaleTemps(dir: string): Promise<void> {
  if (swept.has(dir)) return;
  swept.add(dir);
  const names = await fsp.readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const m = new RegExp(`${TMP_MARK.replace('.', '\\.')}(\\d+)-[0-9a-f]{8}$`).exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid !== process.pid && !isAlive(pid)) await fsp.rm(path.join(dir, name), { force: true }).catch(() => undefined);
  }
}

/**
 * Appends one line durably (logs, metrics.jsonl, the labels edit log). Either the whole line is on disk
 * when this resolves, or it throws and the file is cut back to where it was: a failed append never
 * leaves a partial line for the next one to glue onto. A file that ends in a torn line (a kill during an
 * earlier append) first gets its newline, so the torn line stays one unreadable line on its own.
 */
export async function appendLine(target: string, line: string): Promise<void> {
  await fsp.mkdir(path.dirname(target), { recursive: true });
  const handle = await openForWrite(target, 'a+');
  try {
    const { size } = await handle.stat();
    let prefix = '';
    if (size > 0) {
      const last = new Uint8Array(1);
      await handle.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) prefix = '\n';
    }
    const text = `${prefix}${line}${line.endsWith('\n') ? '' : '\n'}`;
    try {
      await writeAll(handle, Buffer.from(text, 'utf8'), null);
      await handle.sync();
    } catch (err) {
      await handle.truncate(size).catch(() => undefined);
      await handle.sync().catch(() => undefined);
      throw err;
    }
  } finally {
    await handle.close();
  }
}
