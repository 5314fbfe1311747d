import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { floatToHalf, halfToFloat, readNpy, readNpyFile, writeNpy, writeNpyFile } from './npy';

// Bytes written by numpy 1.24 `np.save` (base = np.arange(24).reshape(2, 3, 4) cast per case).
const NUMPY: Record<string, string> = {
  f4_le_c: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMsIDQpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAACAPwAAAEAAAEBAAACAQAAAoEAAAMBAAADgQAAAAEEAABBBAAAgQQAAMEEAAEBBAABQQQAAYEEAAHBBAACAQQAAiEEAAJBBAACYQQAAoEEAAKhBAACwQQAAuEE=',
  f4_be_c: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPmY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMsIDQpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAP4AAAEAAAABAQAAAQIAAAECgAABAwAAAQOAAAEEAAABBEAAAQSAAAEEwAABBQAAAQVAAAEFgAABBcAAAQYAAAEGIAABBkAAAQZgAAEGgAABBqAAAQbAAAEG4AAA=',
  f4_le_f: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMywgNCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAABAQQAAgEAAAIBBAAAAQQAAoEEAAIA/AABQQQAAoEAAAIhBAAAQQQAAqEEAAABAAABgQQAAwEAAAJBBAAAgQQAAsEEAAEBAAABwQQAA4EAAAJhBAAAwQQAAuEE=',
  f2_le_c: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGYyJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMsIDQpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAA8AEAAQgBEAEUARgBHAEiASABJgEkASoBKAEuASwBMQEyATMBMAE1ATYBNwE0=',
  f2_be_f: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPmYyJywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMywgNCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAEoARABMAEgATQA8AEqARQBMQEiATUBAAEsARgBMgEkATYBCAEuARwBMwEmATcA=',
  u1_c: 'k05VTVBZAQB2AHsnZGVzY3InOiAnfHUxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMsIDQpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAQIDBAUGBwgJCgsMDQ4PEBESExQVFhc=',
  u1_f: 'k05VTVBZAQB2AHsnZGVzY3InOiAnfHUxJywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMywgNCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoADAQQCBQBDQURCRUCDgYSChYDDwcTCxc=',
  i8_le_c: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGk4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMsIDQpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAAAEAAAAAAAAAAgAAAAAAAAADAAAAAAAAAAQAAAAAAAAABQAAAAAAAAAGAAAAAAAAAAcAAAAAAAAACAAAAAAAAAAJAAAAAAAAAAoAAAAAAAAACwAAAAAAAAAMAAAAAAAAAA0AAAAAAAAADgAAAAAAAAAPAAAAAAAAABAAAAAAAAAAEQAAAAAAAAASAAAAAAAAABMAAAAAAAAAFAAAAAAAAAAVAAAAAAAAABYAAAAAAAAAFwAAAAAAAAA=',
  i4_be_c: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPmk0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMsIDQpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAAQAAAAIAAAADAAAABAAAAAUAAAAGAAAABwAAAAgAAAAJAAAACgAAAAsAAAAMAAAADQAAAA4AAAAPAAAAEAAAABEAAAASAAAAEwAAABQAAAAVAAAAFgAAABc=',
  f8_le_f: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY4JywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMywgNCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAAAAAAAAAAChAAAAAAAAAEEAAAAAAAAAwQAAAAAAAACBAAAAAAAAANEAAAAAAAADwPwAAAAAAACpAAAAAAAAAFEAAAAAAAAAxQAAAAAAAACJAAAAAAAAANUAAAAAAAAAAQAAAAAAAACxAAAAAAAAAGEAAAAAAAAAyQAAAAAAAACRAAAAAAAAANkAAAAAAAAAIQAAAAAAAAC5AAAAAAAAAHEAAAAAAAAAzQAAAAAAAACZAAAAAAAAAN0A=',
  u2_be_c: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPnUyJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMsIDQpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAABAAIAAwAEAAUABgAHAAgACQAKAAsADAANAA4ADwAQABEAEgATABQAFQAWABc=',
};
// np.array([0.1, -2.5, 65504, 1e-6, inf, -0.0, 6.1e-5, 3.14159], dtype='<f2') and numpy's float32 view of it.
const HALF_B64 =
  'k05VTVBZAQB2AHsnZGVzY3InOiAnPGYyJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDgsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIApmLgDB/3sRAAB8AID/A0hC';
const HALF_VALUES = [0.0999755859375, -2.5, 65504.0, 1.0132789611816406e-6, Infinity, -0, 6.097555160522461e-5, 3.140625];
const COMPLEX_B64 =
  'k05VTVBZAQB2AHsnZGVzY3InOiAnPGM4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAAAAAAAAAAAAA';
const SCALAR_B64 =
  'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAGBA';
const EMPTY_B64 =
  'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDAsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAo=';

const bytes = (b64: string): Uint8Array => new Uint8Array(Buffer.from(b64, 'base64'));
const arange = Array.from({ length: 24 }, (_, i) => i);

