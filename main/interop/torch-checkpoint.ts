// Reads files written by `torch.save` without Python: the zip layout (torch ≥ 1.6: `<name>/data.pkl`
// plus one raw little-endian file per storage under `<name>/data/<key>`) and the legacy layout
// (several pickles in a row followed by the raw storages). Only tensors, storages, dicts,
// OrderedDicts, lists, tuples and numpy scalars can be built; see pickle.ts for why.
import { inflateRawSync } from 'node:zlib';
import { readRegularFile } from '../io/bounded-read';
import { type Constructor, PickleError, type PyGlobal, describe, isPyGlobal, unpickleAt } from './pickle';

export type TorchDtype = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

export type TensorData =
  | Float32Array
  | Float64Array
  | Uint16Array // float16 / bfloat16 raw bits
  | BigInt64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint8Array; // uint8, bool

/**
 * A tensor as read from disk, in PyTorch's own layout (NCHW, OIHW). `data` is always a fresh
 * contiguous row-major copy, whatever the strides/offset in the file were; `strides` are the
 * contiguous strides of `shape` (in elements).
 */
export interface TorchTensor {
  readonly kind: 'tensor';
  dtype: TorchDtype;
  shape: number[];
  strides: number[];
  data: TensorData;
}

export const isTorchTensor = (v: unknown): v is TorchTensor =>
  typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'tensor';

const STORAGE_DTYPES: Record<string, { dtype: TorchDtype; bytes: number }> = {
  FloatStorage: { dtype: 'float32', bytes: 4 },
  DoubleStorage: { dtype: 'float64', bytes: 8 },
  HalfStorage: { dtype: 'float16', bytes: 2 },
  BFloat16Storage: { dtype: 'bfloat16', bytes: 2 },
  LongStorage: { dtype: 'int64', bytes: 8 },
  IntStorage: { dtype: 'int32', bytes: 4 },
  ShortStorage: { dtype: 'int16', bytes: 2 },
  CharStorage: { dtype: 'int8', bytes: 1 },
  ByteStorage: { dtype: 'uint8', bytes: 1 },
  BoolStorage: { dtype: 'bool', bytes: 1 },
};

export const DTYPE_BYTES: Record<TorchDtype, number> = Object.fromEntries(
  Object.values(STORAGE_DTYPES).map((s) => [s.dtype, s.bytes]),
) as Record<TorchDtype, number>;

interface Storage {
  readonly kind: 'storage';
  dtype: TorchDtype;
  /** Raw little-endian bytes of the whole storage. */
  bytes: Uint8Array;
}

export const contiguousStrides = (shape: readonly number[]): number[] => {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
};

export const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

