// Running one stage to its end from the terminal: start it through the supervisor, show progress,
// turn Ctrl-C into a cancel (a second Ctrl-C kills), and map the outcome to an exit status.
import type { RunStatus } from '../../shared/contract/runs';
import type { ConfigWarning } from '../../shared/runs-config';
import { createSupervisor } from '../runs/host';
import type { RunSupervisor } from '../runs/supervisor';
import { progressSink, type ProgressSink } from './progress';
import { EXIT } from './exit-codes';

export interface Outcome {
  id: string;
  status: RunStatus;
  warnings: ConfigWarning[];
}

export function terminalSupervisor(workspace: string, mode: 'tty' | 'plain' | 'silent'): { sup: RunSupervisor; sink: ProgressSink } {
  const sink = progressSink(mode);
  const sup = createSupervisor(workspace, {
    onProgress: (p) => sink.progress(p),
    onState: (e) => {
      if (e.state === 'failed') sink.line(`${e.runId}: failed: ${e.message ?? ''}`);
      else if (e.state !== 'running') sink.line(`${e.runId}: ${e.state}`);
    },
  });
  return { sup, sink };
}

/** Waits for a started (or resumed) run with Ctrl-C handling. */
export async function follow(sup: RunSupervisor, sink: ProgressSink, id: string): Promise<RunStatus> {
  let interrupts = 0;
  const onSig = () => {
    interrupts += 1;
    if (interrupts === 1) {
      sink.line(`stopping ${id} after the current iteration (Ctrl-C again to kill)…`);
      void sup.cancel(id).catch(() => {});
    } else sup.kill(id, 'SIGKILL');
  };
  process.on('SIGINT', onSig);
  process.on('SIGTERM', onSig);
  try {
    const status = await sup.wait(id);
    sink.end();
    return status;
  } finally {
    process.off('SIGINT', onSig);
    process.off('SIGTERM', onSig);
  }
}

export async function startAndFollow(sup: RunSupervisor, sink: ProgressSink, config: unknown, id?: string, onStarted?: () => Promise<unknown>): Promise<Outcome> {
  const { id: runId, warnings } = await sup.start(config, id);
  await onStarted?.();
  for (const w of warnings) sink.line(`warning: ${w.field}: ${w.message}`);
  sink.line(`run ${runId} started`);
  return { id: runId, status: await follow(sup, sink, runId), warnings };
}

export const exitFor = (s: RunStatus): number => (s.state === 'succeeded' ? EXIT.ok : s.state === 'cancelled' ? EXIT.cancelled : EXIT.failed);

/** A run a submitter queued (a Slurm job's run), started or resumed here and followed to its end. */
export async function runQueuedAndFollow(sup: RunSupervisor, sink: ProgressSink, id: string, resume = false): Promise<Outcome> {
  await sup.runQueued(id, resume);
  sink.line(`run ${id} ${resume ? 'resumed' : 'started'}`);
  return { id, status: await follow(sup, sink, id), warnings: [] };
}
