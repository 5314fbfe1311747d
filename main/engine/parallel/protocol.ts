// Data-parallel training across worker threads: the task contract and the flat tensor packing.
//
// Why: tfjs-backend-wasm runs one thread in Node, so one process uses one core. Each worker thread
// owns its own wasm instance and a full replica (net + optimiser state). A step sends each worker one
// shard of the batch; workers return gradients (and BN running statistics); the coordinator averages
// them and sends the average back; every replica applies the identical update, so weights stay
// bit-identical without ever being broadcast. BN normalises per shard, like torch DataParallel with
// plain BatchNorm (not SyncBN); running statistics are averaged over workers after each step.

/** Named float32 arrays, flattened into one transferable buffer. */
export interface Packed {
  names: string[];
  shapes: number[][];
  offsets: number[];
  data: Float32Array;
}

export function pack(arrays: Record<string, { shape: number[]; data: Float32Array }>): Packed {
  const names = Object.keys(arrays);
  const shapes = names.map((n) => arrays[n].shape);
  const offsets: number[] = [];
  let total = 0;
  for (const n of names) {
    offsets.push(total);
    total += arrays[n].data.length;
  }
  const data = new Float32Array(total);
  names.forEach((n, i) => data.set(arrays[n].data, offsets[i]));
  return { names, shapes, offsets, data };
}

export function unpack(p: Packed): Record<string, { shape: number[]; data: Float32Array }> {
  const out: Record<string, { shape: number[]; data: Float32Array }> = {};
  p.names.forEach((n, i) => {
    const end = i + 1 < p.offsets.length ? p.offsets[i + 1] : p.data.length;
    out[n] = { shape: p.shapes[i], data: p.data.subarray(p.offsets[i], end) };
  });
  return out;
}

/** Elementwise mean of packs with identical layout (written into a new pack). */
export function averagePacked(packs: Packed[]): Packed {
  const first = packs[0];
  for (const p of packs) {
    if (p.names.join('\u0000') !== first.names.join('\u0000') || p.data.length !== first.data.length) {
      throw new Error('averagePacked: workers returned differently laid-out gradients');
    }
  }
  const data = new Float32Array(first.data.length);
  for (const p of packs) for (let i = 0; i < data.length; i++) data[i] += p.data[i];
  const inv = 1 / packs.length;
  for (let i = 0; i < data.length; i++) data[i] *= inv;
  return { names: first.names, shapes: first.shapes, offsets: first.offsets, data };
}

/** What a worker's task computes for one shard. */
export interface ShardResult {
  /** Scalar losses of the shard (averaged over workers by the coordinator). */
  losses: Record<string, number>;
  grads: Packed;
  /** Non-trainable buffers after the forward (BN running statistics). */
  buffers: Packed;
}

/** Host-side batch: named arrays with shapes, first dimension = samples. */
export type HostBatch = Record<string, { shape: number[]; data: Float32Array | Int32Array }>;

/**
 * A module loaded by every worker (default export). All methods run inside the worker, on its own
 * tfjs backend; nothing tensor-valued crosses the thread boundary.
 */
export interface ParallelTask<Init = unknown> {
  init(init: Init): void | Promise<void>;
  grads(shard: HostBatch, step: number): Promise<ShardResult>;
  apply(grads: Packed, buffers: Packed, step: number): void;
  weights(): Promise<Record<string, { shape: number[]; data: Float32Array }>>;
  dispose?(): void;
}

/** Splits every array of a batch along its first dimension into `n` contiguous shards. */
export function splitBatch(batch: HostBatch, n: number): HostBatch[] {
  const names = Object.keys(batch);
  if (names.length === 0) throw new Error('splitBatch: empty batch');
  const size = batch[names[0]].shape[0];
  if (size < n) throw new Error(`splitBatch: batch of ${size} cannot feed ${n} workers`);
  for (const k of names) {
    if (batch[k].shape[0] !== size) throw new Error(`splitBatch: '${k}' has ${batch[k].shape[0]} samples, '${names[0]}' has ${size}`);
  }
  const shards: HostBatch[] = [];
  let start = 0;
  for (let i = 0; i < n; i++) {
    const count = Math.floor(size / n) + (i < size % n ? 1 : 0);
    const shard: HostBatch = {};
    for (const k of names) {
      const { shape, data } = batch[k];
      const per = data.length / shape[0];
      shard[k] = { shape: [count, ...shape.slice(1)], data: data.slice(start * per, (start + count) * per) };
    }
    shards.push(shard);
    start += count;
  }
  return shards;
}
