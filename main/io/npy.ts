// NumPy .npy reader/writer for ProDA artifacts (soft pseudo-labels C×h×w float32, `_conf.npy` float16)
// and PyTorch parity fixtures. Format: magic "\x93NUMPY", version, header length, a Python-literal dict
// {'descr', 'fortran_order', 'shape'}, then raw data. Fortran-order files are returned in C order so
// callers never deal with strides.
import { promises as fsp } from 'node:fs';
import { AppError } from '../../shared/contract/errors';
import { writeFileAtomic } from './atomic';

export const npyDtypes = ['float16', 'float32', 'float64', 'uint8', 'int8', 'uint16', 'int16', 'int32', 'uint32', 'int64', 'bool'] as const;
export type NpyDtype = (typeof npyDtypes)[number];

/**
 * float16 data is widened to Float32Array (Node 20 has no Float16Array); int64 comes back as BigInt64Array;
 * bool as Uint8Array of 0/1.
 */
export type NpyData = Float32Array | Float64Array | Uint8Array | Int8Array | Uint16Array | Int16Array | Int32Array | Uint32Array | BigInt64Array;

export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  /** Always C (row-major) order, whatever the file's order. */
  data: NpyData;
  /** Whether the file stored the data in Fortran order (already transposed to C order in `data`). */
  fortranOrder: boolean;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const CODE_TO_DTYPE: Record<string, NpyDtype> = {
  f2: 'float16',
  f4: 'float32',
  f8: 'float64',
  u1: 'uint8',
  i1: 'int8',
  u2: 'uint16',
  i2: 'int16',
  i4: 'int32',
  u4: 'uint32',
  i8: 'int64',
  b1: 'bool',
};
const DTYPE_TO_CODE = Object.fromEntries(Object.entries(CODE_TO_DTYPE).map(([k, v]) => [v, k])) as Record<NpyDtype, string>;
const ITEM_SIZE: Record<NpyDtype, number> = {
  float16: 2,
  float32: 4,
  float64: 8,
  uint8: 1,
  int8: 1,
  uint16: 2,
  int16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  bool: 1,
};

const bad = (where: string, message: string): AppError => new AppError('bad-input', `${where}: ${message}`, { where });

export function readNpy(bytes: Uint8Array, where = '.npy data'): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw bad(where, 'not a .npy file (missing \\x93NUMPY magic)');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw bad(where, 'truncated header');
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw bad(where, `unsupported .npy format version ${major}.${bytes[7]}`);
  }
  const dataStart = headerStart + headerLen;
  if (dataStart > bytes.length) throw bad(where, 'truncated header');
  // Version 3 headers are UTF-8; 1 and 2 are latin-1, which decodes identically for the ASCII numpy writes.
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, dataStart));
  const { descr, fortranOrder, shape } = parseHeader(header, where);

  const m = /^([<>|=])([a-zA-Z])(\d+)$/.exec(descr);
  const dtype = m ? CODE_TO_DTYPE[`${m[2]}${m[3]}`] : undefined;
  if (!m || !dtype) {
    throw bad(where, `unsupported dtype '${descr}' (supported: ${npyDtypes.join(', ')}; no structured, object, complex or string arrays)`);
  }
  const itemSize = ITEM_SIZE[dtype];
  const littleEndian = m[1] !== '>';
  const count = shape.reduce((a, b) => a * b, 1);
  const expected = count * itemSize;
  const available = bytes.length - dataStart;
  if (available !== expected) {
    throw bad(where, `data is ${available} bytes but shape (${shape.join(', ')}) of ${dtype} needs ${expected}`);
  }
  const raw = decodeData(view, dataStart, count, dtype, littleEndian);
  const data = fortranOrder && shape.length > 1 ? fortranToC(raw, shape) : raw;
  return { dtype, shape, data, fortranOrder };
}

