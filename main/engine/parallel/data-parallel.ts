// Coordinator of data-parallel training over worker threads (see protocol.ts for the scheme).
import { Worker } from 'node:worker_threads';
import type { BackendPreference } from '../backend';
import type { HostBatch, Packed, ShardResult } from './protocol';
import { averagePacked, unpack } from './protocol';

export interface DataParallelOptions {
  /** Module URL (file://…) whose default export is a ParallelTask. */
  taskUrl: string;
  /** Passed to every replica's task.init, so all replicas start identical. */
  init: unknown;
  workers?: number;
  backend?: BackendPreference;
  /**
   * Worker entry. Default: worker.ts beside this file (vitest/tsx). Bundled builds pass the URL of
   * their bundled copy of parallel/worker.ts (it must be its own esbuild entry point).
   */
  workerUrl?: URL;
}

interface Reply {
  ok: boolean;
  error?: string;
  result?: ShardResult;
  weights?: Packed;
  backend?: string;
}


export class DataParallel {
  private steps = 0;
  private closed = false;

  private constructor(
    private readonly workers: Worker[],
    readonly backends: string[],
  ) {}

  static async create(o: DataParallelOptions): Promise<DataParallel> {
    const n = o.workers ?? 2;
    if (!(n >= 1)) throw new Error(`DataParallel: workers must be ≥ 1, got ${n}`);
    const workerData = { backend: o.backend ?? 'wasm', taskUrl: o.taskUrl };
    const url = o.workerUrl ?? new URL('./worker.ts', import.meta.url);
    const workers = Array.from({ length: n }, () => spawn(url, workerData));
    try {
      const replies = await Promise.all(workers.map((w) => call(w, { type: 'init', init: o.init })));
      return new DataParallel(workers, replies.map((r) => r.backend ?? '?'));
    } catch (err) {
      // A replica that failed to start must not leave its siblings running (they keep the process alive).
      await Promise.all(workers.map((w) => w.terminate()));
      throw err;
    }
  }

  get size(): number {
    return this.workers.length;
  }

  /**
   * One synchronous data-parallel step: shards[i] goes to worker i. Returns losses averaged over
   * workers (each worker's are means over its shard, so equal shards give the full-batch mean).
   */
  async step(shards: HostBatch[]): Promise<Record<string, number>> {
    this.assertOpen();
    if (shards.length !== this.workers.length) throw new Error(`DataParallel.step: ${shards.length} shards for ${this.workers.length} workers`);
    const step = this.steps;
    const results = await Promise.all(this.workers.map((w, i) => call(w, { type: 'grads', shard: shards[i], step })));
    const rs = results.map((r) => r.result as ShardResult);
    const grads = averagePacked(rs.map((r) => r.grads));
    const buffers = averagePacked(rs.map((r) => r.buffers));
    await Promise.all(this.workers.map((w) => call(w, { type: 'apply', grads, buffers, step })));
    this.steps += 1;
    const losses: Record<string, number> = {};
    for (const k of Object.keys(rs[0].losses)) losses[k] = rs.reduce((a, r) => a + r.losses[k], 0) / rs.length;
    return losses;
  }

  /** Weights of replica `index` (all replicas hold the same values). */
  async weights(index = 0): Promise<Record<string, { shape: number[]; data: Float32Array }>> {
    this.assertOpen();
    const r = await call(this.workers[index], { type: 'weights' });
    return unpack(r.weights as Packed);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled(this.workers.map((w) => call(w, { type: 'close' })));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('DataParallel: used after close()');
  }
}

/**
 * Bundled builds run worker.js directly. From TypeScript sources (vitest, tsx) the worker first
 * registers tsx's loader in its own thread: loader hooks given by --import do not reach workers.
 */
function spawn(workerUrl: URL, workerData: unknown): Worker {
  if (!workerUrl.pathname.endsWith('.ts')) return new Worker(workerUrl, { workerData });
  const api = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(workerUrl.href)}); });`;
  return new Worker(boot, { eval: true, workerData });
}

function call(w: Worker, msg: unknown): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const onMessage = (r: Reply) => {
      cleanup();
      if (r.ok) resolve(r);
      else reject(new Error(`parallel worker: ${r.error}`));
    };
    const onError = (e: Error) => {
      cleanup();
      reject(e);
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new Error(`parallel worker exited with code ${code}`));
    };
    const cleanup = () => {
      w.off('message', onMessage);
      w.off('error', onError);
      w.off('exit', onExit);
    };
    w.on('message', onMessage);
    w.on('error', onError);
    w.on('exit', onExit);
    w.postMessage(msg);
  });
}
