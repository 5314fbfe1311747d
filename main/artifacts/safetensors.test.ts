import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeSafetensors, decodeTensors, encodeSafetensors, encodeTensors, readSafetensorsFile, readTensorsFile, type StTensor, writeSafetensorsFile } from './safetensors';
import { pythonHas, runPython } from '../interop/torch-fixtures';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'st-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const sample = (): Map<string, StTensor> =>
  new Map<string, StTensor>([
    ['conv1.weight', { dtype: 'float32', shape: [2, 3, 1, 1], data: Float32Array.from([1, -2, 3.5, 4, 5, 6]) }],
    ['bn1.num_batches_tracked', { dtype: 'int64', shape: [], data: BigInt64Array.from([42n]) }],
    ['mask', { dtype: 'uint8', shape: [3], data: Uint8Array.from([0, 1, 255]) }],
    ['half', { dtype: 'float16', shape: [1], data: Uint16Array.from([0x3c00]) }],
  ]);

describe('safetensors', () => {
  it('round-trips dtypes, shapes and metadata', () => {
    const bytes = encodeSafetensors(sample(), { run: 'r1' });
    expect(Number(new DataView(bytes.buffer).getBigUint64(0, true)) % 8).toBe(0);
    const back = decodeSafetensors(bytes);
    expect(back.metadata).toEqual({ run: 'r1' });
    for (const [k, t] of sample()) {
      expect(back.tensors.get(k)?.dtype).toBe(t.dtype);
      expect(back.tensors.get(k)?.shape).toEqual(t.shape);
      expect(Array.from(back.tensors.get(k)!.data as ArrayLike<number>)).toEqual(Array.from(t.data as ArrayLike<number>));
    }
  });

  it('rejects a header whose byte range does not fit the shape', () => {
    const bytes = encodeSafetensors(new Map([['a', { dtype: 'float32', shape: [2], data: Float32Array.from([1, 2]) }]]));
    const text = new TextDecoder().decode(bytes).replace('"shape":[2]', '"shape":[3]');
    expect(() => decodeSafetensors(new TextEncoder().encode(text), 'x.safetensors')).toThrow(/x\.safetensors: tensor a/);
  });

  it.skipIf(!pythonHas('numpy'))('is readable by an independent parser (numpy, following the spec)', async () => {
    const file = path.join(tmp, 'w.safetensors');
    await writeSafetensorsFile(file, sample());
    // Parsed by hand from the spec, so the check does not depend on the safetensors package.
    const py = `import json,struct,sys,numpy as np
b=open(sys.argv[1],"rb").read(); n=struct.unpack("<Q",b[:8])[0]; h=json.loads(b[8:8+n]); d=b[8+n:]
def arr(k, t): e=h[k]; return np.frombuffer(d[e["data_offsets"][0]:e["data_offsets"][1]],t).reshape(e["shape"])
print(json.dumps([arr("conv1.weight","<f4")[1,2,0,0].item(), int(arr("bn1.num_batches_tracked","<i8"))]))`;
    const r = runPython(['-c', py, file]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([6, 42]);
    expect((await readSafetensorsFile(file)).tensors.size).toBe(4);
  });

  it('the run-folder view round-trips float32, int32 and uint8 with sorted names and metadata', () => {
    const bytes = encodeTensors(
      { 'z.w': { shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) }, 'a.n': { shape: [1], data: Int32Array.of(7) }, 'm.u': { shape: [2], data: Uint8Array.of(0, 9) } },
      { iteration: '12' },
    );
    expect(Number(new DataView(bytes.buffer).getBigUint64(0, true)) % 8).toBe(0);
    const back = decodeTensors(bytes, 'ckpt');
    expect(Object.keys(back.tensors)).toEqual(['a.n', 'm.u', 'z.w']);
    expect(back.tensors['z.w'].data).toBeInstanceOf(Float32Array);
    expect(Array.from(back.tensors['z.w'].data)).toEqual([1, 2, 3, 4]);
    expect(back.tensors['a.n'].data).toBeInstanceOf(Int32Array);
    expect(back.tensors['m.u'].data).toBeInstanceOf(Uint8Array);
    expect(back.metadata).toEqual({ iteration: '12' });
    expect(() => encodeTensors({ a: { shape: [3], data: Float32Array.of(1, 2) } })).toThrow(/shape \[3\] holds 3 values/);
  });

  it('the run-folder view refuses dtypes a run file never holds', () => {
    const bytes = encodeSafetensors(new Map([['h', { dtype: 'float16', shape: [1], data: Uint16Array.of(0x3c00) }]]));
    expect(() => decodeTensors(bytes, 'm.safetensors')).toThrow(/m\.safetensors: tensor h has dtype float16/);
  });

  // The two writers this codec replaced: runs/tensor-file.ts padded the header by UTF-16 length and
  // always wrote __metadata__; interop/safetensors.ts padded by UTF-8 length and left out an empty one.
  const oldFile = (header: Record<string, unknown>, body: Uint8Array, padByChars: boolean): Uint8Array => {
    let json = JSON.stringify(header);
    const len = (j: string) => (padByChars ? j.length : new TextEncoder().encode(j).length);
    while ((8 + len(json)) % 8 !== 0) json += ' ';
    const h = new TextEncoder().encode(json);
    const out = new Uint8Array(8 + h.length + body.length);
    new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
    out.set(h, 8);
    out.set(body, 8 + h.length);
    return out;
  };
  const body = new Uint8Array(Float32Array.from([1.5, -2]).buffer);

  it('reads files written by the old run-folder writer, a non-ASCII name leaving the data unaligned included', () => {
    const bytes = oldFile({ __metadata__: {}, 'student.é': { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, body, true);
    expect((8 + Number(new DataView(bytes.buffer).getBigUint64(0, true))) % 8).not.toBe(0);
    for (const t of [decodeTensors(bytes).tensors['student.é'], decodeSafetensors(bytes).tensors.get('student.é')!]) {
      expect(Array.from(t.data as Float32Array)).toEqual([1.5, -2]);
    }
  });

  it('reads files written by the old export writer (no __metadata__) through both views', () => {
    const bytes = oldFile({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, body, false);
    expect(Array.from(decodeTensors(bytes).tensors.w.data)).toEqual([1.5, -2]);
    expect(decodeTensors(bytes).metadata).toEqual({});
    expect(decodeSafetensors(bytes).tensors.get('w')?.dtype).toBe('float32');
  });

  it('treats the header as hostile: sizes within the file, offsets, dtype, shape, entry kinds', async () => {
    const bad: [Uint8Array, RegExp][] = [
      [new Uint8Array(4), /too short/],
      [(() => { const b = oldFile({}, new Uint8Array(0), false); new DataView(b.buffer).setBigUint64(0, 1n << 40n, true); return b; })(), /header length \d+ exceeds the file/],
      [oldFile({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, body, false), /tensor w lies outside the file/],
      [oldFile({ w: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }, body, false), /tensor w lies outside the file/],
      [oldFile({ w: { dtype: 'F32', shape: [2], data_offsets: [-8, 0] } }, body, false), /not non-negative integers/],
      [oldFile({ w: { dtype: 'F32', shape: [1.5], data_offsets: [0, 8] } }, body, false), /not non-negative integers/],
      [oldFile({ w: { dtype: 'F32', shape: [1], data_offsets: [0, 8] } }, body, false), /byte range does not match shape/],
      [oldFile({ w: { dtype: 'constructor', shape: [2], data_offsets: [0, 8] } }, body, false), /unsupported dtype constructor/],
      [oldFile({ w: { dtype: 'F32' } }, body, false), /lacks shape or data_offsets/],
      [oldFile({ w: null }, body, false), /tensor w has no header entry/],
      [oldFile([1, 2] as unknown as Record<string, unknown>, body, false), /not a JSON object/],
    ];
    for (const [i, [bytes, re]] of bad.entries()) {
      expect(() => decodeSafetensors(bytes, 'x.safetensors')).toThrow(re);
      expect(() => decodeTensors(bytes, 'x.safetensors')).toThrow(re);
      // The subset read checks the same header against the file's size before it reads any tensor.
      const file = path.join(tmp, `bad-${i}.safetensors`);
      writeFileSync(file, bytes);
      await expect(readTensorsFile(file, () => false)).rejects.toThrow(re);
    }
  });

  it('reads only the tensors asked for, the same values as a whole-file read', async () => {
    const file = path.join(tmp, 'subset.safetensors');
    const t = {
      'student.w': { shape: [3, 2], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
      'prototypes.vectors': { shape: [2, 2], data: Float32Array.from([0.5, -1, 2, 3]) },
      'prototypes.counts': { shape: [2], data: Float32Array.from([7, 0]) },
      'student.flags': { shape: [3], data: Uint8Array.from([1, 0, 1]) },
    };
    writeFileSync(file, encodeTensors(t));
    const all = await readTensorsFile(file);
    const some = await readTensorsFile(file, (n) => n.startsWith('prototypes.'));
    expect(Object.keys(some).sort()).toEqual(['prototypes.counts', 'prototypes.vectors']);
    for (const k of Object.keys(some)) expect(Array.from(some[k].data)).toEqual(Array.from(all[k].data));
    expect(Object.keys(await readTensorsFile(file, () => false))).toEqual([]);
    // A file cut short inside a tensor it does not ask for is refused by the header check all the same.
    writeFileSync(file, encodeTensors(t).subarray(0, 60 + 8 * 8));
    await expect(readTensorsFile(file, (n) => n === 'prototypes.counts')).rejects.toThrow(/lies outside the file|exceeds the file/);
  });

  it('readTensorsFile names a missing file and refuses what is not a regular file', async () => {
    await expect(readTensorsFile(path.join(tmp, 'nope.safetensors'))).rejects.toThrow(/missing \(did the upstream run finish\?\)/);
    await expect(readTensorsFile(tmp)).rejects.toThrow(/not a regular file/);
  });
});

const shareTensors = () => ({
  a: { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
  b: { shape: [3], data: Uint8Array.from([7, 8, 9]) },
  c: { shape: [2], data: Int32Array.from([-1, 1 << 30]) },
});

describe('decodeTensors with share', () => {
  it('copies by default and shares the file buffer with `share`, the values the same either way', () => {
    const bytes = encodeTensors(shareTensors(), { k: 'v' });
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
    const enc = encodeTensors(shareTensors());
    // The same file one byte into a larger buffer: every float tensor is misaligned there.
    const host = new Uint8Array(enc.length + 1);
    host.set(enc, 1);
    const t = decodeTensors(host.subarray(1), 'f', { share: true }).tensors;
    expect(Array.from(t.a.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(t.a.data.buffer).not.toBe(host.buffer);
    expect(Array.from(t.c.data)).toEqual([-1, 1 << 30]);
  });
});
