// The Slurm executor: each run becomes one batch job of the headless CLI on a node that sees the same
// workspace (shared storage). A stage graph is submitted at once, each job depending on its upstream
// jobs (afterok, killed when a dependency can never be met), so Slurm does the scheduling. The job's
// CLI writes the same run-folder files as a local run; this side only submits, watches Slurm's view of
// the job (slurm-watch.ts) and cancels with scancel.
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError, validationError } from '../../../shared/contract/errors';
import { runConfigSchema, upstreamRuns, type RunConfig } from '../../../shared/runs-config';
import type { RunState } from '../../../shared/contract/runs';
import { loadWorkspaceFile, WORKSPACE_FILE } from '../../services/workspace-file';
import { appendLog, createRun, readConfig, readStatus, updateStatus } from '../../artifacts/records';
import { diffJson, reconcileStatus } from '../catalogue';
import { runDir, runPaths } from '../../artifacts/layout';
import type { RunSupervisor } from '../supervisor';
import { ACTIVE_STATES, jobState, sbatch, scancel, showCommand, slurm } from './slurm-commands';
import { lastJob, readSlurmRecord, slurmOptionsSchema, writeSlurmRecord, type SlurmJob, type SlurmOptions } from './slurm-record';

export const BATCH_SCRIPT = 'job.sbatch';

/** One run of a graph: its id, its config, and the ids of runs in the same graph it must wait for. */
export interface GraphStep {
  id: string;
  config: unknown;
  after: string[];
}

export interface SubmittedRun {
  id: string;
  jobId: string;
  /** What happened to a run that existed before: submitted fresh, resubmitted to resume, or reused as it is. */
  how: 'start' | 'resume' | 'reuse' | 'follow';
}

// A value that lands in a batch script header or a command line: one line, no control characters.
const oneLine = (v: string, what: string): string => {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(v)) throw new AppError('validation', `${what} must be one line without control characters`, { where: what });
  return v;
};

/**
 * The options for a submission: the workspace setting `slurm` (workspace.json settings.slurm, when the
 * workspace has a project file) overlaid with what the command line gave.
 */
export async function slurmOptions(workspace: string, given: Partial<SlurmOptions> = {}): Promise<SlurmOptions> {
  let fromWorkspace: unknown = {};
  if (existsSync(path.join(workspace, WORKSPACE_FILE))) fromWorkspace = (await loadWorkspaceFile(workspace)).settings.slurm ?? {};
  const base = slurmOptionsSchema.safeParse(fromWorkspace);
  if (!base.success) throw validationError(`${path.join(workspace, WORKSPACE_FILE)} settings.slurm`, base.error.issues);
  const defined = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
  const merged = slurmOptionsSchema.parse({ ...base.data, ...defined });
  for (const [k, v] of Object.entries(merged)) if (typeof v === 'string') oneLine(v, `--${k}`);
  for (const line of merged.sbatch) {
    oneLine(line, 'settings.slurm.sbatch');
    if (!/^#SBATCH\s+\S/.test(line)) throw new AppError('validation', `settings.slurm.sbatch: each line must start with "#SBATCH ", got "${line}"`, { where: 'settings.slurm.sbatch' });
  }
  return merged;
}

/** Run ids name folders and land in job names and scripts: one plain path segment only. */
function checkRunId(id: string): string {
  if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(id) || id.length > 200)
    throw new AppError('validation', `run id "${id}" may only hold letters, digits, '.', '_' and '-', and may not start with '.'`, { where: 'id' });
  return id;
}

/** How a job starts the CLI: $PRODA_SLURM_NODE (the node binary on the nodes) and this checkout's bin/proda.mjs. */
export function cliCommand(env: NodeJS.ProcessEnv = process.env): string[] {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'bin', 'proda.mjs'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new AppError('internal', 'cannot find bin/proda.mjs above the running code; the jobs need the checkout on shared storage');
    dir = up;
  }
  return [env.PRODA_SLURM_NODE || process.execPath, path.join(dir, 'bin', 'proda.mjs')];
}