function parseHeader(header: string, where: string): { descr: string; fortranOrder: boolean; shape: number[] } {
  const descrM = /'descr'\s*:\s*'([^']*)'/.exec(header);
  if (!descrM) {
    if (/'descr'\s*:\s*\[/.test(header)) throw bad(where, 'structured dtypes are not supported');
    throw bad(where, `malformed header (no 'descr'): ${header.trim()}`);
  }
  const fortM = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  if (!fortM) throw bad(where, `malformed header (no 'fortran_order'): ${header.trim()}`);
  const shapeM = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!shapeM) throw bad(where, `malformed header (no 'shape'): ${header.trim()}`);
  const parts = shapeM[1]
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const shape = parts.map((s) => {
    // numpy may write Python 2 longs as "3L".
    const n = Number(s.replace(/L$/, ''));
    if (!Number.isInteger(n) || n < 0) throw bad(where, `malformed shape (${shapeM[1]})`);
    return n;
  });
  return { descr: descrM[1], fortranOrder: fortM[1] === 'True', shape };
}

function decodeData(view: DataView, off: number, n: number, dtype: NpyDtype, le: boolean): NpyData {
  switch (dtype) {
    case 'uint8':
    case 'bool': {
      const out = new Uint8Array(n);
      out.set(new Uint8Array(view.buffer, view.byteOffset + off, n));
      return out;
    }
    case 'int8': {
      const out = new Int8Array(n);
      out.set(new Int8Array(view.buffer, view.byteOffset + off, n));
      return out;
    }
    case 'float16': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(off + 2 * i, le));
      return out;
    }
    case 'float32': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(off + 4 * i, le);
      return out;
    }
    case 'float64': {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(off + 8 * i, le);
      return out;
    }
    case 'uint16': {
      const out = new Uint16Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getUint16(off + 2 * i, le);
      return out;
    }
    case 'int16': {
      const out = new Int16Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt16(off + 2 * i, le);
      return out;
    }
    case 'int32': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt32(off + 4 * i, le);
      return out;
    }
    case 'uint32': {
      const out = new Uint32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getUint32(off + 4 * i, le);
      return out;
    }
    case 'int64': {
      const out = new BigInt64Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getBigInt64(off + 8 * i, le);
      return out;
    }
  }
}

/** Reorders column-major data into row-major for the same logical shape. */
function fortranToC<T extends NpyData>(src: T, shape: number[]): T {
  return permute(src, shape, false);
}

function cToFortran<T extends NpyData>(src: T, shape: number[]): T {
  return permute(src, shape, true);
}

// Walks the C-order multi-index once, tracking the matching Fortran offset incrementally.
function permute<T extends NpyData>(src: T, shape: number[], toFortran: boolean): T {
  const nd = shape.length;
  const fStride = new Array<number>(nd);
  let s = 1;
  for (let k = 0; k < nd; k++) {
    fStride[k] = s;
    s *= shape[k];
  }
  const n = s;
  const out = new (src.constructor as new (n: number) => T)(n);
  const idx = new Array<number>(nd).fill(0);
  let f = 0;
  for (let c = 0; c < n; c++) {
    if (toFortran) out[f] = src[c];
    else out[c] = src[f];
    for (let k = nd - 1; k >= 0; k--) {
      idx[k]++;
      f += fStride[k];
      if (idx[k] < shape[k]) break;
      f -= fStride[k] * shape[k];
      idx[k] = 0;
    }
  }
  return out;
}

