import { describe, expect, it } from 'vitest';
import { chwToHwc, hwcToChw, transpose2d } from './layout';

describe('channel layouts', () => {
  it('HWC → CHW puts each channel in its own plane, and CHW → HWC undoes it', () => {
    // 2 pixels × 3 channels: pixel p, channel c holds 10·p + c.
    const hwc = Float32Array.from([0, 1, 2, 10, 11, 12]);
    const chw = hwcToChw(hwc, 2, 3);
    expect(Array.from(chw)).toEqual([0, 10, 1, 11, 2, 12]);
    expect(Array.from(chwToHwc(chw, 3, 2))).toEqual(Array.from(hwc));
  });

  it('writes into a view of a batch buffer and reads integer sources', () => {
    const batch = new Float32Array(8).fill(-1);
    transpose2d(Uint8Array.from([1, 2, 3, 4]), 2, 2, batch.subarray(4));
    expect(Array.from(batch)).toEqual([-1, -1, -1, -1, 1, 3, 2, 4]);
  });

  it('refuses a source or target too small for the shape', () => {
    expect(() => hwcToChw(new Float32Array(5), 2, 3)).toThrow(/2×3 needs 6 values/);
    expect(() => transpose2d(new Float32Array(6), 2, 3, new Float32Array(4))).toThrow(/target 4/);
  });
});