const sq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** The batch script of one job: the header from the options, then the CLI replacing the shell (exec), so Slurm's signals reach it. */
export function batchScript(o: { runId: string; workspace: string; options: SlurmOptions; argv: string[] }): string {
  const dir = runDir(o.workspace, o.runId);
  // Paths (which may hold spaces) go on sbatch's command line, not here, where Slurm splits on blanks.
  const header = [
    '--nodes=1',
    '--ntasks=1',
    '--kill-on-invalid-dep=yes',
    ...(o.options.partition ? [`--partition=${o.options.partition}`] : []),
    ...(o.options.gres ? [`--gres=${o.options.gres}`] : []),
    ...(o.options.time ? [`--time=${o.options.time}`] : []),
    ...(o.options.account ? [`--account=${o.options.account}`] : []),
    ...(o.options.qos ? [`--qos=${o.options.qos}`] : []),
  ].map((l) => `#SBATCH ${oneLine(l, 'sbatch option')}`);
  return [
    '#!/bin/bash',
    ...header,
    ...o.options.sbatch,
    `# Written by proda-workbench: one stage of run ${o.runId}. Status, metrics and log go to ${dir}.`,
    `exec ${o.argv.map(sq).join(' ')}`,
    '',
  ].join('\n');
}

async function submitJob(o: {
  workspace: string;
  runId: string;
  options: SlurmOptions;
  kind: SlurmJob['kind'];
  dependsOn: string[];
  env?: NodeJS.ProcessEnv;
}): Promise<string> {
  const dir = runDir(o.workspace, o.runId);
  const ws = path.resolve(o.workspace);
  const cli = cliCommand(o.env);
  const argv =
    o.kind === 'start'
      ? [...cli, 'train', '--config', runPaths(dir).config, '--id', o.runId, '--queued', '--workspace', ws]
      : [...cli, 'runs', 'resume', o.runId, '--queued', '--workspace', ws];
  const script = path.join(dir, BATCH_SCRIPT);
  await fsp.writeFile(script, batchScript({ runId: o.runId, workspace: ws, options: o.options, argv }), { mode: 0o755 });
  const args = [
    `--job-name=proda-${o.runId}`,
    `--output=${path.join(dir, 'slurm-%j.out')}`,
    // Relative dataset roots in configs resolve against the submitting folder, on the node too.
    `--chdir=${process.cwd()}`,
    ...(o.dependsOn.length ? [`--dependency=afterok:${o.dependsOn.join(':')}`] : []),
    script,
  ];
  // Submitted held and released once slurm.json names the job: until then nothing here would know that
  // the run's process lives on a node, and its pid would look dead.
  const jobId = await sbatch(['--hold', ...args], '', o.env);
  const prev = await readSlurmRecord(dir);
  const job: SlurmJob = { jobId, kind: o.kind, submittedAt: new Date().toISOString(), command: showCommand('sbatch', ['--parsable', ...args]), dependsOn: o.dependsOn };
  try {
    await writeSlurmRecord(dir, { options: o.options, jobs: [...(prev?.jobs ?? []), job] });
    await slurm('scontrol', ['release', jobId]);
  } catch (err) {
    await scancel([jobId]).catch(() => {});
    throw err;
  }
  await appendLog(dir, `submitted to Slurm as job ${jobId}${o.dependsOn.length ? ` (after ${o.dependsOn.join(', ')})` : ''}: ${job.command}`);
  return jobId;
}

/** The Slurm job a dependent run can wait for, or null when the run already succeeded. */
async function activeJobOf(workspace: string, id: string): Promise<string | null> {
  const dir = runDir(workspace, id);
  const status = await reconcileStatus(dir);
  if (status.state === 'succeeded') return null;
  const rec = await readSlurmRecord(dir);
  const js = rec ? await jobState(lastJob(rec).jobId) : null;
  if (rec && js && ACTIVE_STATES.has(js.state)) return lastJob(rec).jobId;
  throw new AppError('conflict', `upstream run ${id} is ${status.state}${rec ? '' : ' and not a Slurm run'}; it must succeed or be queued on Slurm first`, { where: id });
}

/**
 * Submits a stage graph as Slurm jobs, upstream first, each depending on the jobs of the runs it reads.
 * Existing runs are taken over as the local pipeline does: succeeded ones are reused, failed or
 * cancelled ones resubmitted to resume, ones still queued or running followed. When an sbatch fails,
 * the jobs this call submitted are cancelled and the error names the command with Slurm's words.
 */
