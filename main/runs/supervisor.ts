// Main's side of runs: validate a config and its datasets, create the run folder, start one process
// per run, turn its (validated) messages into progress and state events, and decide the final state
// from how the process ended. A process that dies without saying it finished is a failed run whose
// log tail is kept; resume starts a new process on the same folder from the last good checkpoint.
import { promises as fsp } from 'node:fs';
import { AppError, validationError } from '../../shared/contract/errors';
import { configWarnings, runConfigSchema, upstreamImports, upstreamRuns, type ConfigWarning, type RunConfig, type RunDataset } from '../../shared/runs-config';
import type { RunProgress, RunState, RunStatus } from '../../shared/contract/runs';
import { diskFullMessage } from '../io/disk-space';
import { checkCompatibility } from './compatibility';
import { childMessageSchema } from './protocol';
import { hasModel, readImportRecord } from '../models/refs';
import { MODEL_ARTIFACT, modelDir, runDir } from '../artifacts/layout';
import type { LaunchedProcess, RunLauncher } from './launcher';
import { appendLog, createRun, readConfig, readLogTail, readStatus, updateStatus } from '../artifacts/records';
import { reconcileStatus } from './catalogue';

export interface RunStateEvent {
  runId: string;
  state: RunState;
  message?: string;
  logTail?: string[];
}

/** Problems that make a dataset unusable, one line each naming the file; empty when it may be used. */
export type DatasetGate = (dataset: RunDataset, where: string) => Promise<string[]>;

export interface SupervisorOptions {
  workspace: string;
  launcher: RunLauncher;
  datasetGate?: DatasetGate;
  onProgress?: (p: RunProgress) => void;
  onState?: (e: RunStateEvent) => void;
}

interface Live {
  proc: LaunchedProcess;
  done: { state: 'succeeded' | 'cancelled' | 'failed'; message?: string } | null;
  stderr: string[];
  exited: Promise<RunStatus>;
  invalid: string | null;
  /** The process has announced it listens; a cancel before that waits for it. */
  ready: boolean;
  cancelPending: boolean;
}

function datasetsOf(c: RunConfig): [string, RunDataset][] {
  const out: [string, RunDataset][] = [];
  const add = (where: string, d: RunDataset | undefined) => d && out.push([where, d]);
  if ('source' in c) add('source', c.source);
  if ('target' in c) add('target', c.target);
  if ('val' in c) add('val', c.val);
  if (c.stage === 'eval') add('bnData', c.bnData);
  if (c.stage === 'pseudo') add('prototypes.source', c.prototypes.source);
  return out;
}

/** How a run ended, from what its process said and how it exited. */
function outcome(live: Live, code: number | null, signal: string | null): { state: RunState; message: string | undefined } {
  if (live.invalid) return { state: 'failed', message: live.invalid };
  if (live.done && (code === 0 || live.done.state === 'failed')) return { state: live.done.state, message: live.done.message };
  return { state: 'failed', message: signal ? `run process was killed (${signal})` : `run process exited with code ${code} without finishing` };
}

export class RunSupervisor {
  private readonly live = new Map<string, Live>();
  constructor(private readonly opts: SupervisorOptions) {}

  get workspace(): string {
    return this.opts.workspace;
  }

  /** Ids of runs this supervisor is watching right now. */
  supervised(): ReadonlySet<string> {
    return new Set(this.live.keys());
  }

  private emitState(e: RunStateEvent): void {
    this.opts.onState?.(e);
  }

