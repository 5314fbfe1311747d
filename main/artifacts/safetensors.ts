// The one safetensors codec (https://huggingface.co/docs/safetensors): u64 little-endian header size,
// a JSON header {name: {dtype, shape, data_offsets: [begin, end]}, __metadata__: {str: str}}, then
// the raw little-endian bytes. Run checkpoints and model artifacts use it (as a TensorMap of float32,
// int32 and uint8 arrays, readable by the `safetensors` Python package); exports use it with PyTorch
// state-dict names and layouts, so `safetensors.torch.load_file(...)` feeds `model.load_state_dict(...)`.
// Reading treats the file as hostile: header length, offsets and byte ranges are checked against the
// file and the shape before anything is copied.
import { writeFileAtomic } from '../io/atomic';
import { readRegularFile, withRegularFile } from '../io/bounded-read';
import { DTYPE_BYTES, MAX_CHECKPOINT_BYTES, type TensorData, type TorchDtype, numel } from '../interop/torch-checkpoint';

const TO_ST: Record<TorchDtype, string> = {
  float32: 'F32',
  float64: 'F64',
  float16: 'F16',
  bfloat16: 'BF16',
  int64: 'I64',
  int32: 'I32',
  int16: 'I16',
  int8: 'I8',
  uint8: 'U8',
  bool: 'BOOL',
};
// A Map, so a header dtype such as "constructor" finds nothing.
const FROM_ST = new Map<string, TorchDtype>(Object.entries(TO_ST).map(([k, v]) => [v, k as TorchDtype]));

export interface StTensor {
  dtype: TorchDtype;
  shape: number[];
  data: TensorData;
}

export class SafetensorsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SafetensorsError';
  }
}

/** Encodes tensors in the order given (names sorted by the spec's reference writer; order does not matter to readers). */
export function encodeSafetensors(tensors: ReadonlyMap<string, StTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of tensors) {
    const n = numel(t.shape);
    if (n !== t.data.length) throw new SafetensorsError(`tensor ${name}: shape [${t.shape}] holds ${n} values, data has ${t.data.length}`);
    const bytes = n * DTYPE_BYTES[t.dtype];
    header[name] = { dtype: TO_ST[t.dtype], shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  // The spec allows trailing spaces; padding to 8 keeps every typed-array view aligned on read.
  const enc = new TextEncoder();
  while ((8 + enc.encode(json).length) % 8 !== 0) json += ' ';
  const headerBytes = enc.encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const t of tensors.values()) {
    const d = t.data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), pos);
    pos += d.byteLength;
  }
  return out;
}

/**
 * The tensor's typed array. With `share`, a view into the caller's buffer wherever the offset allows one
 * (the encoder aligns data): a reader that owns a freshly read file buffer then copies nothing (copying a
 * ResNet-101's 549 tensors held main's event loop for seconds on a loaded machine). Otherwise, or where
 * the offset is misaligned, a copy in its own aligned memory.
 */
function view(dtype: TorchDtype, bytes: Uint8Array, share: boolean): TensorData {
  const size = DTYPE_BYTES[dtype];
  const b = share && bytes.byteOffset % size === 0 ? bytes : bytes.slice();
  const n = b.byteLength / size;
  switch (dtype) {
    case 'float32':
      return new Float32Array(b.buffer, b.byteOffset, n);
    case 'float64':
      return new Float64Array(b.buffer, b.byteOffset, n);
    case 'float16':
    case 'bfloat16':
      return new Uint16Array(b.buffer, b.byteOffset, n);
    case 'int64':
      return new BigInt64Array(b.buffer, b.byteOffset, n);
    case 'int32':
      return new Int32Array(b.buffer, b.byteOffset, n);
    case 'int16':
      return new Int16Array(b.buffer, b.byteOffset, n);
    case 'int8':
      return new Int8Array(b.buffer, b.byteOffset, n);
    default:
      return b;
  }
}

interface HeaderEntry {
  name: string;
  dtype: TorchDtype;
  shape: number[];
  /** Byte range within the data section (after the header). */
  start: number;
  end: number;
}

/** The header's length from the file's first 8 bytes, checked against the file's size. */
function headerLength(first8: Uint8Array, fileSize: number, where: string): number {
  if (fileSize < 8 || first8.length < 8) throw new SafetensorsError(`${where}: too short to be a safetensors file`);
  const headerLen = Number(new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true));
  if (headerLen > fileSize - 8) throw new SafetensorsError(`${where}: header length ${headerLen} exceeds the file`);
  return headerLen;
}

