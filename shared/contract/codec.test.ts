import { describe, expect, it } from 'vitest';
import { base64ToBytes, bytesToBase64, decodeJson, encodeJson } from './codec';

describe('binary-safe JSON codec', () => {
  it('round-trips every supported typed array, nested, with exact values', () => {
    const value = {
      u8: new Uint8Array([0, 1, 127, 128, 255]),
      nested: { f32: new Float32Array([0, -1.5, Math.PI, Number.NaN, Infinity]), list: [new Uint16Array([0, 65535, 250])] },
      i32: new Int32Array([-(2 ** 31), -1, 0, 2 ** 31 - 1]),
      plain: { a: 1, s: 'x', n: null },
    };
    const back = decodeJson(encodeJson(value)) as typeof value;
    expect(back.u8).toBeInstanceOf(Uint8Array);
    expect(Array.from(back.u8)).toEqual([0, 1, 127, 128, 255]);
    expect(back.nested.f32).toBeInstanceOf(Float32Array);
    expect(Array.from(back.nested.f32)).toEqual(Array.from(value.nested.f32));
    expect(back.nested.list[0]).toBeInstanceOf(Uint16Array);
    expect(Array.from(back.nested.list[0])).toEqual([0, 65535, 250]);
    expect(Array.from(back.i32)).toEqual(Array.from(value.i32));
    expect(back.plain).toEqual(value.plain);
  });

  it('encodes only the window of a view (Node Buffers share a pooled ArrayBuffer)', () => {
    const pooled = Buffer.from([9, 9, 1, 2, 3, 9]).subarray(2, 5);
    const back = decodeJson(encodeJson({ b: pooled })) as { b: Uint8Array };
    expect(Array.from(back.b)).toEqual([1, 2, 3]);
    const f = new Float32Array([1, 2, 3, 4]).subarray(1, 3);
    expect(Array.from((decodeJson(encodeJson(f)) as Float32Array))).toEqual([2, 3]);
  });

  it('matches Node base64 for every length remainder and rejects bad input', () => {
    for (const n of [0, 1, 2, 3, 4, 5, 100, 70_000]) {
      const bytes = new Uint8Array(n).map((_, i) => (i * 37 + 11) & 255);
      const b64 = bytesToBase64(bytes);
      expect(b64).toBe(Buffer.from(bytes).toString('base64'));
      expect(Array.from(base64ToBytes(b64))).toEqual(Array.from(bytes));
    }
    expect(() => base64ToBytes('abc')).toThrow(/multiple of 4/);
    expect(() => base64ToBytes('ab!d')).toThrow(/invalid base64/);
    expect(() => decodeJson('{"x":{"$typed":"f32","b64":"AAA="}}')).toThrow(/whole number/);
  });
});