function allocate(dtype: TorchDtype, n: number): TensorData {
  switch (dtype) {
    case 'float32':
      return new Float32Array(n);
    case 'float64':
      return new Float64Array(n);
    case 'float16':
    case 'bfloat16':
      return new Uint16Array(n);
    case 'int64':
      return new BigInt64Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'int16':
      return new Int16Array(n);
    case 'int8':
      return new Int8Array(n);
    default:
      return new Uint8Array(n);
  }
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * Builds a contiguous tensor from (storage, offset, size, stride); non-contiguous views are gathered.
 * The result is never larger than its storage: sizes, strides and the offset must be non-negative
 * integers, and a view that repeats elements (stride 0) to more elements than the storage holds is
 * refused. Model weights never are such views, and a 600-byte file must not ask for gigabytes.
 */
function rebuildTensor(storage: Storage, offset: number, shape: number[], stride: number[], where: string): TorchTensor {
  const elem = DTYPE_BYTES[storage.dtype];
  const capacity = storage.bytes.length / elem;
  if (!isCount(offset) || !shape.every(isCount) || !stride.every(isCount) || shape.length !== stride.length) {
    throw new PickleError(`${where}: tensor with invalid layout (offset ${String(offset)}, size [${shape}], stride [${stride}]): sizes, strides and offset must be non-negative integers`);
  }
  const n = numel(shape);
  if (n > capacity) {
    throw new PickleError(`${where}: tensor of shape [${shape}] has ${n} elements but its storage holds ${capacity}; views that repeat storage elements are not read`);
  }
  if (n > 0) {
    let last = offset;
    for (let i = 0; i < shape.length; i++) last += (shape[i] - 1) * stride[i];
    if (offset < 0 || last >= capacity) {
      throw new PickleError(`${where}: tensor of shape [${shape}] reaches element ${last} of a storage of ${capacity}`);
    }
  }
  const out = allocate(storage.dtype, n);
  const outBytes = new Uint8Array(out.buffer);
  const contiguous = contiguousStrides(shape).every((s, i) => shape[i] === 1 || s === stride[i]);
  if (contiguous) {
    outBytes.set(storage.bytes.subarray(offset * elem, (offset + n) * elem));
  } else {
    // Generic gather in row-major order; copies elem bytes at a time (checkpoint tensors are rarely strided).
    const idx = new Array<number>(shape.length).fill(0);
    let src = offset;
    for (let k = 0; k < n; k++) {
      outBytes.set(storage.bytes.subarray(src * elem, src * elem + elem), k * elem);
      for (let d = shape.length - 1; d >= 0; d--) {
        idx[d]++;
        src += stride[d];
        if (idx[d] < shape[d]) break;
        src -= stride[d] * shape[d];
        idx[d] = 0;
      }
    }
  }
  return { kind: 'tensor', dtype: storage.dtype, shape: [...shape], strides: contiguousStrides(shape), data: out };
}

const f16ToF32 = (h: number): number => {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
};

/** Any numeric tensor as float32 (float16/bfloat16 decoded; int64 via Number). */
export function toFloat32(t: TorchTensor): Float32Array {
  const d = t.data;
  if (d instanceof Float32Array) return d;
  const out = new Float32Array(d.length);
  if (t.dtype === 'float16') for (let i = 0; i < d.length; i++) out[i] = f16ToF32(d[i] as number);
  else if (t.dtype === 'bfloat16') {
    const u = new Uint32Array(out.buffer);
    for (let i = 0; i < d.length; i++) u[i] = (d[i] as number) << 16;
  } else if (d instanceof BigInt64Array) for (let i = 0; i < d.length; i++) out[i] = Number(d[i]);
  else for (let i = 0; i < d.length; i++) out[i] = d[i] as number;
  return out;
}

/** A numpy scalar (e.g. `best_iou`) comes out as a plain number. */
class NumpyDtype {
  littleEndian = true;
  constructor(readonly code: string) {}
}

function numpyScalar(args: unknown[]): unknown {
  const [dtype, raw] = args;
  if (!(dtype instanceof NumpyDtype)) throw new PickleError('numpy scalar without a dtype');
  const bytes = typeof raw === 'string' ? Uint8Array.from(raw, (c) => c.charCodeAt(0)) : (raw as Uint8Array);
  if (!(bytes instanceof Uint8Array)) throw new PickleError('numpy scalar without bytes');
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = dtype.littleEndian;
  switch (dtype.code.replace(/^[<>=|]/, '')) {
    case 'f8':
      return v.getFloat64(0, le);
    case 'f4':
      return v.getFloat32(0, le);
    case 'f2':
      return f16ToF32(v.getUint16(0, le));
    case 'i8':
      return Number(v.getBigInt64(0, le));
    case 'u8':
      return Number(v.getBigUint64(0, le));
    case 'i4':
      return v.getInt32(0, le);
    case 'u4':
      return v.getUint32(0, le);
    case 'i2':
      return v.getInt16(0, le);
    case 'u2':
      return v.getUint16(0, le);
    case 'i1':
      return v.getInt8(0);
    case 'u1':
      return v.getUint8(0);
    case 'b1':
      return v.getUint8(0) !== 0;
    default:
      throw new PickleError(`numpy scalar of dtype '${dtype.code}' is not supported`);
  }
}

function makeGlobals(where: string): Record<string, Constructor | 'class'> {
  const tensorV2: Constructor = (a) => {
    const [storage, offset, size, stride] = a as [Storage, number, number[], number[]];
    if ((storage as { kind?: string })?.kind !== 'storage') throw new PickleError(`${where}: tensor without a storage (${describe(storage)})`);
    return rebuildTensor(storage, offset, [...size], [...stride], where);
  };
  const param: Constructor = (a) => {
    if (!isTorchTensor(a[0])) throw new PickleError(`${where}: parameter without a tensor`);
    return a[0];
  };
  const g: Record<string, Constructor | 'class'> = {
    'torch._utils._rebuild_tensor_v2': tensorV2,
    'torch._utils._rebuild_tensor': (a) => tensorV2([a[0], a[1], a[2], a[3]]),
    'torch._utils._rebuild_parameter': param,
    'torch._utils._rebuild_parameter_with_state': param,
    'collections.OrderedDict': (a) => new Map(Array.isArray(a[0]) ? (a[0] as [unknown, unknown][]) : []),
    'builtins.set': (a) => new Set(Array.isArray(a[0]) ? a[0] : []),
    'builtins.frozenset': (a) => new Set(Array.isArray(a[0]) ? a[0] : []),
    // Protocol 2 from Python 3 spells bytes as _codecs.encode(text, 'latin1'): pure data.
    '_codecs.encode': (a) => {
      const [text, enc] = a;
      if (typeof text !== 'string' || (enc !== 'latin1' && enc !== 'latin-1')) {
        throw new PickleError(`${where}: _codecs.encode only allowed with latin1 text`);
      }
      return Uint8Array.from(text, (c) => c.charCodeAt(0));
    },
    'numpy.core.multiarray.scalar': numpyScalar,
    'numpy._core.multiarray.scalar': numpyScalar,
    'numpy.dtype': (a) => {
      if (typeof a[0] !== 'string') throw new PickleError(`${where}: numpy.dtype needs a type code`);
      return new NumpyDtype(a[0]);
    },
    'torch.UntypedStorage': 'class',
    'torch.storage.UntypedStorage': 'class',
  };
  for (const name of Object.keys(STORAGE_DTYPES)) g[`torch.${name}`] = 'class';
  return g;
}

function build(obj: unknown, state: unknown, where: string): unknown {
  if (obj instanceof NumpyDtype) {
    if (Array.isArray(state) && typeof state[1] === 'string') obj.littleEndian = state[1] !== '>';
    return obj;
  }
  if (obj instanceof Map) {
    (obj as Map<unknown, unknown> & { pyState?: unknown }).pyState = state; // OrderedDict._metadata
    return obj;
  }
  if (isTorchTensor(obj)) return obj; // Parameter state (hooks, requires_grad) is irrelevant here
  throw new PickleError(`${where}: BUILD on ${describe(obj)} is not allowed`);
}

function storageDtype(type: unknown, where: string): TorchDtype | 'untyped' {
  if (!isPyGlobal(type)) throw new PickleError(`${where}: storage without a type`);
  if (type.name === 'UntypedStorage') return 'untyped';
  const info = STORAGE_DTYPES[type.name];
  if (!info) throw new PickleError(`${where}: unknown storage type ${type.module}.${type.name}`);
  return info.dtype;
}

// ---------------------------------------------------------------------------------------------
// zip (torch ≥ 1.6). torch writes entries uncompressed, 64-byte aligned; deflate is accepted too.

interface ZipEntry {
  name: string;
  method: number;
  compSize: number;
  size: number;
  localOffset: number;
}

function readZipDirectory(buf: Uint8Array, where: string): Map<string, ZipEntry> {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65535); i--) {
    if (v.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new PickleError(`${where}: not a zip archive (no end-of-directory record)`);
  let count = v.getUint16(eocd + 10, true);
  let cdOffset = v.getUint32(eocd + 16, true);
  if (cdOffset === 0xffffffff || count === 0xffff) {
    const loc = eocd - 20;
    if (loc < 0 || v.getUint32(loc, true) !== 0x07064b50) throw new PickleError(`${where}: zip64 locator missing`);
    const z64 = Number(v.getBigUint64(loc + 8, true));
    if (v.getUint32(z64, true) !== 0x06064b50) throw new PickleError(`${where}: zip64 directory missing`);
    count = Number(v.getBigUint64(z64 + 32, true));
    cdOffset = Number(v.getBigUint64(z64 + 48, true));
  }
  const entries = new Map<string, ZipEntry>();
  let p = cdOffset;
  for (let k = 0; k < count; k++) {
    if (v.getUint32(p, true) !== 0x02014b50) throw new PickleError(`${where}: corrupt zip directory at ${p}`);
    const method = v.getUint16(p + 10, true);
    let compSize = v.getUint32(p + 20, true);
    let size = v.getUint32(p + 24, true);
    const nameLen = v.getUint16(p + 28, true);
    const extraLen = v.getUint16(p + 30, true);
    const commentLen = v.getUint16(p + 32, true);
    let localOffset = v.getUint32(p + 42, true);
    const name = new TextDecoder().decode(buf.subarray(p + 46, p + 46 + nameLen));
    // zip64 extra field: only the fields that overflowed are present, in this order.
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const id = v.getUint16(e, true);
      const len = v.getUint16(e + 2, true);
      if (id === 0x0001) {
        let q = e + 4;
        if (size === 0xffffffff) {
          size = Number(v.getBigUint64(q, true));
          q += 8;
        }
        if (compSize === 0xffffffff) {
          compSize = Number(v.getBigUint64(q, true));
          q += 8;
        }
        if (localOffset === 0xffffffff) localOffset = Number(v.getBigUint64(q, true));
      }
      e += 4 + len;
    }
    entries.set(name, { name, method, compSize, size, localOffset });
    p = extraEnd + commentLen;
  }
  return entries;
}

