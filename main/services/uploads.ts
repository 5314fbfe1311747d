// Files sent from a browser for a server-side import (a checkpoint on the user's laptop, the workbench on
// a remote GPU box): streamed into <workspace>/uploads/<stamp>-<name> through a temporary file that is
// renamed only once every byte arrived, so an interrupted or oversized upload leaves nothing behind but
// what it started, which it removes.
import { randomBytes } from 'node:crypto';
import { createWriteStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { AppError } from '../../shared/contract/errors';

/** Large enough for a ResNet-101 checkpoint with optimiser state; anything bigger is refused. */
export const MAX_UPLOAD_BYTES = 4 * 1024 ** 3;

/** A file name reduced to one plain segment: letters, digits, . _ - (others become _), no leading dot. */
export function uploadName(raw: string): string {
  const base = raw.split(/[\\/]/).pop() ?? '';
  const clean = base.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '').slice(-100);
  if (!clean) throw new AppError('bad-input', `'${raw}' is not a usable file name`, { where: 'name' });
  return clean;
}

export async function receiveUpload(workspaceRoot: string, rawName: string, body: Readable, declaredBytes: number | null, maxBytes = MAX_UPLOAD_BYTES): Promise<{ path: string; bytes: number }> {
  if (declaredBytes !== null && declaredBytes > maxBytes) throw new AppError('bad-input', `upload of ${declaredBytes} bytes is over the ${maxBytes}-byte limit`, { where: 'body' });
  const dir = path.join(path.resolve(workspaceRoot), 'uploads');
  await fsp.mkdir(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const target = path.join(dir, `${stamp}-${randomBytes(3).toString('hex')}-${uploadName(rawName)}`);
  const partial = `${target}.partial`;
  let bytes = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      if (bytes > maxBytes) done(new AppError('bad-input', `upload is over the ${maxBytes}-byte limit`, { where: 'body' }));
      else done(null, chunk);
    },
  });
  try {
    // 'wx': never overwrite; the write stream reports short writes and ENOSPC as errors.
    await pipeline(body, limit, createWriteStream(partial, { flags: 'wx' }));
    if (declaredBytes !== null && bytes !== declaredBytes) throw new AppError('bad-input', `upload ended after ${bytes} of ${declaredBytes} bytes`, { where: 'body' });
    await fsp.rename(partial, target);
  } catch (err) {
    await fsp.rm(partial, { force: true });
    if (err instanceof AppError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC') throw new AppError('internal', `no space left for the upload in ${dir}`, { where: 'body' });
    throw new AppError('bad-input', `upload failed: ${(err as Error).message}`, { where: 'body' });
  }
  return { path: target, bytes };
}
