import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PickleError, unpickle } from './pickle';
import { collectTensors, isTorchTensor, readTorchFile, toFloat32 } from './torch-checkpoint';
import { readF32, smallSpec, torchFixtures } from './torch-fixtures';

const bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

describe('pickle reader', () => {
  it('refuses a GLOBAL that is not allow-listed and names it, without calling anything', () => {
    // protocol 2: os.system('ls') via GLOBAL + REDUCE
    const evil = bytes('\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00lsq\x01\x85q\x02Rq\x03.');
    expect(() => unpickle(evil, { globals: {} })).toThrow(/refusing to load global 'os\.system'/);
  });

  it.each([
    ['builtins.eval via STACK_GLOBAL', '\x80\x04\x8c\x08builtins\x94\x8c\x04eval\x94\x93\x94\x8c\x011\x94\x85\x94R\x94.', /'builtins\.eval'/],
    ['subprocess.Popen via INST', '(S\'ls\'\nisubprocess\nPopen\n.', /'subprocess\.Popen'/],
    ['__builtin__.getattr (py2 spelling)', '\x80\x02c__builtin__\ngetattr\nq\x00.', /'builtins\.getattr'/],
  ])('refuses %s', (_what, src, message) => {
    expect(() => unpickle(bytes(src), { globals: {} })).toThrow(message);
  });

  it('refuses to call a global that is allowed only as a type reference', () => {
    // torch.FloatStorage('x'): a storage type may appear inside a persistent id, never be called
    const p = bytes('\x80\x02ctorch\nFloatStorage\nX\x01\x00\x00\x00x\x85R.');
    expect(() => unpickle(p, { globals: { 'torch.FloatStorage': 'class' } })).toThrow(/only as a type reference/);
  });

  it('refuses extension-registry opcodes', () => {
    expect(() => unpickle(bytes('\x80\x02\x82\x01.'), { globals: {} })).toThrow(PickleError);
  });

  it('builds dicts, lists, tuples, ints and floats', () => {
    // {'a': [1, -2, 3.5], 'b': (True, None), 'c': 2**70}
    const p = bytes(
      '\x80\x02}q\x00(X\x01\x00\x00\x00aq\x01]q\x02(K\x01J\xfe\xff\xff\xffG@\x0c\x00\x00\x00\x00\x00\x00eX\x01\x00\x00\x00bq\x03\x88N\x86q\x04X\x01\x00\x00\x00cq\x05\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00@u.',
    );
    const v = unpickle(p, { globals: {} }) as Map<string, unknown>;
    expect(v.get('a')).toEqual([1, -2, 3.5]);
    expect(v.get('b')).toEqual([true, null]);
    expect(v.get('c')).toBe(2n ** 70n);
  });
});

const fx = torchFixtures();
const skip = 'skip' in fx ? fx.skip : null;
if (skip) console.warn(`torch checkpoint tests skipped: ${skip}`);
const dir = 'dir' in fx ? fx.dir : '';

describe.skipIf(skip !== null)('torch.save files written by PyTorch', () => {
  it('reads dtypes, non-contiguous views, nested containers and numpy scalars', async () => {
    const o = (await readTorchFile(path.join(dir, 'dtypes.pt'))) as Map<string, unknown>;
    const t = o.get('t');
    expect(isTorchTensor(t) && t.shape).toEqual([6, 4]);
    // transpose of arange(24).reshape(4, 6): row r holds r, r+6, r+12, r+18
    expect(Array.from(toFloat32(t as never)).slice(0, 8)).toEqual([0, 6, 12, 18, 1, 7, 13, 19]);
    expect(Array.from(toFloat32(o.get('slice') as never))).toEqual([8, 9, 10, 14, 15, 16, 20, 21, 22]);
    expect(Array.from(toFloat32(o.get('half') as never))).toEqual([1.5, -2.25, 65504]);
    expect(Array.from((o.get('long') as { data: BigInt64Array }).data)).toEqual([-3n, 2n ** 40n]);
    expect(Array.from((o.get('bool') as { data: Uint8Array }).data)).toEqual([1, 0, 1]);
    expect(o.get('nested')).toEqual([1, [2.5, 'x'], new Map([['k', null]])]);
    expect(o.get('np')).toBe(0.25);
  });

  it('reads the official ProDA checkpoint layout, zip and legacy alike', async () => {
    const zip = (await readTorchFile(path.join(dir, 'small_official.pkl'))) as Map<string, unknown>;
    expect([...zip.keys()]).toEqual(['ResNet101', 'iter', 'best_iou']);
    expect(zip.get('iter')).toBe(4000);
    expect(zip.get('best_iou')).toBeCloseTo(0.4321, 12);
    const legacy = (await readTorchFile(path.join(dir, 'small_legacy.pkl'))) as Map<string, unknown>;
    const a = collectTensors(zip);
    const b = collectTensors(legacy);
    expect([...b.keys()]).toEqual([...a.keys()]);
    // vitest's deep equality is slow on millions of floats: compare by hand
    const differing = [...a].filter(([k, t]) => {
      const x = toFloat32(t);
      const y = toFloat32(b.get(k)!);
      return x.length !== y.length || x.some((v, i) => v !== y[i]);
    });
    expect(differing.map(([k]) => k)).toEqual([]);
    const spec = smallSpec() as { widths: number[]; head: { width: number } };
    expect(a.get('ResNet101.model_state.layer5.conv2d_list.1.0.weight')?.shape).toEqual([spec.head.width, spec.widths[3], 3, 3]);
  });

  it('reads a bare prototype tensor file', async () => {
    const t = await readTorchFile(path.join(dir, 'prototypes_on_cityscapes_from_deeplabv2'));
    expect(isTorchTensor(t) && t.shape).toEqual([19, 256]);
    expect(toFloat32(t as never)).toEqual(readF32(path.join(dir, 'prototypes.bin')));
  });

  it('refuses a checkpoint whose pickle calls os.system', async () => {
    await expect(readTorchFile(path.join(dir, 'malicious.pkl'))).rejects.toThrow(/refusing to load global '(posix|os|nt)\.system'/);
  });
});