/** Deflate cannot expand data by more than about 1032:1; a declared size beyond that is a lie. */
const DEFLATE_MAX_RATIO = 1032;
/**
 * All entries of one archive together may inflate to at most this many bytes per byte of file (and at
 * least 64 MB). torch writes entries stored, not deflated; weights deflate by a few percent at most, so
 * only a zip bomb reaches this.
 */
const INFLATE_BUDGET_RATIO = 16;
const INFLATE_BUDGET_MIN = 64 * 2 ** 20;

/** Checks every entry's declared sizes against the file before anything is inflated. */
function checkZipSizes(buf: Uint8Array, entries: Map<string, ZipEntry>, where: string): void {
  let total = 0;
  for (const e of entries.values()) {
    if (e.localOffset + 30 > buf.length || e.localOffset + e.compSize > buf.length) throw new PickleError(`${where}: zip entry ${e.name} lies outside the file`);
    if (e.method === 0 && e.size !== e.compSize) throw new PickleError(`${where}: stored zip entry ${e.name} declares ${e.size} bytes but holds ${e.compSize}`);
    if (e.method === 8 && e.size > e.compSize * DEFLATE_MAX_RATIO + 64) {
      throw new PickleError(`${where}: zip entry ${e.name} claims ${e.size} bytes from ${e.compSize} compressed; deflate cannot do that (a zip bomb?)`);
    }
    total += e.size;
  }
  const budget = Math.max(INFLATE_BUDGET_MIN, buf.length * INFLATE_BUDGET_RATIO);
  if (total > budget) {
    throw new PickleError(`${where}: entries unpack to ${(total / 2 ** 20).toFixed(0)} MB from a ${(buf.length / 2 ** 20).toFixed(1)} MB file; more than a checkpoint can hold (a zip bomb?)`);
  }
}

