// Error maps compare a label layer against ground truth or any other reference layer. Without a
// focus class a pixel is simply right or wrong; with one, it is TP / FP / FN for that class, which is
// what a per-class IoU is built from.
import { IGNORE_LABEL } from '../../../shared/classes';

export const ErrorCode = {
  none: 0, // reference is ignore, or TN for the focus class
  tp: 1,
  fp: 2,
  fn: 3,
  wrong: 4, // class-agnostic mismatch
  right: 5, // class-agnostic match
} as const;

/** RGBA per code; `right` and `none` stay transparent so only the interesting pixels are painted. */
export const ERROR_COLORS: readonly (readonly [number, number, number, number] | null)[] = [
  null,
  [40, 200, 90, 255],
  [235, 50, 50, 255],
  [60, 120, 255, 255],
  [235, 50, 50, 255],
  null,
];

export function errorMap(pred: Uint8Array, ref: Uint8Array, focus: number | null = null): Uint8Array {
  if (pred.length !== ref.length) throw new Error(`error map: layers differ in size (${pred.length} vs ${ref.length} pixels)`);
  const out = new Uint8Array(pred.length);
  for (let i = 0; i < pred.length; i++) {
    const r = ref[i];
    if (r === IGNORE_LABEL) continue;
    const p = pred[i];
    if (focus === null) out[i] = p === r ? ErrorCode.right : ErrorCode.wrong;
    else if (p === focus && r === focus) out[i] = ErrorCode.tp;
    else if (p === focus) out[i] = ErrorCode.fp;
    else if (r === focus) out[i] = ErrorCode.fn;
  }
  return out;
}

export interface ErrorCounts {
  tp: number;
  fp: number;
  fn: number;
  wrong: number;
  right: number;
}

export function countErrors(codes: Uint8Array): ErrorCounts {
  const c = [0, 0, 0, 0, 0, 0];
  for (let i = 0; i < codes.length; i++) c[codes[i]]++;
  return { tp: c[1], fp: c[2], fn: c[3], wrong: c[4], right: c[5] };
}
