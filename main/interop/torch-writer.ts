// Writes files `torch.load` reads: the zip layout of torch.save (`<name>/data.pkl`, raw storages under
// `<name>/data/<key>`, `<name>/version`). The pickle only uses what torch's own writer emits for
// tensors in dicts (collections.OrderedDict, torch._utils._rebuild_tensor_v2, typed storages). Used to
// hand a workbench model back to the official code as `{'ResNet101': {'model_state', 'objective_vectors'},
// 'iter', 'best_iou'}`, which it reads with a plain torch.load. torch.load(weights_only=True) on torch 1.13
// (Debian 12's) refuses it: that unpickler has no BINFLOAT, so the float best_iou stops it, exactly as it
// stops torch.save's own output of any float (checked with /usr/bin/python3); without best_iou the same
// file loads there. Newer torch versions' weights-only loader reads floats; that is not verified here.
import { crc32 } from 'node:zlib';
import { DTYPE_BYTES, type TensorData, type TorchDtype, contiguousStrides, numel } from './torch-checkpoint';

export interface WritableTensor {
  dtype: TorchDtype;
  shape: number[];
  data: TensorData;
}

/** Python values the writer knows: dicts keep insertion order; `ordered` marks an OrderedDict. */
export type PyValue =
  | null
  | boolean
  | number
  | string
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'tensor'; tensor: WritableTensor }
  | { kind: 'dict'; ordered: boolean; entries: [string, PyValue][] };

const STORAGE_NAME: Record<TorchDtype, string> = {
  float32: 'FloatStorage',
  float64: 'DoubleStorage',
  float16: 'HalfStorage',
  bfloat16: 'BFloat16Storage',
  int64: 'LongStorage',
  int32: 'IntStorage',
  int16: 'ShortStorage',
  int8: 'CharStorage',
  uint8: 'ByteStorage',
  bool: 'BoolStorage',
};

class PickleWriter {
  private chunks: number[] = [];
  private readonly enc = new TextEncoder();
  readonly storages: Uint8Array[] = [];

  byte(...b: number[]): void {
    for (const x of b) this.chunks.push(x);
  }
  u32(v: number): void {
    this.byte(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  }
  str(s: string): void {
    const b = this.enc.encode(s);
    this.byte(0x58); // BINUNICODE
    this.u32(b.length);
    for (const x of b) this.chunks.push(x);
  }
  int(v: number): void {
    if (!Number.isSafeInteger(v)) throw new Error(`cannot pickle ${v} as an int`);
    if (v >= 0 && v < 256) this.byte(0x4b, v); // BININT1
    else if (v >= -0x80000000 && v <= 0x7fffffff) {
      this.byte(0x4a); // BININT
      this.u32(v >>> 0);
    } else {
      // LONG1: little-endian two's complement
      let x = BigInt(v);
      const bytes: number[] = [];
      for (let i = 0; i < 8; i++) {
        bytes.push(Number(x & 0xffn));
        x >>= 8n;
      }
      this.byte(0x8a, 8, ...bytes);
    }
  }
  float(v: number): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, false);
    this.byte(0x47, ...b); // BINFLOAT (big-endian)
  }
  global(module: string, name: string): void {
    this.byte(0x63); // GLOBAL
    for (const x of this.enc.encode(`${module}\n${name}\n`)) this.chunks.push(x);
  }
  tuple(items: (() => void)[]): void {
    this.byte(0x28); // MARK
    for (const f of items) f();
    this.byte(0x74); // TUPLE
  }
  orderedDict(): void {
    this.global('collections', 'OrderedDict');
    this.byte(0x29, 0x52); // EMPTY_TUPLE, REDUCE
  }

  tensor(t: WritableTensor): void {
    const n = numel(t.shape);
    if (t.data.length !== n) throw new Error(`tensor of shape [${t.shape}] has ${t.data.length} values`);
    const key = String(this.storages.length);
    this.storages.push(new Uint8Array(t.data.buffer, t.data.byteOffset, n * DTYPE_BYTES[t.dtype]));
    this.global('torch._utils', '_rebuild_tensor_v2');
    this.tuple([
      () => {
        this.tuple([() => this.str('storage'), () => this.global('torch', STORAGE_NAME[t.dtype]), () => this.str(key), () => this.str('cpu'), () => this.int(n)]);
        this.byte(0x51); // BINPERSID
      },
      () => this.int(0),
      () => this.tuple(t.shape.map((d) => () => this.int(d))),
      () => this.tuple(contiguousStrides(t.shape).map((d) => () => this.int(d))),
      () => this.byte(0x89), // requires_grad False
      () => this.orderedDict(), // backward hooks
    ]);
    this.byte(0x52); // REDUCE
  }

  value(v: PyValue): void {
    if (v === null) this.byte(0x4e);
    else if (v === true) this.byte(0x88);
    else if (v === false) this.byte(0x89);
    else if (typeof v === 'number') {
      if (Number.isInteger(v)) this.int(v);
      else this.float(v);
    }
    else if (typeof v === 'string') this.str(v);
    else if (v.kind === 'int') this.int(v.value);
    else if (v.kind === 'float') this.float(v.value);
    else if (v.kind === 'tensor') this.tensor(v.tensor);
    else {
      if (v.ordered) this.orderedDict();
      else this.byte(0x7d); // EMPTY_DICT
      if (v.entries.length) {
        this.byte(0x28);
        for (const [k, x] of v.entries) {
          this.str(k);
          this.value(x);
        }
        this.byte(0x75); // SETITEMS
      }
    }
  }

  finish(): Uint8Array {
    this.byte(0x2e); // STOP
    return Uint8Array.from(this.chunks);
  }
}

