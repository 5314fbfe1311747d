// The CLI side of the Slurm executor: submit a graph of runs, print the job ids, and optionally follow
// the runs through their folders until they end.
import { createSupervisor } from '../runs/host';
import { submitGraph, waitForRuns, type GraphStep, type SubmittedRun } from '../runs/executors/slurm';
import type { RunStatus } from '../../shared/contract/runs';
import { outputMode, printJson } from './args';
import { EXIT } from './exit-codes';
import type { ExecutorChoice } from './executor-options';
import { progressSink, type ProgressSink } from './progress';
import { exitFor } from './supervise';
import { table } from './tables';

export async function submitAndReport(workspace: string, sink: ProgressSink, exec: ExecutorChoice, steps: GraphStep[]): Promise<SubmittedRun[]> {
  const sup = createSupervisor(workspace);
  const runs = await submitGraph(sup, steps, exec.slurm);
  for (const r of runs)
    sink.line(r.how === 'reuse' ? `${r.id}: already succeeded` : `${r.id}: ${r.how === 'follow' ? 'following' : r.how === 'resume' ? 'resubmitted' : 'submitted'} as Slurm job ${r.jobId}`);
  return runs;
}

/** Follows runs until each ended, one line per change; the statuses by run id. */
export async function followRuns(workspace: string, sink: ProgressSink, ids: string[]): Promise<Map<string, RunStatus>> {
  return waitForRuns(workspace, ids, (id, s) => sink.line(`${id}: ${s.state}${s.iteration ? ` (iteration ${s.iteration})` : ''}${s.message && s.state !== 'running' ? `: ${s.message}` : ''}`));
}

/** `proda train --executor slurm`: submit, print the job, and with --wait follow it to its end. */
export async function submitSlurm(workspace: string, values: { json?: boolean; wait?: boolean }, exec: ExecutorChoice, steps: GraphStep[]): Promise<number> {
  const sink = progressSink(outputMode(values.json));
  const runs = await submitAndReport(workspace, sink, exec, steps);
  if (!values.wait) {
    if (values.json) printJson({ ok: true, runs });
    else process.stdout.write(table(['run', 'Slurm job', 'submission'], runs.map((r) => [r.id, r.jobId, r.how])));
    return EXIT.ok;
  }
  const done = await followRuns(workspace, sink, runs.map((r) => r.id));
  const statuses = runs.map((r) => ({ ...r, ...done.get(r.id)! }));
  if (values.json) printJson({ ok: statuses.every((s) => s.state === 'succeeded'), runs: statuses });
  else process.stdout.write(table(['run', 'Slurm job', 'state', 'message'], statuses.map((s) => [s.id, s.jobId, s.state, s.message ?? ''])));
  const worst = statuses.find((s) => s.state !== 'succeeded');
  return worst ? exitFor(worst) : EXIT.ok;
}