describe('readNpy on numpy-written files', () => {
  const cases: [string, string, boolean][] = [
    ['f4_le_c', 'float32', false],
    ['f4_be_c', 'float32', false],
    ['f4_le_f', 'float32', true],
    ['f2_le_c', 'float16', false],
    ['f2_be_f', 'float16', true],
    ['u1_c', 'uint8', false],
    ['u1_f', 'uint8', true],
    ['i4_be_c', 'int32', false],
    ['f8_le_f', 'float64', true],
    ['u2_be_c', 'uint16', false],
  ];
  it.each(cases)('%s decodes to arange(24).reshape(2,3,4) in C order', (key, dtype, fortran) => {
    const a = readNpy(bytes(NUMPY[key]));
    expect(a.dtype).toBe(dtype);
    expect(a.shape).toEqual([2, 3, 4]);
    expect(a.fortranOrder).toBe(fortran);
    expect(Array.from(a.data as ArrayLike<number>)).toEqual(arange);
  });

  it('int64 comes back as BigInt64Array', () => {
    const a = readNpy(bytes(NUMPY.i8_le_c));
    expect(a.data).toBeInstanceOf(BigInt64Array);
    expect(Array.from(a.data as BigInt64Array, Number)).toEqual(arange);
  });

  it('float16 special values match numpy exactly', () => {
    const a = readNpy(bytes(HALF_B64));
    expect(a.shape).toEqual([8]);
    expect(Array.from(a.data as Float32Array)).toEqual(HALF_VALUES);
    expect(Object.is(a.data[5], -0)).toBe(true);
  });

  it('scalars and empty arrays', () => {
    const s = readNpy(bytes(SCALAR_B64));
    expect(s.shape).toEqual([]);
    expect(Array.from(s.data as Float32Array)).toEqual([3.5]);
    const e = readNpy(bytes(EMPTY_B64));
    expect(e.shape).toEqual([0, 3]);
    expect(e.data.length).toBe(0);
  });
});

function withHeader(header: string): Uint8Array {
  const h = new TextEncoder().encode(`${header}\n`);
  const out = new Uint8Array(10 + h.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length & 0xff, h.length >> 8]);
  out.set(h, 10);
  return out;
}

describe('readNpy errors', () => {
  it('names the file and the problem', () => {
    expect(() => readNpy(bytes(COMPLEX_B64), 'x/soft.npy')).toThrow(/x\/soft\.npy: unsupported dtype '<c8'/);
    expect(() => readNpy(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), 'a.npy')).toThrow(/a\.npy: not a \.npy file/);
    const truncated = bytes(NUMPY.f4_le_c).subarray(0, 128 + 10);
    expect(() => readNpy(truncated, 'b.npy')).toThrow(/b\.npy: data is 10 bytes but shape \(2, 3, 4\) of float32 needs 96/);
    const v9 = bytes(NUMPY.u1_c);
    v9[6] = 9;
    expect(() => readNpy(v9, 'c.npy')).toThrow(/unsupported \.npy format version 9/);
    const structured = withHeader("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }");
    expect(() => readNpy(structured, 'd.npy')).toThrow(/structured dtypes/);
  });
});

describe('writeNpy', () => {
  it('writes byte-identical files to numpy', () => {
    expect(writeNpy({ dtype: 'float32', shape: [2, 3, 4], data: arange })).toEqual(bytes(NUMPY.f4_le_c));
    expect(writeNpy({ dtype: 'float32', shape: [2, 3, 4], data: arange }, { bigEndian: true })).toEqual(bytes(NUMPY.f4_be_c));
    expect(writeNpy({ dtype: 'float32', shape: [2, 3, 4], data: arange }, { fortranOrder: true })).toEqual(bytes(NUMPY.f4_le_f));
    expect(writeNpy({ dtype: 'float16', shape: [2, 3, 4], data: arange }, { fortranOrder: true, bigEndian: true })).toEqual(
      bytes(NUMPY.f2_be_f),
    );
    expect(writeNpy({ dtype: 'uint8', shape: [2, 3, 4], data: arange }, { fortranOrder: true })).toEqual(bytes(NUMPY.u1_f));
    expect(writeNpy({ dtype: 'int64', shape: [2, 3, 4], data: BigInt64Array.from(arange, BigInt) })).toEqual(bytes(NUMPY.i8_le_c));
    expect(writeNpy({ dtype: 'float16', shape: [8], data: [0.1, -2.5, 65504, 1e-6, Infinity, -0, 6.1e-5, 3.14159] })).toEqual(
      bytes(HALF_B64),
    );
  });

  it('round-trips a C×h×w soft pseudo-label through a file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'npy-'));
    const data = Float32Array.from({ length: 19 * 5 * 7 }, (_, i) => Math.sin(i) / 3);
    await writeNpyFile(path.join(dir, 'a_leftImg8bit.npy'), { dtype: 'float32', shape: [19, 5, 7], data });
    const back = await readNpyFile(path.join(dir, 'a_leftImg8bit.npy'));
    expect(back.shape).toEqual([19, 5, 7]);
    expect(back.data).toEqual(data);
    await expect(readNpyFile(path.join(dir, 'missing.npy'))).rejects.toThrow(/missing\.npy/);
  });

  it('rejects shape/data mismatches', () => {
    expect(() => writeNpy({ dtype: 'float32', shape: [2, 2], data: [1, 2, 3] })).toThrow(/3 elements but shape \(2, 2\) needs 4/);
    expect(() => writeNpy({ dtype: 'int64', shape: [1], data: [1] })).toThrow(/BigInt64Array/);
  });
});

describe('half precision conversion', () => {
  it('round-trips every finite half exactly', () => {
    const wrong: number[] = [];
    for (let h = 0; h < 0x10000; h++) {
      if (((h >> 10) & 0x1f) !== 0x1f && floatToHalf(halfToFloat(h)) !== h) wrong.push(h);
    }
    expect(wrong).toEqual([]);
  });
  it('rounds to nearest even and overflows to infinity', () => {
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00); // tie → even (1.0)
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even (1 + 2^-9)
    expect(floatToHalf(65520)).toBe(0x7c00);
    expect(floatToHalf(NaN) & 0x7c00).toBe(0x7c00);
  });
});