/** The pickle bytes plus the storages it references (key = index). */
function pickleWithStorages(obj: PyValue): { pickle: Uint8Array; storages: Uint8Array[] } {
  const w = new PickleWriter();
  w.byte(0x80, 2); // PROTO 2
  w.value(obj);
  return { pickle: w.finish(), storages: w.storages };
}

// ---------------------------------------------------------------------------------------------
// A store-only zip writer; entries start 64-byte aligned like torch's, so readers can map them.

interface Entry {
  name: Uint8Array;
  data: Uint8Array;
  crc: number;
  offset: number;
}

export function zipStore(files: [string, Uint8Array][]): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  const entries: Entry[] = [];
  let pos = 0;
  const push = (b: Uint8Array) => {
    parts.push(b);
    pos += b.length;
  };
  for (const [name, data] of files) {
    const nameBytes = enc.encode(name);
    // Pad the local header's extra field so the data starts on a 64-byte boundary.
    const base = pos + 30 + nameBytes.length;
    const pad = (64 - ((base + 4) % 64)) % 64;
    const extraLen = 4 + pad;
    const h = new Uint8Array(30 + nameBytes.length + extraLen);
    const v = new DataView(h.buffer);
    const crc = crc32(data);
    v.setUint32(0, 0x04034b50, true);
    v.setUint16(4, 20, true);
    v.setUint16(8, 0, true); // stored
    v.setUint32(14, crc, true);
    v.setUint32(18, data.length, true);
    v.setUint32(22, data.length, true);
    v.setUint16(26, nameBytes.length, true);
    v.setUint16(28, extraLen, true);
    h.set(nameBytes, 30);
    v.setUint16(30 + nameBytes.length, 0xcafe, true); // private padding field id
    v.setUint16(32 + nameBytes.length, pad, true);
    entries.push({ name: nameBytes, data, crc, offset: pos });
    if (pos + h.length + data.length > 0xffffffff) throw new Error('zip writer: archives over 4 GiB are not supported');
    push(h);
    push(data);
  }
  const cdStart = pos;
  for (const e of entries) {
    const c = new Uint8Array(46 + e.name.length);
    const v = new DataView(c.buffer);
    v.setUint32(0, 0x02014b50, true);
    v.setUint16(4, 20, true);
    v.setUint16(6, 20, true);
    v.setUint32(16, e.crc, true);
    v.setUint32(20, e.data.length, true);
    v.setUint32(24, e.data.length, true);
    v.setUint16(28, e.name.length, true);
    v.setUint32(42, e.offset, true);
    c.set(e.name, 46);
    push(c);
  }
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, pos - cdStart, true);
  ev.setUint32(16, cdStart, true);
  push(end);
  const out = new Uint8Array(pos);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A complete torch.save-compatible file for `obj`; `archive` names the folder inside the zip. */
export function encodeTorchFile(obj: PyValue, archive = 'archive'): Uint8Array {
  const { pickle, storages } = pickleWithStorages(obj);
  return zipStore([
    [`${archive}/data.pkl`, pickle],
    ...storages.map((s, i): [string, Uint8Array] => [`${archive}/data/${i}`, s]),
    [`${archive}/version`, new TextEncoder().encode('3\n')],
  ]);
}

/**
 * The official ProDA checkpoint dict (train.py:validation): the student's state dict under the
 * network class name, objective_vectors, iter, best_iou. `state` maps PyTorch keys to PyTorch-layout tensors.
 */
export function officialCheckpoint(
  state: [string, WritableTensor][],
  opts: { objectiveVectors?: WritableTensor | null; iteration: number; bestIou: number; className?: string },
): PyValue {
  const inner: [string, PyValue][] = [['model_state', { kind: 'dict', ordered: true, entries: state.map(([k, t]) => [k, { kind: 'tensor', tensor: t }]) }]];
  if (opts.objectiveVectors) inner.push(['objective_vectors', { kind: 'tensor', tensor: opts.objectiveVectors }]);
  return {
    kind: 'dict',
    ordered: false,
    entries: [
      [opts.className ?? 'ResNet101', { kind: 'dict', ordered: false, entries: inner }],
      ['iter', { kind: 'int', value: opts.iteration }],
      ['best_iou', { kind: 'float', value: opts.bestIou }],
    ],
  };
}
