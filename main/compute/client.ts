// Main's side of the compute process: starts it on first use (tsx source in development, the bundled
// compute-process.js next to this module when built), keeps it for later requests, and turns its
// replies into promises. Cancelling kills the process (the only way to stop a native forward pass);
// what was pending rejects, and the next request starts a fresh one.
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InferenceInfo, Prediction, PredictOptions, Predictor, PredictorOptions, RgbBytes } from '../engine/predict';
import { AppError, type ErrorCode } from '../../shared/contract/errors';
import type { ComputeJob, FromCompute, ToCompute } from './protocol';

export function resolveComputeEntry(moduleUrl: string = import.meta.url): { file: string; execArgv: string[] } {
  const tsx = (): string[] => ['--import', import.meta.resolve('tsx')];
  const override = process.env.PRODA_COMPUTE_ENTRY;
  if (override) return { file: override, execArgv: override.endsWith('.ts') ? tsx() : [] };
  const here = path.dirname(fileURLToPath(moduleUrl));
  for (const bundled of [path.join(here, 'compute-process.js'), path.join(here, '..', 'node', 'compute-process.js')]) {
    if (existsSync(bundled)) return { file: bundled, execArgv: [] };
  }
  return { file: path.join(here, 'compute-process.ts'), execArgv: tsx() };
}

export class CancelledError extends Error {
  constructor() {
    super('compute request cancelled');
    this.name = 'CancelledError';
  }
}

type Without<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type Pending = { resolve: (m: FromCompute) => void; reject: (e: Error) => void; progress?: (m: Extract<FromCompute, { type: 'progress' }>) => void };

/** The child's error as the caller knows it: AppError with its code, or an Error with the original name. */
function rebuild(m: Extract<FromCompute, { type: 'error' }>): Error {
  if (m.name === 'AppError' && m.code) return new AppError(m.code as ErrorCode, m.message, { where: m.where, details: Array.isArray(m.details) ? (m.details as string[]) : undefined });
  const e = new Error(m.message) as Error & { details?: unknown };
  if (m.name) e.name = m.name;
  e.details = m.details;
  return e;
}

export class ComputeClient {
  private child: ChildProcess | null = null;
  private generation = 0;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Set by cancel(): the kill that follows restarts the process for every other caller. */
  private cancelling = false;

  constructor(private readonly entry = resolveComputeEntry()) {}

  private start(): ChildProcess {
    if (this.child) return this.child;
    const child = fork(this.entry.file, [], { execArgv: this.entry.execArgv, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.generation += 1;
    child.on('message', (m: FromCompute) => {
      if (m.type === 'ready') return;
      const p = this.pending.get(m.id);
      if (!p) return;
      if (m.type === 'progress') return p.progress?.(m);
      this.pending.delete(m.id);
      if (m.type === 'error') p.reject(rebuild(m));
      else p.resolve(m);
    });
    child.on('exit', (code, signal) => {
      if (this.child === child) {
        this.child = null;
        // Predictors opened in the dead process are gone with it.
        this.generation += 1;
      }
      // A kill asked for by cancel() stops one job, but every request in flight dies with the process: they
      // learn that it restarted, so a caller whose job was not the cancelled one opens its model again.
      const err =
        signal === 'SIGKILL' && this.cancelling
          ? new Error('the compute process was restarted (a request was cancelled): open the model again')
          : signal === 'SIGKILL'
            ? new CancelledError()
            : new Error(`the compute process exited (${signal ?? code})`);
      this.cancelling = false;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    });
    this.child = child;
    return child;
  }

  private request(m: Without<ToCompute, 'id'>, progress?: Pending['progress']): Promise<FromCompute> {
    const child = this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, progress });
      child.send({ ...m, id } as ToCompute);
    });
  }

  /** A predictor living in the compute process, for a model source (run id or import:<id>). */
  async open(workspace: string, ref: string, options?: PredictorOptions): Promise<Predictor> {
    const r = await this.request({ type: 'open', workspace, ref, options });
    if (r.type !== 'opened') throw new Error(`compute process: unexpected reply ${r.type}`);
    const generation = this.generation;
    const handle = r.predictor;
    const alive = () => this.generation === generation && this.child !== null;
    return {
      info: r.info as InferenceInfo,
      predict: async (images: readonly RgbBytes[], opts?: PredictOptions): Promise<Prediction[]> => {
        if (!alive()) throw new Error('the compute process was restarted: open the model again');
        const res = await this.request({ type: 'predict', predictor: handle, images: [...images], options: opts });
        if (res.type !== 'predicted') throw new Error(`compute process: unexpected reply ${res.type}`);
        return res.predictions;
      },
      dispose: async (): Promise<void> => {
        if (alive()) await this.request({ type: 'close', predictor: handle });
      },
    };
  }

  /** Runs an export job in the compute process, with its progress. */
  async job<T>(job: ComputeJob, onProgress?: (step: string, done: number, total: number, message: string) => void): Promise<T> {
    const r = await this.request({ type: 'job', job }, (p) => onProgress?.(p.step, p.done, p.total, p.message));
    if (r.type !== 'done') throw new Error(`compute process: unexpected reply ${r.type}`);
    return r.result as T;
  }

  /**
   * Stops whatever the process is doing: pending requests reject with a "restarted" error (the service
   * that cancelled knows which of its jobs it cancelled; the others retry).
   */
  cancel(): void {
    if (!this.child) return;
    this.cancelling = true;
    this.child.kill('SIGKILL');
  }

  close(): void {
    const c = this.child;
    this.child = null;
    c?.disconnect();
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }
}
