// Minimal MATLAB v5 .mat reader: enough for GTA5's split.mat (numeric vectors trainIds/valIds/testIds),
// compressed or not, either byte order. Cells, structs, sparse and character arrays are skipped.
import zlib from 'node:zlib';
import { AppError } from '../../../shared/contract/errors';

const MI = { INT8: 1, UINT8: 2, INT16: 3, UINT16: 4, INT32: 5, UINT32: 6, SINGLE: 7, DOUBLE: 9, INT64: 12, UINT64: 13, MATRIX: 14, COMPRESSED: 15 };
/** Numeric miTypes and the DataView getter that reads one value; its bit width gives the size. */
const GETTERS: Record<number, 'getInt8' | 'getUint8' | 'getInt16' | 'getUint16' | 'getInt32' | 'getUint32' | 'getFloat32' | 'getFloat64' | 'getBigInt64' | 'getBigUint64'> = {
  [MI.INT8]: 'getInt8', [MI.UINT8]: 'getUint8', [MI.INT16]: 'getInt16', [MI.UINT16]: 'getUint16', [MI.INT32]: 'getInt32',
  [MI.UINT32]: 'getUint32', [MI.SINGLE]: 'getFloat32', [MI.DOUBLE]: 'getFloat64', [MI.INT64]: 'getBigInt64', [MI.UINT64]: 'getBigUint64',
};
const sizeOf = (getter: string): number => Number(/\d+/.exec(getter)![0]) / 8;
/** mxClass ids of numeric arrays (double, single, int8..uint64). */
const NUMERIC_CLASSES = new Set([6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);

export function readMatNumeric(bytes: Uint8Array, file: string): Map<string, number[]> {
  const bad = (msg: string): AppError => new AppError('bad-input', `${file}: ${msg}`, { where: file });
  if (bytes.length < 128) throw bad('not a MATLAB v5 .mat file (too short)');
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 116));
  if (head.startsWith('MATLAB 7.3') || bytes[0] === 0x89) throw bad('MATLAB 7.3 (HDF5) .mat files are not supported; re-save with -v7');
  const endian = String.fromCharCode(bytes[126], bytes[127]);
  if (endian !== 'IM' && endian !== 'MI') throw bad('not a MATLAB v5 .mat file (no endian indicator)');
  const le = endian === 'IM';
  const out = new Map<string, number[]>();

  const readElements = (buf: Uint8Array, start: number, topLevel: boolean): void => {
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let pos = start;
    while (pos + 8 <= buf.length) {
      const { type, n, dataStart, next } = tag(view, pos, le);
      if (dataStart + n > buf.length) throw bad('truncated data element');
      const body = buf.subarray(dataStart, dataStart + n);
      if (type === MI.COMPRESSED) {
        let inflated: Uint8Array;
        try {
          inflated = zlib.inflateSync(body);
        } catch (err) {
          throw bad(`compressed element does not inflate (${(err as Error).message})`);
        }
        readElements(inflated, 0, topLevel);
        pos = dataStart + n;
      } else {
        if (type === MI.MATRIX) readMatrix(body);
        pos = next;
      }
    }
  };

  const readMatrix = (buf: Uint8Array): void => {
    if (buf.length === 0) return;
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const flags = tag(view, 0, le);
    const mxClass = view.getUint32(flags.dataStart, le) & 0xff;
    const complex = (view.getUint32(flags.dataStart, le) >> 11) & 1;
    const dims = tag(view, flags.next, le);
    const name = tag(view, dims.next, le);
    const varName = new TextDecoder('latin1').decode(buf.subarray(name.dataStart, name.dataStart + name.n));
    if (!NUMERIC_CLASSES.has(mxClass) || complex) return;
    const real = tag(view, name.next, le);
    const getter = GETTERS[real.type];
    if (!getter) return;
    const size = sizeOf(getter);
    const read = view[getter].bind(view) as (p: number, le: boolean) => number | bigint;
    const values: number[] = [];
    for (let i = 0; i < real.n / size; i++) values.push(Number(read(real.dataStart + i * size, le)));
    out.set(varName, values);
  };

  readElements(bytes, 128, true);
  return out;
}

function tag(view: DataView, pos: number, le: boolean): { type: number; n: number; dataStart: number; next: number } {
  const first = view.getUint32(pos, le);
  // Small data element: size in the upper 16 bits, data in the tag's second word.
  if (first >>> 16 !== 0) return { type: first & 0xffff, n: first >>> 16, dataStart: pos + 4, next: pos + 8 };
  const n = view.getUint32(pos + 4, le);
  return { type: first, n, dataStart: pos + 8, next: pos + 8 + Math.ceil(n / 8) * 8 };
}
