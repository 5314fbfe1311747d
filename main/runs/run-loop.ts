// The body of a run process: read the run folder, build the stage program, continue from the last
// good checkpoint when resuming, iterate with cancellation checked between iterations, and write
// metrics, checkpoints and the report. Progress goes to the supervisor at a steady rate.
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { isTrainingConfig, type RunConfig } from '../../shared/runs-config';
import type { EvalResult, RunProgress } from '../../shared/contract/runs';
import { loadLatestCheckpoint, saveCheckpoint } from '../artifacts/checkpoints';
import { appendLog, appendMetric, readConfig, readEnv, writeEnv, writeReport } from '../artifacts/records';
import { runPaths } from '../artifacts/layout';
import type { ParentChannel } from './channel';
import type { StageProgram, StageRegistry, StepResult } from './program';
import { resolveInside } from '../io/paths';

export interface RunLoopOptions {
  runDir: string;
  resume: boolean;
  registry: StageRegistry;
  channel: ParentChannel | null;
  /** True once the supervisor (or SIGTERM) asked the run to stop. */
  cancelRequested: () => boolean;
  /** Minimum milliseconds between progress events (the first and last are always sent). */
  progressIntervalMs?: number;
}

const PACKAGES = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'zod'];

function packageVersions(): Record<string, string> {
  const req = createRequire(import.meta.url);
  const out: Record<string, string> = {};
  for (const name of PACKAGES) {
    try {
      out[name] = (req(`${name}/package.json`) as { version: string }).version;
    } catch {
      /* not installed: absent from the record */
    }
  }
  out.node = process.versions.node;
  return out;
}

function gitCommit(cwd: string): string | null {
  try {
    const sha = execFileSync('git', ['rev-parse', 'HEAD'], { cwd, stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd, stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 })
      .toString()
      .trim();
    return dirty ? `${sha}-dirty` : sha;
  } catch {
    return null;
  }
}

const effectiveBatch = (c: RunConfig): number | null => (isTrainingConfig(c) ? c.optim.batchSize : null);

/** Iterations (or items) per second over a sliding window, so the ETA follows the current speed. */
class Speed {
  private points: [number, number][] = [];
  tick(now: number, done: number): void {
    // A one-shot stage may make several passes (eval with BN both ways): a new pass restarts the window.
    if (this.points.length && done < this.points[this.points.length - 1][1]) this.points = [];
    this.points.push([now, done]);
    if (this.points.length > 20) this.points.shift();
  }
  perSec(): number {
    const n = this.points.length;
    if (n < 2) return 0;
    const dt = (this.points[n - 1][0] - this.points[0][0]) / 1000;
    return dt > 0 ? Math.max(0, (this.points[n - 1][1] - this.points[0][1]) / dt) : 0;
  }
}

// Log lines are appended in order, and the process waits for them before it reports its end.
let logQueue: Promise<void> = Promise.resolve();
export const flushLog = (): Promise<void> => logQueue;

