import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors, readSafetensorsFile, type StTensor, writeSafetensorsFile } from './safetensors';
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
    const py = [
      'import json,struct,sys,numpy as np',
      'b=open(sys.argv[1],"rb").read(); n=struct.unpack("<Q",b[:8])[0]; h=json.loads(b[8:8+n]); d=b[8+n:]',
      'e=h["conv1.weight"]; a=np.frombuffer(d[e["data_offsets"][0]:e["data_offsets"][1]],"<f4").reshape(e["shape"])',
      'e=h["bn1.num_batches_tracked"]; c=np.frombuffer(d[e["data_offsets"][0]:e["data_offsets"][1]],"<i8")',
      'print(json.dumps([a[1,2,0,0].item(), int(c[0])]))',
    ].join('\n');
    const r = runPython(['-c', py, file]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([6, 42]);
    expect((await readSafetensorsFile(file)).tensors.size).toBe(4);
  });
});