  /**
   * Parses and checks a config: schema, upstream runs finished and compatible (compatibility.ts), datasets
   * free of check errors. `scheduled` names upstream runs that a scheduler will finish first (a Slurm
   * dependency): they are not checked here but by the job itself when it starts.
   */
  async prepare(raw: unknown, scheduled: ReadonlySet<string> = new Set()): Promise<{ config: RunConfig; warnings: ConfigWarning[] }> {
    const parsed = runConfigSchema.safeParse(raw);
    if (!parsed.success) throw validationError('run config', parsed.error.issues);
    const config = parsed.data;
    for (const up of upstreamRuns(config)) {
      if (scheduled.has(up)) continue;
      const dir = runDir(this.opts.workspace, up);
      const status = await reconcileStatus(dir, this.supervised()).catch(() => null);
      if (!status || !(await fsp.stat(dir).catch(() => null))) throw new AppError('not-found', `upstream run ${up} does not exist`, { where: up });
      if (status.state !== 'succeeded') throw new AppError('conflict', `upstream run ${up} is ${status.state}, not succeeded`, { where: up });
    }
    for (const id of upstreamImports(config)) {
      if (!(await hasModel(this.opts.workspace, { kind: 'import', id }))) throw new AppError('not-found', `no imported model ${id} (imports/${id}/${MODEL_ARTIFACT})`, { where: id });
    }
    await checkCompatibility(
      config,
      (id) => readConfig(runDir(this.opts.workspace, id)),
      async (id) => (await readImportRecord(modelDir(this.opts.workspace, { kind: 'import', id }))).network,
    );
    if (this.opts.datasetGate) {
      const problems: string[] = [];
      for (const [where, d] of datasetsOf(config)) problems.push(...(await this.opts.datasetGate(d, where)).map((m) => `${where}: ${m}`));
      if (problems.length)
        throw new AppError('bad-input', `dataset check failed; the run was not started:\n  ${problems.join('\n  ')}`, { details: problems });
    }
    return { config, warnings: configWarnings(config) };
  }

  async start(raw: unknown, id?: string): Promise<{ id: string; warnings: ConfigWarning[] }> {
    const { config, warnings } = await this.prepare(raw);
    const runId = await createRun(this.opts.workspace, config, id);
    for (const w of warnings) await appendLog(runDir(this.opts.workspace, runId), `warning: ${w.field}: ${w.message}`);
    await this.launch(runId, false);
    return { id: runId, warnings };
  }

  async resume(id: string): Promise<RunState> {
    const dir = runDir(this.opts.workspace, id);
    await readConfig(dir);
    if (this.live.has(id)) throw new AppError('conflict', `run ${id} is already running`, { where: id });
    const status = await reconcileStatus(dir, this.supervised());
    if (status.state !== 'cancelled' && status.state !== 'failed')
      throw new AppError('conflict', `run ${id} is ${status.state}; only cancelled or failed runs resume`, { where: id });
    await this.launch(id, true);
    return 'running';
  }

  /**
   * Runs a run whose folder a submitter created earlier (state queued, e.g. a Slurm job's run): its
   * config is checked again now that its upstream runs have finished, then it starts, or continues from
   * its last checkpoint when `resume`.
   */
  async runQueued(id: string, resume: boolean): Promise<void> {
    const dir = runDir(this.opts.workspace, id);
    const config = await readConfig(dir);
    if (this.live.has(id)) throw new AppError('conflict', `run ${id} is already running`, { where: id });
    const status = await readStatus(dir);
    if (status.state !== 'queued') throw new AppError('conflict', `run ${id} is ${status.state}, not queued`, { where: id });
    try {
      await this.prepare(config);
    } catch (err) {
      // Recorded in the run folder, where whoever queued the run looks.
      const message = `the run could not start: ${(err as Error).message}`;
      await appendLog(dir, `failed: ${message}`);
      await updateStatus(dir, { state: 'failed', endedAt: new Date().toISOString(), message });
      throw err;
    }
    await this.launch(id, resume);
  }

  async cancel(id: string): Promise<RunState> {
    const l = this.live.get(id);
    if (!l) {
      const s = await readStatus(runDir(this.opts.workspace, id));
      if (s.state === 'queued') {
        await updateStatus(runDir(this.opts.workspace, id), { state: 'cancelled', endedAt: new Date().toISOString() });
        return 'cancelled';
      }
      throw new AppError('conflict', `run ${id} is not running (${s.state})`, { where: id });
    }
    if (l.ready) l.proc.send({ type: 'cancel' });
    else l.cancelPending = true;
    await updateStatus(runDir(this.opts.workspace, id), { state: 'cancelling' });
    this.emitState({ runId: id, state: 'cancelling' });
    return 'cancelling';
  }

  /** Resolves with the final status once the run's process has exited. */
  async wait(id: string): Promise<RunStatus> {
    const l = this.live.get(id);
    if (l) return l.exited;
    return readStatus(runDir(this.opts.workspace, id));
  }

  /** Kills a run's process outright (what a crash looks like). Tests and shutdown use it. */
  kill(id: string, signal: NodeJS.Signals = 'SIGKILL'): void {
    this.live.get(id)?.proc.kill(signal);
  }

  pid(id: string): number | undefined {
    return this.live.get(id)?.proc.pid;
  }

