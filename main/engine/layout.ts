// Channel-first ↔ channel-last: one transpose of a rows×cols row-major matrix serves every case. An
// HWC map is an (h·w)×C matrix, its CHW form the C×(h·w) transpose; a Linear weight's PyTorch and tfjs
// layouts are transposes too. Plain arrays only, so code outside the engine can use it without tensors.

/** out[c·rows + r] = src[r·cols + c]; `out` may be a view into a larger buffer (one image of a batch). */
export function transpose2d(src: ArrayLike<number>, rows: number, cols: number, out: Float32Array = new Float32Array(rows * cols)): Float32Array {
  if (src.length < rows * cols || out.length < rows * cols) throw new Error(`transpose2d: ${rows}×${cols} needs ${rows * cols} values (source ${src.length}, target ${out.length})`);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = src[r * cols + c];
  return out;
}

/** h·w pixels of `channels` values each (HWC) → channel planes (CHW). */
export const hwcToChw = (hwc: ArrayLike<number>, pixels: number, channels: number, out?: Float32Array): Float32Array => transpose2d(hwc, pixels, channels, out);

/** Channel planes (CHW) → pixels of `channels` values each (HWC). */
export const chwToHwc = (chw: ArrayLike<number>, channels: number, pixels: number, out?: Float32Array): Float32Array => transpose2d(chw, channels, pixels, out);