export async function submitGraph(sup: RunSupervisor, steps: GraphStep[], given: Partial<SlurmOptions> = {}, env?: NodeJS.ProcessEnv): Promise<SubmittedRun[]> {
  const workspace = sup.workspace;
  const options = await slurmOptions(workspace, given);
  const inGraph = new Set<string>();
  const jobs = new Map<string, string | null>();
  const out: SubmittedRun[] = [];
  const submitted: string[] = [];
  try {
    for (const step of steps) {
      checkRunId(step.id);
      for (const a of step.after) if (!inGraph.has(a)) throw new AppError('validation', `step ${step.id} waits for ${a}, which is not an earlier step of the graph`, { where: step.id });
      const parsed = runConfigSchema.safeParse(step.config);
      if (!parsed.success) throw validationError(`run config of ${step.id}`, parsed.error.issues);
      const config: RunConfig = parsed.data;
      const ups = upstreamRuns(config);
      const deps = new Set<string>();
      // Upstream runs Slurm will finish before this job starts: checked by the job, not here.
      const scheduled = new Set<string>();
      for (const up of ups) {
        const j = jobs.has(up) ? jobs.get(up) : await activeJobOf(workspace, up);
        if (j) {
          deps.add(j);
          scheduled.add(up);
        }
      }
      for (const a of step.after) {
        const j = jobs.get(a);
        if (j) deps.add(j);
      }
      const dir = runDir(workspace, step.id);
      const exists = existsSync(dir);
      let how: SubmittedRun['how'];
      let jobId: string;
      if (exists) {
        const status = await reconcileStatus(dir);
        const rec = await readSlurmRecord(dir);
        const changed = diffJson(await readConfig(dir), config);
        if (changed.length) {
          const fields = changed.map((d) => `${d.path}: ${JSON.stringify(d.a)} → ${JSON.stringify(d.b)}`).join('; ');
          throw new AppError('conflict', `run ${step.id} exists with a different config (${fields}); remove it or use another workspace`, { where: step.id });
        }
        if (status.state === 'succeeded') {
          how = 'reuse';
          jobId = rec ? lastJob(rec).jobId : '';
          jobs.set(step.id, null);
        } else if (status.state === 'failed' || status.state === 'cancelled') {
          how = 'resume';
          jobId = await resubmitWith(workspace, step.id, options, [...deps], env);
          submitted.push(jobId);
          jobs.set(step.id, jobId);
        } else if (rec) {
          how = 'follow';
          jobId = lastJob(rec).jobId;
          jobs.set(step.id, jobId);
        } else throw new AppError('conflict', `run ${step.id} is ${status.state} outside Slurm`, { where: step.id });
      } else {
        // Schema, datasets and finished upstream runs are checked here; upstream runs of this graph by the job.
        const { warnings } = await sup.prepare(config, scheduled);
        await createRun(workspace, config, step.id);
        for (const w of warnings) await appendLog(dir, `warning: ${w.field}: ${w.message}`);
        try {
          jobId = await submitJob({ workspace, runId: step.id, options, kind: 'start', dependsOn: [...deps], env });
        } catch (err) {
          // The folder was made by this call and never ran: take it away again so a retry starts clean.
          await fsp.rm(dir, { recursive: true, force: true });
          throw err;
        }
        how = 'start';
        submitted.push(jobId);
        jobs.set(step.id, jobId);
      }
      inGraph.add(step.id);
      out.push({ id: step.id, jobId, how });
    }
  } catch (err) {
    if (submitted.length) await scancel(submitted).catch(() => {});
    throw err;
  }
  return out;
}

async function resubmitWith(workspace: string, id: string, options: SlurmOptions, dependsOn: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  const dir = runDir(workspace, id);
  // Queued before sbatch: the job may start at once, and it runs only a queued run.
  const before = await readStatus(dir);
  // The job id goes to slurm.json and the log only: once submitted, the status file is the job's.
  await updateStatus(dir, { state: 'queued', pid: null, endedAt: null, message: 'resubmitted to Slurm; it continues from the last checkpoint', logTail: undefined });
  try {
    return await submitJob({ workspace, runId: id, options, kind: 'resume', dependsOn, env });
  } catch (err) {
    await updateStatus(dir, before);
    throw err;
  }
}