export async function runLoop(opts: RunLoopOptions): Promise<'succeeded' | 'cancelled'> {
  const { runDir, channel } = opts;
  const runId = path.basename(runDir);
  const workspace = path.dirname(path.dirname(runDir));
  const p = runPaths(runDir);
  const interval = opts.progressIntervalMs ?? 500;
  const cancelled = opts.cancelRequested;

  const log = (line: string): void => {
    logQueue = logQueue.then(() => appendLog(runDir, line)).catch(() => {});
    channel?.send({ type: 'log', line });
  };

  const config = await readConfig(runDir);
  const backend = await opts.registry.setup();
  const previousEnv = await readEnv(runDir);
  await writeEnv(runDir, {
    seed: config.seed,
    effectiveBatchSize: effectiveBatch(config),
    backend: backend.name,
    backendDetail: backend.detail,
    versions: packageVersions(),
    gitCommit: gitCommit(process.cwd()),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    startedAt: previousEnv?.startedAt ?? new Date().toISOString(),
  });
  if (previousEnv && previousEnv.backend !== backend.name) log(`warning: backend changed on resume (${previousEnv.backend} → ${backend.name})`);

  const factory = opts.registry.factories[config.stage];
  if (!factory) throw new Error(`this build has no implementation for stage "${config.stage}"`);

  let lastVal: { iteration: number; miou: number } | null = null;
  let lastEmit = 0;
  const started = Date.now();
  const cpu0 = process.cpuUsage();
  const speed = new Speed();
  let iterations = 0;
  let program: StageProgram | null = null;

  const emit = (iteration: number, step: StepResult | null, force: boolean): void => {
    const now = Date.now();
    if (!force && now - lastEmit < interval) return;
    lastEmit = now;
    const ips = speed.perSec();
    const mem = process.memoryUsage();
    const progress: RunProgress = {
      runId,
      stage: config.stage,
      iteration,
      iterations,
      losses: step?.losses ?? {},
      lr: step?.lr ?? 0,
      itPerSec: ips,
      etaSec: ips > 0 ? Math.max(0, iterations - iteration) / ips : null,
      memory: { rssMb: mem.rss / 2 ** 20, heapMb: mem.heapUsed / 2 ** 20, numTensors: program?.numTensors?.() ?? null },
      val: lastVal,
      time: new Date(now).toISOString(),
    };
    channel?.send({ type: 'progress', progress });
  };

  const ctx = {
    config,
    runId,
    runDir,
    workspace,
    artifactsDir: p.artifacts,
    resolveRun: (id: string) => resolveInside(path.dirname(runDir), id),
    log,
    reportItems: (done: number, total: number) => {
      iterations = total;
      speed.tick(Date.now(), done);
      emit(done, null, done === total);
    },
    cancelled,
  };

  program = await factory(ctx);
  iterations = program.iterations;
  const every = isTrainingConfig(config) ? config.checkpoint : { every: Number.MAX_SAFE_INTEGER, keep: 1 };
  const valEvery = isTrainingConfig(config) ? config.validation.every : 0;

  const checkpoint = async (iteration: number): Promise<void> => {
    if (!program || program.iterations === 0) return;
    const snap = await program.snapshot();
    await saveCheckpoint(p.checkpoints, iteration, snap.tensors, snap.state, every.keep);
    channel?.send({ type: 'checkpoint', iteration });
  };
  const validate = async (iteration: number): Promise<EvalResult | null> => {
    if (!program?.validate) return null;
    const result = await program.validate();
    lastVal = { iteration, miou: result.miou };
    await appendMetric(runDir, { iteration, time: new Date().toISOString(), val: result.miou });
    channel?.send({ type: 'validation', iteration, result });
    log(`validation at ${iteration}: mIoU ${(result.miou * 100).toFixed(2)} (BN ${result.bn})`);
    return result;
  };

  try {
    let start = 0;
    if (opts.resume) {
      const ckpt = await loadLatestCheckpoint(p.checkpoints, (msg) => log(`corrupt checkpoint skipped: ${msg}`));
      if (ckpt) {
        await program.restore(ckpt);
        start = ckpt.meta.iteration;
        log(`resumed from checkpoint at iteration ${start}`);
      } else {
        log('resume requested but no usable checkpoint: starting from iteration 0');
      }
    } else {
      log(`started ${config.stage} (${iterations} iterations, seed ${config.seed}, backend ${backend.name})`);
    }

    let last: StepResult | null = null;
    for (let it = start; it < iterations; it++) {
      if (cancelled()) {
        await checkpoint(it);
        log(`cancelled at iteration ${it}; checkpoint written`);
        emit(it, last, true);
        return 'cancelled';
      }
      last = await program.step(it);
      const done = it + 1;
      speed.tick(Date.now(), done);
      await appendMetric(runDir, { iteration: done, time: new Date().toISOString(), lr: last.lr, losses: last.losses });
      emit(done, last, done === iterations);
      if (done < iterations && done % every.every === 0) await checkpoint(done);
      if (valEvery > 0 && done < iterations && done % valEvery === 0) await validate(done);
    }
    // One-shot stages report items through reportItems (which resets `iterations`), so test the program.
    const oneShot = program.iterations === 0;
    if (!oneShot) await checkpoint(iterations);
    if (cancelled() && oneShot) return 'cancelled';

    const fin = await program.finish();
    // A one-shot stage stopped part-way has partial results: never report them as a success.
    if (cancelled() && oneShot) {
      log('cancelled before the end; partial results discarded');
      return 'cancelled';
    }
    const final = fin.final;
    if (final) {
      lastVal = { iteration: iterations, miou: final.miou };
      await appendMetric(runDir, { iteration: iterations, time: new Date().toISOString(), val: final.miou });
    }
    await writeReport(runDir, {
      runId,
      stage: config.stage,
      iterations,
      seconds: (Date.now() - started) / 1000,
      cpuSeconds: ((c) => (c.user + c.system) / 1e6)(process.cpuUsage(cpu0)),
      final,
      evals: fin.evals ?? (final ? [final] : []),
      artifacts: fin.artifacts,
      finalLosses: last?.losses ?? {},
      notes: [...config.notes, ...(fin.notes ?? [])],
      ...(fin.corrections ? { corrections: fin.corrections } : {}),
    });
    emit(iterations, last, true);
    log(final ? `finished: mIoU ${(final.miou * 100).toFixed(2)} (BN ${final.bn})` : 'finished');
    return 'succeeded';
  } finally {
    program.dispose();
  }
}
