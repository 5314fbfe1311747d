import { describe, expect, it } from 'vitest';
import { decodeTensors, encodeTensors } from './tensor-file';

const tensors = () => ({
  a: { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
  b: { shape: [3], data: Uint8Array.from([7, 8, 9]) },
  c: { shape: [2], data: Int32Array.from([-1, 1 << 30]) },
});

describe('decodeTensors', () => {
  it('copies by default and shares the file buffer with `share`, the values the same either way', () => {
    const bytes = encodeTensors(tensors(), { k: 'v' });
    const copied = decodeTensors(bytes).tensors;
    const shared = decodeTensors(bytes, 'f', { share: true }).tensors;
    for (const t of [copied, shared]) {
      expect(Array.from(t.a.data)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(Array.from(t.b.data)).toEqual([7, 8, 9]);
      expect(Array.from(t.c.data)).toEqual([-1, 1 << 30]);
    }
    expect(copied.a.data.buffer).not.toBe(bytes.buffer);
    expect(shared.a.data.buffer).toBe(bytes.buffer);
    expect(shared.b.data.buffer).toBe(bytes.buffer);
    // c starts 27 bytes into the data (after a's 24 and b's 3): no Int32Array can start there, so it is copied.
    expect(shared.c.data.buffer).not.toBe(bytes.buffer);
  });

  it('copies a tensor whose offset no typed array can start at, even with `share`', () => {
    const enc = encodeTensors(tensors());
    // The same file one byte into a larger buffer: every float tensor is misaligned there.
    const host = new Uint8Array(enc.length + 1);
    host.set(enc, 1);
    const t = decodeTensors(host.subarray(1), 'f', { share: true }).tensors;
    expect(Array.from(t.a.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(t.a.data.buffer).not.toBe(host.buffer);
    expect(Array.from(t.c.data)).toEqual([-1, 1 << 30]);
  });
});
