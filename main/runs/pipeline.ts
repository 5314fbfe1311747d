// Runs a stage graph: each step names the steps it reads (needs) and builds its config from their run
// ids. Independent steps run side by side up to `concurrency` (each run is its own single-threaded
// process, so two use both cores of a small machine). A step whose run already succeeded is reused
// and a cancelled or failed one resumed, so re-running a pipeline continues where it stopped.
import { promises as fsp } from 'node:fs';
import { AppError } from '../../shared/contract/errors';
import type { RunConfigInput } from '../../shared/runs-config';
import type { RunStatus } from '../../shared/contract/runs';
import { readStatus, runDir } from './records';
import type { RunSupervisor } from './supervisor';

export interface PipelineStep {
  key: string;
  /** Keys of the steps whose runs this one reads. */
  needs: string[];
  config: (runIds: Record<string, string>) => RunConfigInput;
}

export interface PipelineHooks {
  onStep?: (key: string, id: string, how: 'start' | 'reuse' | 'resume') => void;
  /** Lets the caller follow a run (Ctrl-C handling, progress); defaults to waiting for it. */
  follow?: (id: string) => Promise<RunStatus>;
  concurrency?: number;
}

export async function runPipeline(sup: RunSupervisor, steps: PipelineStep[], idPrefix: string, hooks: PipelineHooks = {}): Promise<Record<string, string>> {
  const keys = new Set(steps.map((s) => s.key));
  for (const s of steps) for (const n of s.needs) if (!keys.has(n)) throw new Error(`pipeline step ${s.key} needs unknown step ${n}`);
  const follow = hooks.follow ?? ((id: string) => sup.wait(id));
  const limit = Math.max(1, hooks.concurrency ?? 1);
  const ids: Record<string, string> = {};
  const pending = [...steps];
  const running = new Map<string, Promise<void>>();
  let failure: unknown = null;

  const runStep = async (step: PipelineStep): Promise<void> => {
    const id = `${idPrefix}-${step.key}`;
    const exists = await fsp.stat(runDir(sup.workspace, id)).then(
      () => true,
      () => false,
    );
    if (exists) {
      const prev = await readStatus(runDir(sup.workspace, id));
      if (prev.state === 'succeeded') {
        hooks.onStep?.(step.key, id, 'reuse');
        ids[step.key] = id;
        return;
      }
      hooks.onStep?.(step.key, id, 'resume');
      await sup.resume(id);
    } else {
      hooks.onStep?.(step.key, id, 'start');
      await sup.start(step.config(ids), id);
    }
    const status = await follow(id);
    if (status.state === 'cancelled') throw new AppError('cancelled', `${id} was cancelled; run the same command again to resume`);
    if (status.state !== 'succeeded') throw new AppError('internal', `${id} ${status.state}: ${status.message ?? ''}`, { where: id, details: status.logTail });
    ids[step.key] = id;
  };

  while (pending.length || running.size) {
    while (!failure && running.size < limit) {
      const i = pending.findIndex((s) => s.needs.every((n) => n in ids));
      if (i < 0) break;
      const [step] = pending.splice(i, 1);
      running.set(
        step.key,
        runStep(step).then(
          () => void running.delete(step.key),
          (err) => {
            running.delete(step.key);
            failure ??= err;
          },
        ),
      );
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  if (failure) throw failure;
  if (pending.length) throw new Error(`pipeline could not schedule ${pending.map((s) => s.key).join(', ')}`);
  return ids;
}
