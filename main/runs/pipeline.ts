// Runs a stage graph in order: each step's config names earlier steps by key, which become run ids.
// Steps whose run already succeeded (same id) are reused, and a cancelled or failed one is resumed,
// so re-running a pipeline in the same workspace continues where it stopped.
import { AppError } from '../../shared/contract/errors';
import type { RunConfigInput } from '../../shared/runs-config';
import type { RunStatus } from '../../shared/contract/runs';
import { readStatus, runDir } from './records';
import type { RunSupervisor } from './supervisor';
import { promises as fsp } from 'node:fs';

export interface PipelineStep {
  key: string;
  config: (runIds: Record<string, string>) => RunConfigInput;
}

export interface PipelineHooks {
  onStep?: (key: string, id: string, how: 'start' | 'reuse' | 'resume') => void;
  /** Lets the caller follow a run (Ctrl-C handling, progress); defaults to waiting for it. */
  follow?: (id: string) => Promise<RunStatus>;
  shouldStop?: () => boolean;
}

export async function runPipeline(sup: RunSupervisor, steps: PipelineStep[], idPrefix: string, hooks: PipelineHooks = {}): Promise<Record<string, string>> {
  const ids: Record<string, string> = {};
  const follow = hooks.follow ?? ((id: string) => sup.wait(id));
  for (const step of steps) {
    if (hooks.shouldStop?.()) throw new AppError('cancelled', `pipeline stopped before ${step.key}`);
    const id = `${idPrefix}-${step.key}`;
    const exists = await fsp.stat(runDir(sup.workspace, id)).then(() => true, () => false);
    if (exists) {
      const prev = await readStatus(runDir(sup.workspace, id));
      if (prev.state === 'succeeded') {
        hooks.onStep?.(step.key, id, 'reuse');
        ids[step.key] = id;
        continue;
      }
      hooks.onStep?.(step.key, id, 'resume');
      await sup.resume(id);
    } else {
      hooks.onStep?.(step.key, id, 'start');
      await sup.start(step.config(ids), id);
    }
    const status: RunStatus = await follow(id);
    if (status.state === 'cancelled') throw new AppError('cancelled', `${id} was cancelled; run the same command again to resume`);
    if (status.state !== 'succeeded')
      throw new AppError('internal', `${id} ${status.state}: ${status.message ?? ''}`, { where: id, details: status.logTail });
    ids[step.key] = id;
  }
  return ids;
}