/** `proda runs resume` for a Slurm run: a new job continues it from its last checkpoint (same options as before). */
export async function resubmit(workspace: string, id: string, env?: NodeJS.ProcessEnv): Promise<string> {
  const dir = runDir(workspace, checkRunId(id));
  const rec = await readSlurmRecord(dir);
  if (!rec) throw new AppError('conflict', `run ${id} is not a Slurm run`, { where: id });
  const status = await reconcileStatus(dir);
  if (status.state !== 'cancelled' && status.state !== 'failed')
    throw new AppError('conflict', `run ${id} is ${status.state}; only cancelled or failed runs resume`, { where: id });
  const ups = upstreamRuns(await readConfig(dir));
  for (const up of ups) {
    const s = await reconcileStatus(runDir(workspace, up));
    if (s.state !== 'succeeded') throw new AppError('conflict', `upstream run ${up} is ${s.state}, not succeeded; resume it first`, { where: up });
  }
  return resubmitWith(workspace, id, rec.options, [], env);
}

/** `proda runs cancel` for a Slurm run: scancel its job. The job's CLI stops at the next iteration with a checkpoint (SIGTERM). */
export async function cancelSlurmRun(workspace: string, id: string): Promise<{ state: RunState; jobId: string }> {
  const dir = runDir(workspace, checkRunId(id));
  const rec = await readSlurmRecord(dir);
  if (!rec) throw new AppError('conflict', `run ${id} is not a Slurm run`, { where: id });
  const job = lastJob(rec);
  const js = await jobState(job.jobId);
  if (!js || !ACTIVE_STATES.has(js.state)) throw new AppError('conflict', `run ${id}: Slurm job ${job.jobId} is ${js?.state ?? 'unknown to Slurm'}, not active`, { where: id });
  await scancel([job.jobId]);
  await appendLog(dir, `scancel ${job.jobId} requested`);
  const status = await readStatus(dir);
  return { state: status.state === 'queued' ? 'cancelled' : 'cancelling', jobId: job.jobId };
}

/** A local pipeline's steps as a graph of runs named `<prefix>-<key>`, in an order where upstream comes first. */
export function pipelineGraph(steps: { key: string; needs: string[]; config: (ids: Record<string, string>) => unknown }[], prefix: string): GraphStep[] {
  const ids = Object.fromEntries(steps.map((s) => [s.key, `${prefix}-${s.key}`]));
  const out: GraphStep[] = [];
  const placed = new Set<string>();
  while (out.length < steps.length) {
    const next = steps.find((s) => !placed.has(s.key) && s.needs.every((n) => placed.has(n)));
    if (!next) throw new AppError('validation', `pipeline ${prefix} has a cycle or an unknown step among ${steps.filter((s) => !placed.has(s.key)).map((s) => s.key).join(', ')}`);
    placed.add(next.key);
    out.push({ id: ids[next.key], config: next.config(ids), after: next.needs.map((n) => ids[n]) });
  }
  return out;
}

const TERMINAL: ReadonlySet<RunState> = new Set(['succeeded', 'failed', 'cancelled']);

/**
 * Waits until every run has ended, reading the run folders (and Slurm for the reasons) every `pollMs`.
 * `onChange` hears each state change and each new iteration count.
 */
export async function waitForRuns(
  workspace: string,
  ids: string[],
  onChange: (id: string, status: { state: RunState; iteration: number; message?: string }) => void = () => {},
  pollMs = 2000,
): Promise<Map<string, Awaited<ReturnType<typeof reconcileStatus>>>> {
  const seen = new Map<string, string>();
  const done = new Map<string, Awaited<ReturnType<typeof reconcileStatus>>>();
  for (;;) {
    for (const id of ids) {
      if (done.has(id)) continue;
      const s = await reconcileStatus(runDir(workspace, id));
      const key = `${s.state}:${s.iteration}`;
      if (seen.get(id) !== key) {
        seen.set(id, key);
        onChange(id, s);
      }
      // A Slurm run that ended on its own account is settled once Slurm's end of the job is recorded too
      // (a time limit or scancel turns the run's own "cancelled" into Slurm's reason).
      const rec = TERMINAL.has(s.state) && s.state !== 'succeeded' ? await readSlurmRecord(runDir(workspace, id)) : null;
      if (TERMINAL.has(s.state) && (!rec || lastJob(rec).final)) done.set(id, s);
    }
    if (done.size === ids.length) return done;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
