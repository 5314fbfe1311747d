// Runs a stage graph: each step names the steps it reads (needs) and builds its config from their run
// ids. Independent steps run side by side up to `concurrency` (each run is its own single-threaded
// process, so two use both cores of a small machine). A step whose run already succeeded is reused
// and a cancelled or failed one resumed, so re-running a pipeline continues where it stopped. A run is
// only taken over if it is the run the step asks for now: same config, and built on the same upstream
// runs (not on ones this pipeline has just re-made); otherwise the pipeline stops and says why, rather
// than report numbers from an older preset or overwrite a run.
import { promises as fsp } from 'node:fs';
import { AppError, validationError } from '../../shared/contract/errors';
import { runConfigSchema, type RunConfigInput } from '../../shared/runs-config';
import type { RunStatus } from '../../shared/contract/runs';
import { diffJson } from './catalogue';
import { readConfig, readStatus } from '../artifacts/records';
import { runDir } from '../artifacts/layout';
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

  /** Steps whose run was started or resumed by this call: runs made from their older outputs are stale. */
  const made = new Set<string>();
  const runStep = async (step: PipelineStep): Promise<void> => {
    const id = `${idPrefix}-${step.key}`;
    const dir = runDir(sup.workspace, id);
    const exists = await fsp.stat(dir).then(
      () => true,
      () => false,
    );
    if (exists) {
      const remake = step.needs.filter((n) => made.has(n));
      if (remake.length) throw staleRun(id, `it was made from an earlier run of ${remake.map((n) => ids[n]).join(', ')}, re-made just now`);
      const wanted = runConfigSchema.safeParse(step.config(ids));
      if (!wanted.success) throw validationError(`pipeline step ${step.key}`, wanted.error.issues);
      const changed = diffJson(await readConfig(dir), wanted.data);
      if (changed.length) {
        const fields = changed.map((d) => `${d.path}: ${JSON.stringify(d.a)} → ${JSON.stringify(d.b)}`).join('; ');
        throw staleRun(id, `its config differs from what this step asks for now (${fields})`);
      }
      const prev = await readStatus(dir);
      if (prev.state === 'succeeded') {
        hooks.onStep?.(step.key, id, 'reuse');
        ids[step.key] = id;
        return;
      }
      made.add(step.key);
      hooks.onStep?.(step.key, id, 'resume');
      await sup.resume(id);
    } else {
      made.add(step.key);
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

const staleRun = (id: string, why: string) =>
  new AppError('conflict', `run ${id} exists but ${why}; remove it (and the runs made from it) or use another workspace`, { where: id });