/** The header's tensor entries, each checked against the data section's size and its own shape. */
function parseHeader(json: Uint8Array, dataSize: number, where: string): { entries: HeaderEntry[]; metadata: Record<string, string> } {
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(json));
  } catch {
    throw new SafetensorsError(`${where}: header is not JSON`);
  }
  if (!isObject(header)) throw new SafetensorsError(`${where}: header is not a JSON object`);
  const entries: HeaderEntry[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (!isObject(raw)) throw new SafetensorsError(`${where}: tensor ${name} has no header entry`);
    const e = raw as { dtype?: unknown; shape?: number[]; data_offsets?: [number, number] };
    const dtype = FROM_ST.get(String(e.dtype));
    if (!dtype) throw new SafetensorsError(`${where}: tensor ${name} has unsupported dtype ${String(e.dtype)}`);
    if (!Array.isArray(e.shape) || !Array.isArray(e.data_offsets)) throw new SafetensorsError(`${where}: tensor ${name} lacks shape or data_offsets`);
    const [start, end] = e.data_offsets;
    if (!e.shape.every((d) => Number.isSafeInteger(d) && d >= 0) || ![start, end].every((o) => Number.isSafeInteger(o) && o >= 0)) {
      throw new SafetensorsError(`${where}: tensor ${name} has a shape or data offsets that are not non-negative integers`);
    }
    if (start > end || end > dataSize) throw new SafetensorsError(`${where}: tensor ${name} lies outside the file`);
    if (end - start !== numel(e.shape) * DTYPE_BYTES[dtype]) throw new SafetensorsError(`${where}: tensor ${name} byte range does not match shape [${e.shape}]`);
    entries.push({ name, dtype, shape: e.shape, start, end });
  }
  const metadata = header.__metadata__;
  return { entries, metadata: isObject(metadata) ? (metadata as Record<string, string>) : {} };
}

export function decodeSafetensors(bytes: Uint8Array, where = 'safetensors', opts: { share?: boolean } = {}): { tensors: Map<string, StTensor>; metadata: Record<string, string> } {
  const base = 8 + headerLength(bytes, bytes.length, where);
  const { entries, metadata } = parseHeader(bytes.subarray(8, base), bytes.length - base, where);
  const tensors = new Map<string, StTensor>();
  for (const e of entries) tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: view(e.dtype, bytes.subarray(base + e.start, base + e.end), opts.share === true) });
  return { tensors, metadata };
}

/**
 * Only the tensors `keep` selects, each read at its own offset: the rest of the file is never read (a
 * model's prototypes without its 170 MB of weights). The same checks as a whole-file decode.
 */
export async function readSafetensorsSubset(file: string, keep: (name: string) => boolean): Promise<{ tensors: Map<string, StTensor>; metadata: Record<string, string> }> {
  return withRegularFile(file, MAX_CHECKPOINT_BYTES, 'safetensors file', async (read, size) => {
    const base = 8 + headerLength(await read(0, Math.min(8, size)), size, file);
    const { entries, metadata } = parseHeader(await read(8, base - 8), size - base, file);
    const tensors = new Map<string, StTensor>();
    for (const e of entries) if (keep(e.name)) tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: view(e.dtype, await read(base + e.start, e.end - e.start), true) });
    return { tensors, metadata };
  });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export async function writeSafetensorsFile(file: string, tensors: ReadonlyMap<string, StTensor>, metadata?: Record<string, string>): Promise<void> {
  await writeFileAtomic(file, encodeSafetensors(tensors, metadata));
}

export async function readSafetensorsFile(file: string): Promise<{ tensors: Map<string, StTensor>; metadata: Record<string, string> }> {
  return decodeSafetensors(await readRegularFile(file, MAX_CHECKPOINT_BYTES, 'safetensors file'), file, { share: true });
}

// The run folder's view of the same files: named float32 / int32 / uint8 arrays, names sorted on write.

export type RunTensorData = Float32Array | Int32Array | Uint8Array;
export interface NamedTensor {
  shape: number[];
  data: RunTensorData;
}
export type TensorMap = Record<string, NamedTensor>;

const runDtype = (a: RunTensorData): TorchDtype => (a instanceof Float32Array ? 'float32' : a instanceof Int32Array ? 'int32' : 'uint8');

export function encodeTensors(tensors: TensorMap, metadata: Record<string, string> = {}): Uint8Array {
  const named = Object.keys(tensors)
    .sort()
    .map((name): [string, StTensor] => [name, { dtype: runDtype(tensors[name].data), shape: tensors[name].shape, data: tensors[name].data }]);
  return encodeSafetensors(new Map(named), metadata);
}

export function decodeTensors(bytes: Uint8Array, where = 'tensor file', opts: { share?: boolean } = {}): { tensors: TensorMap; metadata: Record<string, string> } {
  return asRunTensors(decodeSafetensors(bytes, where, opts), where);
}

function asRunTensors(decoded: { tensors: Map<string, StTensor>; metadata: Record<string, string> }, where: string): { tensors: TensorMap; metadata: Record<string, string> } {
  const tensors: TensorMap = {};
  for (const [name, t] of decoded.tensors) {
    if (t.dtype !== 'float32' && t.dtype !== 'int32' && t.dtype !== 'uint8') throw new SafetensorsError(`${where}: tensor ${name} has dtype ${t.dtype}; run files hold float32, int32 and uint8`);
    tensors[name] = { shape: t.shape, data: t.data as RunTensorData };
  }
  return { tensors, metadata: decoded.metadata };
}

/**
 * A run file's tensors (only those `keep` selects, when given: the rest is never read); a missing file is
 * named as such (an upstream run that has not finished).
 */
export async function readTensorsFile(file: string, keep?: (name: string) => boolean): Promise<TensorMap> {
  let decoded: { tensors: Map<string, StTensor>; metadata: Record<string, string> };
  try {
    // A whole-file buffer is allocated for this read alone: its tensors may be views into it.
    decoded = keep ? await readSafetensorsSubset(file, keep) : decodeSafetensors(await readRegularFile(file, MAX_CHECKPOINT_BYTES, 'tensor file'), file, { share: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`${file}: missing (did the upstream run finish?)`);
    throw err;
  }
  return asRunTensors(decoded, file).tensors;
}
