// Reading a file named by a caller: only regular files (never /dev/zero, a FIFO or a socket, which
// would stream forever), and only up to a size the caller can justify. The size is taken from the open
// handle, so a file swapped after a check cannot slip past it.
import { promises as fsp } from 'node:fs';
import { AppError } from '../../shared/contract/errors';

/** Reads `length` bytes at `position` of an open regular file of known size. */
export type RangeReader = (position: number, length: number) => Promise<Uint8Array>;

/** Opens `file` as a regular file of at most `maxBytes` and hands `use` a reader of byte ranges within it. */
export async function withRegularFile<T>(file: string, maxBytes: number, what: string, use: (read: RangeReader, size: number) => Promise<T>): Promise<T> {
  const handle = await fsp.open(file, 'r');
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new AppError('bad-input', `${file}: not a regular file (a device, pipe or folder cannot be a ${what})`, { where: file });
    if (st.size > maxBytes) {
      throw new AppError('bad-input', `${file}: ${(st.size / 2 ** 20).toFixed(1)} MB is larger than any ${what} this workbench reads (${maxBytes / 2 ** 20} MB)`, { where: file });
    }
    const read: RangeReader = async (position, length) => {
      if (position < 0 || length < 0 || position + length > st.size) throw new AppError('bad-input', `${file}: a read past the end of the ${what}`, { where: file });
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(out, done, length - done, position + done);
        if (bytesRead === 0) throw new AppError('bad-input', `${file}: shrank while it was read`, { where: file });
        done += bytesRead;
      }
      return out;
    };
    return await use(read, st.size);
  } finally {
    await handle.close();
  }
}

export async function readRegularFile(file: string, maxBytes: number, what = 'file'): Promise<Uint8Array> {
  return withRegularFile(file, maxBytes, what, (read, size) => read(0, size));
}