function zipEntryData(buf: Uint8Array, entry: ZipEntry, where: string): Uint8Array {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const p = entry.localOffset;
  if (p + 30 > buf.length || v.getUint32(p, true) !== 0x04034b50) throw new PickleError(`${where}: corrupt zip entry ${entry.name}`);
  const start = p + 30 + v.getUint16(p + 26, true) + v.getUint16(p + 28, true);
  const raw = buf.subarray(start, start + entry.compSize);
  if (raw.length !== entry.compSize) throw new PickleError(`${where}: zip entry ${entry.name} is truncated`);
  if (entry.method === 0) return raw;
  if (entry.method === 8) {
    // Inflation stops at the declared size (checked against the file above): a lying header cannot make it run on.
    let out: Buffer;
    try {
      out = inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.size) });
    } catch (err) {
      throw new PickleError(`${where}: zip entry ${entry.name} does not inflate to its declared ${entry.size} bytes (${(err as Error).message})`);
    }
    if (out.length !== entry.size) throw new PickleError(`${where}: zip entry ${entry.name} inflates to ${out.length} bytes, not the declared ${entry.size}`);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  }
  throw new PickleError(`${where}: zip entry ${entry.name} uses unsupported compression ${entry.method}`);
}

const isZip = (b: Uint8Array): boolean => b.length > 4 && b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04;

