// Every file the workbench writes goes through here: write a temp file beside the target, fsync it,
// rename it over the target, fsync the directory. A killed process leaves either the old file or the
// new one, never a torn one; a leftover temp file is ignored by readers and cleaned on the next write.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

const TMP_MARK = '.tmp-';

export const isTempFile = (name: string): boolean => path.basename(name).includes(TMP_MARK);

export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  const dir = path.dirname(target);
  await fsp.mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `${path.basename(target)}${TMP_MARK}${process.pid}-${randomBytes(4).toString('hex')}`);
  const handle = await fsp.open(tmp, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fsp.rename(tmp, target);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
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

/** Appends one line durably (logs, metrics.jsonl). A torn last line is tolerated by readers. */
export async function appendLine(target: string, line: string): Promise<void> {
  await fsp.mkdir(path.dirname(target), { recursive: true });
  const handle = await fsp.open(target, 'a');
  try {
    await handle.write(line.endsWith('\n') ? line : `${line}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