export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → IEEE half bits, round to nearest even (what numpy's astype(float16) does). */
export function floatToHalf(x: number): number {
  f32[0] = x;
  const bits = u32[0];
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let r = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    if (rem > half || (rem === half && r & 1)) r++;
    return sign | r;
  }
  let r = mant >>> 13;
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && r & 1)) {
    r++;
    if (r === 0x400) {
      r = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | r;
}

export interface WriteNpyOptions {
  /** Store column-major (data is still given in C order). Default false. */
  fortranOrder?: boolean;
  /** Write big-endian ('>'); default little-endian, as numpy on every common platform. */
  bigEndian?: boolean;
}

/** `data` is in C order; float16 takes any float array and rounds to half; int64 takes BigInt64Array. */
export function writeNpy(arr: { dtype: NpyDtype; shape: number[]; data: ArrayLike<number> | BigInt64Array }, opts: WriteNpyOptions = {}): Uint8Array {
  const { dtype, shape } = arr;
  if (!npyDtypes.includes(dtype)) throw new AppError('validation', `writeNpy: unsupported dtype '${dtype}'`);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new AppError('validation', `writeNpy: bad shape (${shape.join(', ')})`);
  const count = shape.reduce((a, b) => a * b, 1);
  if (arr.data.length !== count) {
    throw new AppError('validation', `writeNpy: data has ${arr.data.length} elements but shape (${shape.join(', ')}) needs ${count}`);
  }
  if ((dtype === 'int64') !== arr.data instanceof BigInt64Array) {
    throw new AppError('validation', 'writeNpy: int64 data must be a BigInt64Array (and only int64)');
  }
  const fortran = Boolean(opts.fortranOrder) && shape.length > 1;
  const le = !opts.bigEndian;
  const itemSize = ITEM_SIZE[dtype];
  const order = itemSize === 1 ? '|' : le ? '<' : '>';
  const shapeStr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${order}${DTYPE_TO_CODE[dtype]}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': ${shapeStr}, }`;
  // Pad with spaces so the data starts on a 64-byte boundary, newline-terminated, as numpy does.
  const v1 = header.length + 64 <= 65535;
  const pre = v1 ? 10 : 12;
  const total = Math.ceil((pre + header.length + 1) / 64) * 64;
  header = header + ' '.repeat(total - pre - header.length - 1) + '\n';
  const out = new Uint8Array(total + count * itemSize);
  out.set(MAGIC, 0);
  out[6] = v1 ? 1 : 2;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (v1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[pre + i] = header.charCodeAt(i);

  let src: ArrayLike<number> | BigInt64Array = arr.data;
  if (fortran) src = cToFortran(toTyped(src), shape);
  const off = total;
  for (let i = 0; i < count; i++) {
    const v = src[i];
    const p = off + i * itemSize;
    switch (dtype) {
      case 'float16':
        view.setUint16(p, floatToHalf(v as number), le);
        break;
      case 'float32':
        view.setFloat32(p, v as number, le);
        break;
      case 'float64':
        view.setFloat64(p, v as number, le);
        break;
      case 'uint8':
        view.setUint8(p, v as number);
        break;
      case 'bool':
        view.setUint8(p, v ? 1 : 0);
        break;
      case 'int8':
        view.setInt8(p, v as number);
        break;
      case 'uint16':
        view.setUint16(p, v as number, le);
        break;
      case 'int16':
        view.setInt16(p, v as number, le);
        break;
      case 'int32':
        view.setInt32(p, v as number, le);
        break;
      case 'uint32':
        view.setUint32(p, v as number, le);
        break;
      case 'int64':
        view.setBigInt64(p, v as bigint, le);
        break;
    }
  }
  return out;
}

function toTyped(src: ArrayLike<number> | BigInt64Array): NpyData {
  if (ArrayBuffer.isView(src)) return src as NpyData;
  return Float64Array.from(src as ArrayLike<number>);
}

export async function readNpyFile(file: string): Promise<NpyArray> {
  let bytes: Uint8Array;
  try {
    bytes = await fsp.readFile(file);
  } catch (err) {
    throw new AppError('not-found', `${file}: cannot read (${(err as Error).message})`, { where: file });
  }
  return readNpy(bytes, file);
}

export const writeNpyFile = (file: string, arr: Parameters<typeof writeNpy>[0], opts?: WriteNpyOptions): Promise<void> =>
  writeFileAtomic(file, writeNpy(arr, opts));