function loadZip(buf: Uint8Array, where: string): unknown {
  const entries = readZipDirectory(buf, where);
  checkZipSizes(buf, entries, where);
  const pklName = [...entries.keys()].find((n) => n.endsWith('/data.pkl') || n === 'data.pkl');
  if (!pklName) throw new PickleError(`${where}: zip without data.pkl (not a torch.save file)`);
  const prefix = pklName.slice(0, pklName.length - 'data.pkl'.length);
  const byteorder = entries.get(`${prefix}byteorder`);
  if (byteorder && new TextDecoder().decode(zipEntryData(buf, byteorder, where)).trim() !== 'little') {
    throw new PickleError(`${where}: big-endian checkpoints are not supported`);
  }
  const storages = new Map<string, Storage>();
  const persistentLoad = (pid: unknown): Storage => {
    if (!Array.isArray(pid) || pid[0] !== 'storage') throw new PickleError(`${where}: unknown persistent id ${describe(pid)}`);
    const [, type, key] = pid as [string, PyGlobal, string];
    const cached = storages.get(String(key));
    if (cached) return cached;
    const dtype = storageDtype(type, where);
    const entry = entries.get(`${prefix}data/${key}`);
    if (!entry) throw new PickleError(`${where}: storage ${key} missing from the archive`);
    const s: Storage = { kind: 'storage', dtype: dtype === 'untyped' ? 'uint8' : dtype, bytes: zipEntryData(buf, entry, where) };
    storages.set(String(key), s);
    return s;
  };
  const pkl = zipEntryData(buf, entries.get(pklName)!, where);
  return unpickleAt(pkl, 0, {
    globals: makeGlobals(where),
    persistentLoad,
    build: (o, s) => build(o, s, where),
    source: `${where}:${pklName}`,
  }).value;
}

// ---------------------------------------------------------------------------------------------
// legacy (torch < 1.6 default, or _use_new_zipfile_serialization=False): magic, protocol,
// sys_info, the object pickle, the storage key list, then each storage as int64 count + bytes.

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

