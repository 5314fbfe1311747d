// Reading a whole file named by a caller: only regular files (never /dev/zero, a FIFO or a socket, which
// would stream forever), and only up to a size the caller can justify. The size is taken from the open
// handle, so a file swapped after a check cannot slip past it.
import { promises as fsp } from 'node:fs';
import { AppError } from '../../shared/contract/errors';

export async function readRegularFile(file: string, maxBytes: number, what = 'file'): Promise<Uint8Array> {
  const handle = await fsp.open(file, 'r');
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new AppError('bad-input', `${file}: not a regular file (a device, pipe or folder cannot be a ${what})`, { where: file });
    if (st.size > maxBytes) {
      throw new AppError('bad-input', `${file}: ${(st.size / 2 ** 20).toFixed(1)} MB is larger than any ${what} this workbench reads (${maxBytes / 2 ** 20} MB)`, { where: file });
    }
    const out = new Uint8Array(st.size);
    let done = 0;
    while (done < out.length) {
      const { bytesRead } = await handle.read(out, done, out.length - done, done);
      if (bytesRead === 0) throw new AppError('bad-input', `${file}: shrank while it was read`, { where: file });
      done += bytesRead;
    }
    return out;
  } finally {
    await handle.close();
  }
}
