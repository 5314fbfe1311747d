// The Slurm client commands the workbench uses (sbatch, squeue, sacct, scancel), run without a shell.
// A failing command becomes an AppError that carries the command line and Slurm's own words verbatim,
// so "invalid partition" or "Invalid generic resource" reaches the user as Slurm said it.
import { execFile } from 'node:child_process';
import { AppError } from '../../../shared/contract/errors';

export interface SlurmJobState {
  jobId: string;
  /** Slurm's state word: PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, PREEMPTED, NODE_FAIL, … */
  state: string;
  /** Slurm's reason (pending reason, or why it ended), when it gives one. */
  reason: string | null;
  exitCode: string | null;
  /** Which command answered. */
  from: 'squeue' | 'sacct';
}

export const ACTIVE_STATES = new Set(['PENDING', 'CONFIGURING', 'RUNNING', 'COMPLETING', 'SUSPENDED', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'RESIZING', 'SIGNALING', 'STAGE_OUT', 'STOPPED', 'RESV_DEL_HOLD']);

/** A shell-readable rendering of a command line, for messages only (nothing runs it). */
export function showCommand(cmd: string, args: string[]): string {
  const q = (s: string) => (/^[A-Za-z0-9_./:=,@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return [cmd, ...args].map(q).join(' ');
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCommand(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: number | string }) | null;
      if (e && typeof e.code === 'string') {
        // The command could not be started at all (not installed, not on PATH).
        reject(new AppError('not-found', `${showCommand(cmd, args)}: ${e.code === 'ENOENT' ? `${cmd} is not installed or not on PATH` : e.message}`, { where: cmd }));
        return;
      }
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Runs a Slurm command that must succeed; otherwise throws with the command and Slurm's message verbatim. */
export async function slurm(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  const r = await runCommand(cmd, args, opts);
  if (r.code !== 0) {
    const said = (r.stderr.trim() || r.stdout.trim() || `exit status ${r.code}`).split('\n');
    throw new AppError('bad-input', `${showCommand(cmd, args)} failed:\n  ${said.join('\n  ')}`, { where: cmd, details: said });
  }
  return r.stdout;
}

/** Submits a batch script (given on stdin) and returns the job id. */
export async function sbatch(args: string[], script: string, env?: NodeJS.ProcessEnv): Promise<string> {
  const out = (await slurm('sbatch', ['--parsable', ...args], { input: script, env })).trim();
  // --parsable prints "jobid" or "jobid;cluster".
  const id = out.split('\n').pop()?.split(';')[0] ?? '';
  if (!/^\d+$/.test(id)) throw new AppError('internal', `sbatch printed "${out}" where a job id was expected`, { where: 'sbatch' });
  return id;
}

export const scancel = async (jobIds: string[]): Promise<void> => void (await slurm('scancel', jobIds));

const parseLine = (line: string, from: SlurmJobState['from']): SlurmJobState | null => {
  const [jobId, state, a, b] = line.trim().split('|');
  if (!jobId || !state) return null;
  // "CANCELLED by 0" → "CANCELLED"
  const word = state.split(/\s+/)[0];
  return from === 'squeue' ? { jobId, state: word, reason: a && a !== 'None' ? a : null, exitCode: null, from } : { jobId, state: word, exitCode: a || null, reason: b && b !== 'None' ? b : null, from };
};

/**
 * Where a job is now. squeue knows pending, running and recently finished jobs (MinJobAge); older ones
 * come from sacct: the accounting database when there is one, else the job-completion log (`sacct -c`).
 * Null when no source knows the job.
 */
export async function jobState(jobId: string): Promise<SlurmJobState | null> {
  const q = await runCommand('squeue', ['-h', '-t', 'all', '-j', jobId, '-o', '%i|%T|%r']).catch(() => null);
  const fromQueue = q?.code === 0 ? q.stdout.split('\n').map((l) => parseLine(l, 'squeue')).find((s) => s?.jobId === jobId) : null;
  if (fromQueue) return fromQueue;
  for (const args of [
    ['-n', '-P', '-X', '-j', jobId, '-o', 'JobID,State,ExitCode,Reason'],
    ['-c', '-n', '-P', '-j', jobId, '-o', 'JobID,State,ExitCode'],
  ]) {
    const r = await runCommand('sacct', args).catch(() => null);
    if (r?.code !== 0) continue;
    const found = r.stdout.split('\n').map((l) => parseLine(l, 'sacct')).filter((s) => s?.jobId === jobId).pop();
    if (found) return found;
  }
  return null;
}

/** Whether the Slurm client commands can reach a controller (for tests and a friendly CLI error). */
export async function slurmReachable(): Promise<{ ok: true } | { ok: false; why: string }> {
  const r = await runCommand('sinfo', ['-h', '-o', '%P %a']).catch((e: Error) => ({ code: -1, stdout: '', stderr: e.message }));
  if (r.code !== 0) return { ok: false, why: (r.stderr.trim() || 'sinfo failed').split('\n')[0] };
  return { ok: true };
}