function loadLegacy(buf: Uint8Array, where: string): unknown {
  const plain = { globals: {}, source: where };
  const magic = unpickleAt(buf, 0, plain);
  if (magic.value !== LEGACY_MAGIC && BigInt(magic.value as number) !== LEGACY_MAGIC) {
    throw new PickleError(`${where}: not a torch.save file (bad magic number)`);
  }
  const proto = unpickleAt(buf, magic.end, plain);
  if (proto.value !== 1001) throw new PickleError(`${where}: unsupported legacy protocol ${String(proto.value)}`);
  const sys = unpickleAt(buf, proto.end, plain);
  const sysInfo = sys.value as Map<string, unknown>;
  if (sysInfo instanceof Map && sysInfo.get('little_endian') === false) throw new PickleError(`${where}: big-endian checkpoints are not supported`);

  // Storages are created while unpickling but filled afterwards from the tail of the file.
  const storages = new Map<string, Storage & { count: number }>();
  const pending: { view: Storage; root: string; offset: number; size: number }[] = [];
  const persistentLoad = (pid: unknown): Storage => {
    if (!Array.isArray(pid) || pid[0] !== 'storage') throw new PickleError(`${where}: unknown persistent id ${describe(pid)}`);
    const [, type, rootKey, , size, view] = pid as [string, PyGlobal, string, string, number, unknown];
    const dtype = storageDtype(type, where);
    if (dtype === 'untyped') throw new PickleError(`${where}: untyped storage in a legacy file`);
    let root = storages.get(rootKey);
    if (!root) {
      root = { kind: 'storage', dtype, bytes: new Uint8Array(0), count: size };
      storages.set(rootKey, root);
    }
    if (Array.isArray(view) && view.length === 3) {
      const [, offset, viewSize] = view as [string, number, number];
      const v: Storage = { kind: 'storage', dtype, bytes: new Uint8Array(0) };
      pending.push({ view: v, root: rootKey, offset, size: viewSize });
      return v;
    }
    return root;
  };
  // Tensors need storage bytes when they are rebuilt, so the object pickle is read twice:
  // once to learn the storages (and where the pickle ends), then again after filling them.
  const lazyGlobals = makeGlobals(where);
  const deferred: typeof lazyGlobals = { ...lazyGlobals };
  for (const k of Object.keys(deferred)) if (k.startsWith('torch._utils._rebuild_')) deferred[k] = () => null;
  const first = unpickleAt(buf, sys.end, { globals: deferred, persistentLoad, build: (o, s) => (o === null ? null : build(o, s, where)), source: where });
  const keys = unpickleAt(buf, first.end, plain);
  if (!Array.isArray(keys.value)) throw new PickleError(`${where}: storage key list missing`);
  let p = keys.end;
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (const key of keys.value as string[]) {
    const s = storages.get(key);
    if (!s) throw new PickleError(`${where}: storage ${key} listed but never referenced`);
    if (p + 8 > buf.length) throw new PickleError(`${where}: storage ${key} is truncated`);
    const count = Number(v.getBigInt64(p, true));
    const nbytes = count * DTYPE_BYTES[s.dtype];
    if (!isCount(count) || p + 8 + nbytes > buf.length) throw new PickleError(`${where}: storage ${key} declares ${count} elements, more than the file holds`);
    s.bytes = buf.subarray(p + 8, p + 8 + nbytes);
    p += 8 + nbytes;
  }
  for (const pv of pending) {
    const root = storages.get(pv.root)!;
    const e = DTYPE_BYTES[root.dtype];
    if (!isCount(pv.offset) || !isCount(pv.size) || (pv.offset + pv.size) * e > root.bytes.length) {
      throw new PickleError(`${where}: storage view [${String(pv.offset)}, +${String(pv.size)}) lies outside storage ${pv.root}`);
    }
    pv.view.bytes = root.bytes.subarray(pv.offset * e, (pv.offset + pv.size) * e);
  }
  // Second pass: same stream, storages now filled; persistent ids resolve to the same objects by order.
  const order = [...pending];
  const persistentAgain = (pid: unknown): Storage => {
    const [, , rootKey, , , view] = pid as [string, PyGlobal, string, string, number, unknown];
    if (Array.isArray(view) && view.length === 3) {
      const next = order.shift();
      if (!next) throw new PickleError(`${where}: storage views out of order`);
      return next.view;
    }
    return storages.get(rootKey)!;
  };
  return unpickleAt(buf, sys.end, { globals: lazyGlobals, persistentLoad: persistentAgain, build: (o, s) => build(o, s, where), source: where }).value;
}

/** Parses a torch.save file held in memory. Throws PickleError naming `where` on anything unsafe or malformed. */
export function parseTorchFile(buf: Uint8Array, where = 'checkpoint'): unknown {
  if (isZip(buf)) return loadZip(buf, where);
  if (buf.length > 2 && buf[0] === 0x80) return loadLegacy(buf, where);
  // Pre-0.4 torch wrote a tar archive ('ustar' at byte 257).
  if (buf.length > 262 && new TextDecoder().decode(buf.subarray(257, 262)) === 'ustar') {
    throw new PickleError(`${where}: the tar checkpoint format of PyTorch < 0.4 is not supported; re-save it with a newer torch`);
  }
  throw new PickleError(`${where}: not a PyTorch checkpoint (neither zip nor pickle)`);
}

/** Largest checkpoint file read (ProDA's ResNet-101 checkpoints with EMA weights are under 1 GB). */
export const MAX_CHECKPOINT_BYTES = 2 * 2 ** 30;

export async function readTorchFile(file: string): Promise<unknown> {
  return parseTorchFile(await readRegularFile(file, MAX_CHECKPOINT_BYTES, 'PyTorch checkpoint'), file);
}

/** Every tensor in a nested checkpoint object, keyed by dotted path of dict keys (e.g. `ResNet101.model_state.conv1.weight`). */
export function collectTensors(obj: unknown, prefix = ''): Map<string, TorchTensor> {
  const out = new Map<string, TorchTensor>();
  const walk = (v: unknown, p: string): void => {
    if (isTorchTensor(v)) out.set(p, v);
    else if (v instanceof Map) for (const [k, c] of v) walk(c, p ? `${p}.${String(k)}` : String(k));
  };
  walk(obj, prefix);
  return out;
}
