// Slurm's view of a run, folded into its status. The job's CLI writes status.json itself while it
// lives; what it cannot write is why Slurm ended it (time limit, preemption, node failure, scancel,
// a dependency that can never be met) or anything at all after a SIGKILL. Once Slurm reports the job
// ended, that is recorded once in slurm.json and the run becomes failed or cancelled with Slurm's reason.
import type { RunState, RunStatus } from '../../../shared/contract/runs';
import { appendLog, readLogTail, updateStatus } from '../../artifacts/records';
import { ACTIVE_STATES, jobState, type SlurmJobState } from './slurm-commands';
import { lastJob, writeSlurmRecord, type SlurmRecord } from './slurm-record';

const WHY: Record<string, string> = {
  TIMEOUT: 'the job reached its time limit',
  PREEMPTED: 'the job was preempted',
  NODE_FAIL: 'the node failed',
  BOOT_FAIL: 'the node failed to boot',
  OUT_OF_MEMORY: 'the job ran out of memory',
  DEADLINE: 'the job reached its deadline',
  FAILED: 'the job exited with an error',
  CANCELLED: 'the job was cancelled (scancel)',
  COMPLETED: 'the job ended without the run reporting an end',
};

/** Cancelled runs are the ones a person or the scheduler's policy stopped; resume continues both kinds. */
const slurmRunState = (s: string): RunState => (s === 'CANCELLED' || s === 'PREEMPTED' ? 'cancelled' : 'failed');

export function describeJobEnd(jobId: string, js: Pick<SlurmJobState, 'state' | 'reason' | 'exitCode'>): string {
  const why = js.reason === 'DependencyNeverSatisfied' ? 'an upstream job did not succeed (DependencyNeverSatisfied)' : (WHY[js.state] ?? 'the job ended');
  const reason = js.reason && js.reason !== 'DependencyNeverSatisfied' ? `, reason ${js.reason}` : '';
  const exit = js.exitCode && js.exitCode !== '0:0' ? `, exit ${js.exitCode}` : '';
  return `Slurm job ${jobId} ${js.state}: ${why}${reason}${exit}`;
}

/**
 * Folds the state of the run's last job into its status. Asks Slurm only while the job's end is not
 * recorded yet; a job still pending or running leaves the status as the job's CLI wrote it.
 */
export async function reconcileSlurm(dir: string, status: RunStatus, record: SlurmRecord): Promise<RunStatus> {
  const job = lastJob(record);
  if (job.final) return status;
  const js = await jobState(job.jobId);
  if (js && ACTIVE_STATES.has(js.state)) return status;
  const final = js ? { state: js.state, reason: js.reason, exitCode: js.exitCode } : { state: 'UNKNOWN', reason: 'Slurm no longer knows this job', exitCode: null };
  await writeSlurmRecord(dir, { ...record, jobs: [...record.jobs.slice(0, -1), { ...job, final }] });
  // A run that wrote its results stays succeeded whatever happened to the job after that.
  if (status.state === 'succeeded') return status;
  const ended = describeJobEnd(job.jobId, final);
  await appendLog(dir, ended);
  // A run that failed on its own (an error in the stage) keeps its own message; Slurm's word is added.
  if (status.state === 'failed' && final.state === 'FAILED') return updateStatus(dir, { message: `${status.message ?? 'failed'} (${ended})` });
  const state = final.state === 'UNKNOWN' ? 'failed' : slurmRunState(final.state);
  return updateStatus(dir, {
    state,
    pid: null,
    endedAt: status.endedAt ?? new Date().toISOString(),
    message: status.message && status.state !== 'queued' ? `${ended} (the run said: ${status.message})` : ended,
    logTail: state === 'failed' ? await readLogTail(dir, 20) : undefined,
  });
}

/** The job id and Slurm state shown beside a run (the recorded end, or squeue/sacct now). */
export async function slurmJobView(record: SlurmRecord): Promise<{ jobId: string; state: string; reason: string | null }> {
  const job = lastJob(record);
  if (job.final) return { jobId: job.jobId, state: job.final.state, reason: job.final.reason };
  const js = await jobState(job.jobId);
  return { jobId: job.jobId, state: js?.state ?? 'UNKNOWN', reason: js?.reason ?? null };
}