  private async launch(id: string, resume: boolean): Promise<void> {
    const dir = runDir(this.opts.workspace, id);
    const prev = await readStatus(dir);
    const proc = this.opts.launcher.launch(['--run-dir', dir, ...(resume ? ['--resume'] : [])]);
    let resolveExit!: (s: RunStatus) => void;
    const live: Live = { proc, done: null, stderr: [], exited: new Promise((r) => (resolveExit = r)), invalid: null, ready: false, cancelPending: false };
    this.live.set(id, live);
    try {
      await updateStatus(dir, {
        state: 'running',
        pid: proc.pid ?? null,
        startedAt: new Date().toISOString(),
        endedAt: null,
        message: undefined,
        logTail: undefined,
        attempts: prev.attempts + 1,
      });
    } catch (err) {
      // A run whose status cannot be recorded is not started: nobody could see or resume it.
      this.live.delete(id);
      proc.kill('SIGKILL');
      const full = diskFullMessage(err, this.opts.workspace);
      throw new AppError('internal', `run ${id} not started: ${full ?? `cannot write its status (${(err as Error).message})`}`, { where: id });
    }
    this.emitState({ runId: id, state: 'running', message: resume ? 'resumed' : 'started' });

    // Status writes are serialised so a late progress update never overwrites the final state.
    let writes = Promise.resolve();
    let lastIteration = prev.iteration;
    const patch = (p: Partial<RunStatus>) => {
      writes = writes.then(() => updateStatus(dir, p).then(() => undefined)).catch(() => {});
    };

    proc.onMessage((raw) => {
      const parsed = childMessageSchema.safeParse(raw);
      if (!parsed.success) {
        live.invalid = `run process sent an invalid message: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`;
        proc.kill('SIGKILL');
        return;
      }
      const m = parsed.data;
      switch (m.type) {
        case 'ready':
          live.ready = true;
          if (live.cancelPending) proc.send({ type: 'cancel' });
          break;
        case 'progress':
          lastIteration = m.progress.iteration;
          this.opts.onProgress?.(m.progress);
          break;
        case 'checkpoint':
          patch({ iteration: m.iteration });
          break;
        case 'done':
          live.done = { state: m.state, message: m.message };
          break;
        default:
          break;
      }
    });
    proc.onOutput((line, stream) => {
      if (stream === 'stderr') {
        live.stderr.push(line);
        if (live.stderr.length > 40) live.stderr.shift();
      }
      writes = writes.then(() => appendLog(dir, `[${stream}] ${line}`)).catch(() => {});
    });
    proc.onExit((code, signal) => {
      void (async () => {
        await writes;
        let state: RunState = 'failed';
        let message: string | undefined;
        let logTail: string[] | undefined;
        let status: RunStatus | null = null;
        try {
          ({ state, message } = outcome(live, code, signal));
          logTail = state === 'failed' ? [...(await readLogTail(dir, 20)), ...live.stderr.slice(-10)] : undefined;
          if (state === 'failed') await appendLog(dir, `failed: ${message}`).catch(() => undefined);
          const patch = { state, endedAt: new Date().toISOString(), message, logTail, pid: null, iteration: lastIteration };
          status = await updateStatus(dir, patch).catch((err: Error) => {
            // The end of a run is reported even when its status file cannot be written (a full disk);
            // `runs list` later finds the dead pid and says why the file is stale.
            const note = `status.json could not be updated (${diskFullMessage(err, this.opts.workspace) ?? err.message})`;
            message = message ? `${message}; ${note}` : note;
            return { ...prev, ...patch, message };
          });
        } finally {
          status ??= { ...prev, state, message, endedAt: new Date().toISOString(), pid: null, iteration: lastIteration };
          this.live.delete(id);
          this.emitState({ runId: id, state, message, logTail });
          resolveExit(status);
        }
      })().catch((err: unknown) => console.error(`run ${id}: recording its end failed`, err));
    });
  }

  /** Stops every live run (on app exit): asks them to cancel, then kills what is left. */
  async shutdown(graceMs = 5000): Promise<void> {
    const ids = [...this.live.keys()];
    for (const id of ids) void this.cancel(id).catch(() => {});
    const timer = setTimeout(() => ids.forEach((id) => this.kill(id)), graceMs);
    await Promise.all(ids.map((id) => this.wait(id)));
    clearTimeout(timer);
  }
}
