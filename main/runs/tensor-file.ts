// Named tensors in a safetensors-layout file: an 8-byte little-endian header length, a JSON header
// mapping each name to dtype, shape and byte range, then the raw little-endian data. Readable by the
// `safetensors` Python package, so checkpoints can be inspected outside the workbench.

export type TensorData = Float32Array | Int32Array | Uint8Array;

export interface NamedTensor {
  shape: number[];
  data: TensorData;
}
export type TensorMap = Record<string, NamedTensor>;

const dtypeOf = (a: TensorData): 'F32' | 'I32' | 'U8' =>
  a instanceof Float32Array ? 'F32' : a instanceof Int32Array ? 'I32' : 'U8';

interface HeaderEntry {
  dtype: 'F32' | 'I32' | 'U8';
  shape: number[];
  data_offsets: [number, number];
}

export function encodeTensors(tensors: TensorMap, metadata: Record<string, string> = {}): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, HeaderEntry | Record<string, string>> = { __metadata__: metadata };
  let offset = 0;
  for (const name of names) {
    const t = tensors[name];
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new Error(`tensor ${name}: shape [${t.shape}] holds ${count} values, data has ${t.data.length}`);
    header[name] = { dtype: dtypeOf(t.data), shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  // Pad the header so the data starts 8-byte aligned (typed-array views need aligned offsets).
  while ((8 + json.length) % 8 !== 0) json += ' ';
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const name of names) {
    const d = tensors[name].data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), pos);
    pos += d.byteLength;
  }
  return out;
}

/**
 * `share`: tensors are views into `bytes` where their offset allows one (the encoder aligns the data), so a
 * caller that owns the file buffer and only reads the tensors avoids copying it; a ResNet-101's 549 copies
 * held main's event loop for seconds on a loaded machine. Without it, every tensor owns its memory.
 */
export function decodeTensors(bytes: Uint8Array, where = 'tensor file', opts: { share?: boolean } = {}): { tensors: TensorMap; metadata: Record<string, string> } {
  if (bytes.length < 8) throw new Error(`${where}: too short to be a tensor file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > bytes.length - 8) throw new Error(`${where}: header length ${headerLen} exceeds the file`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen))) as Record<string, unknown>;
  } catch {
    throw new Error(`${where}: header is not JSON`);
  }
  const base = 8 + headerLen;
  const tensors: TensorMap = {};
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const e = raw as HeaderEntry;
    const [start, end] = e.data_offsets;
    if (end > bytes.length - base || start > end) throw new Error(`${where}: tensor ${name} lies outside the file`);
    const size = e.dtype === 'F32' || e.dtype === 'I32' ? 4 : 1;
    // Shared only where a typed array can start; otherwise (and without `share`) a copy that owns aligned memory.
    const shared = opts.share === true && (bytes.byteOffset + base + start) % size === 0 && (end - start) % size === 0;
    const src = shared ? bytes.subarray(base + start, base + end) : bytes.slice(base + start, base + end);
    const n = src.byteLength / size;
    const data =
      e.dtype === 'F32'
        ? new Float32Array(src.buffer, src.byteOffset, n)
        : e.dtype === 'I32'
          ? new Int32Array(src.buffer, src.byteOffset, n)
          : e.dtype === 'U8'
            ? src
            : null;
    if (!data) throw new Error(`${where}: tensor ${name} has unsupported dtype ${String(e.dtype)}`);
    tensors[name] = { shape: e.shape, data };
  }
  return { tensors, metadata: (header.__metadata__ as Record<string, string> | undefined) ?? {} };
}
