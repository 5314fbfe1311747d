// The run folder on disk: runs/<id>/{config.json, status.json, env.json, log.txt, metrics.jsonl,
// checkpoints/, artifacts/, report.json}. Every write goes through main/io/atomic; readers tolerate a
// torn last line in the append-only files. This module knows nothing about processes.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import { appendLine, writeJsonAtomic } from '../io/atomic';
import { jsonFault } from '../io/json';
import { resolveInside } from '../io/paths';
import { isSafeId, safeIdMessage } from '../../shared/contract/ids';
import { readSlurmRecord } from './executors/slurm-record';
import { AppError, validationError } from '../../shared/contract/errors';
import { runConfigSchema, upstreamRuns, isTrainingConfig, type RunConfig } from '../../shared/runs-config';
import {
  metricPointSchema,
  runEnvSchema,
  runReportSchema,
  runStatusSchema,
  type RunCompare,
  type RunEnv,
  type RunFilter,
  type RunReport,
  type RunStatus,
  type RunSummary,
} from '../../shared/contract/runs';

export type MetricPoint = z.infer<typeof metricPointSchema>;

export const runsRoot = (workspace: string): string => path.join(workspace, 'runs');
/** runs/<id>; an id that is not one safe folder name is refused here, whatever route it came by. */
export function runDir(workspace: string, id: string): string {
  if (!isSafeId(id)) throw new AppError('validation', `run id ${JSON.stringify(id.slice(0, 80))} is not ${safeIdMessage}`, { where: 'id' });
  return resolveInside(runsRoot(workspace), id);
}

export const runPaths = (dir: string) => ({
  config: path.join(dir, 'config.json'),
  status: path.join(dir, 'status.json'),
  env: path.join(dir, 'env.json'),
  log: path.join(dir, 'log.txt'),
  metrics: path.join(dir, 'metrics.jsonl'),
  report: path.join(dir, 'report.json'),
  checkpoints: path.join(dir, 'checkpoints'),
  artifacts: path.join(dir, 'artifacts'),
});

export function newRunId(config: RunConfig, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${config.stage}-${stamp}-${randomBytes(2).toString('hex')}`;
}

export async function createRun(workspace: string, config: RunConfig, id = newRunId(config)): Promise<string> {
  const dir = runDir(workspace, id);
  try {
    await fsp.mkdir(dir, { recursive: false });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new AppError('conflict', `run ${id} already exists`, { where: dir });
    await fsp.mkdir(runsRoot(workspace), { recursive: true });
    await fsp.mkdir(dir);
  }
  const p = runPaths(dir);
  await fsp.mkdir(p.checkpoints, { recursive: true });
  await fsp.mkdir(p.artifacts, { recursive: true });
  await writeJsonAtomic(p.config, config);
  await writeStatus(dir, { state: 'queued', pid: null, startedAt: null, endedAt: null, iteration: 0, attempts: 0 });
  return id;
}

async function readJson(file: string): Promise<unknown | undefined> {
  try {
    return JSON.parse(await fsp.readFile(file, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    // Name the file and the fault, never echo its bytes (it may not be ours).
    throw new AppError('bad-input', code ? `${file}: cannot read (${code})` : `${file}: not valid JSON (${jsonFault(err)})`, { where: file });
  }
}

export async function readConfig(dir: string): Promise<RunConfig> {
  const file = runPaths(dir).config;
  const raw = await readJson(file);
  if (raw === undefined) throw new AppError('not-found', `no run at ${dir}`, { where: file });
  const parsed = runConfigSchema.safeParse(raw);
  if (!parsed.success) throw validationError(file, parsed.error.issues);
  return parsed.data;
}

export async function readStatus(dir: string): Promise<RunStatus> {
  const file = runPaths(dir).status;
  const parsed = runStatusSchema.safeParse(await readJson(file));
  if (!parsed.success) return { state: 'failed', pid: null, startedAt: null, endedAt: null, iteration: 0, attempts: 0, message: `${file} is missing or invalid` };
  return parsed.data;
}

export const writeStatus = (dir: string, status: RunStatus): Promise<void> => writeJsonAtomic(runPaths(dir).status, status);

export async function updateStatus(dir: string, patch: Partial<RunStatus>): Promise<RunStatus> {
  const next = { ...(await readStatus(dir)), ...patch };
  await writeStatus(dir, next);
  return next;
}

export async function readEnv(dir: string): Promise<RunEnv | null> {
  const parsed = runEnvSchema.safeParse(await readJson(runPaths(dir).env));
  return parsed.success ? parsed.data : null;
}
export const writeEnv = (dir: string, env: RunEnv): Promise<void> => writeJsonAtomic(runPaths(dir).env, env);

export async function readReport(dir: string): Promise<RunReport | null> {
  const parsed = runReportSchema.safeParse(await readJson(runPaths(dir).report));
  return parsed.success ? parsed.data : null;
}
export const writeReport = (dir: string, report: RunReport): Promise<void> => writeJsonAtomic(runPaths(dir).report, report);

export const appendLog = (dir: string, line: string): Promise<void> =>
  appendLine(runPaths(dir).log, `${new Date().toISOString()} ${line.replace(/\n/g, ' | ')}`);

export const appendMetric = (dir: string, point: MetricPoint): Promise<void> => appendLine(runPaths(dir).metrics, JSON.stringify(point));

async function readLines(file: string): Promise<string[]> {
  try {
    return (await fsp.readFile(file, 'utf8')).split('\n').filter((l) => l.length > 0);
  } catch {
    return [];
  }
}

export async function readMetrics(dir: string): Promise<MetricPoint[]> {
  const out: MetricPoint[] = [];
  for (const line of await readLines(runPaths(dir).metrics)) {
    try {
      const p = metricPointSchema.safeParse(JSON.parse(line));
      if (p.success) out.push(p.data);
    } catch {
      /* a torn last line after a kill */
    }
  }
  return out;
}

export async function readLogTail(dir: string, lines = 20): Promise<string[]> {
  return (await readLines(runPaths(dir).log)).slice(-lines);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A run recorded as running whose process no longer exists (main was killed with it, or the machine
 * rebooted) is failed; `supervised` lists runs this process is watching, which are never touched.
 */
export async function reconcileStatus(dir: string, supervised: ReadonlySet<string> = new Set()): Promise<RunStatus & { problem?: string }> {
  const status = await readStatus(dir);
  const id = path.basename(dir);
  if (supervised.has(id)) return status;
  // A Slurm run's process lives on a node: Slurm, not a pid, says whether it is still there.
  const slurm = await readSlurmRecord(dir);
  if (slurm) return (await import('./executors/slurm-watch')).reconcileSlurm(dir, status, slurm);
  if ((status.state === 'running' || status.state === 'cancelling') && (status.pid === null || !isAlive(status.pid))) {
    const patch = {
      state: 'failed' as const,
      endedAt: new Date().toISOString(),
      message: status.message ?? 'the run process disappeared without reporting (killed, or its supervisor exited)',
      logTail: await readLogTail(dir),
    };
    // A full disk must not hide the run: report the state it is really in, and why the file still says otherwise.
    return updateStatus(dir, patch).catch((err: Error) => ({ ...status, ...patch, problem: `status.json still says ${status.state}: it could not be updated (${err.message})` }));
  }
  return status;
}

function lastVal(metrics: MetricPoint[]): number | null {
  for (let i = metrics.length - 1; i >= 0; i--) if (metrics[i].val !== undefined) return metrics[i].val ?? null;
  return null;
}

/** The summary's score and the BN mode it was computed with: the report's first, else the latest validation. */
function scoreOf(config: RunConfig, report: RunReport | null, metrics: MetricPoint[]): Pick<RunSummary, 'miou' | 'miouBn' | 'miouReestimate'> {
  if (report?.final) {
    const re = report.final.bn === 'reestimate' ? undefined : report.evals.find((e) => e.bn === 'reestimate');
    return { miou: report.final.miou, miouBn: report.final.bn, ...(re ? { miouReestimate: re.miou } : {}) };
  }
  const val = lastVal(metrics);
  return { miou: val, miouBn: val === null ? null : 'validation' in config ? config.validation.bn : null };
}

export async function summarize(dir: string, supervised?: ReadonlySet<string>): Promise<RunSummary> {
  const config = await readConfig(dir);
  const status = await reconcileStatus(dir, supervised);
  const report = await readReport(dir);
  const slurm = await readSlurmRecord(dir).catch(() => null);
  const stat = await fsp.stat(runPaths(dir).config);
  return {
    id: path.basename(dir),
    name: config.name ?? null,
    stage: config.stage,
    state: status.state,
    ...(status.problem ? { problem: status.problem } : {}),
    createdAt: stat.birthtime.getTime() > 0 ? stat.birthtime.toISOString() : stat.mtime.toISOString(),
    iteration: status.iteration,
    // One-shot stages (pseudo-labels, eval) count images instead of iterations.
    iterations: isTrainingConfig(config) ? config.optim.iterations : status.iteration,
    upstream: upstreamRuns(config),
    ...scoreOf(config, report, await readMetrics(dir)),
    ...(config.stage === 'warmup' && config.targetLabels ? { variant: 'oracle' as const } : {}),
    ...(config.stage === 'pseudo' ? { variant: config.mode } : {}),
    ...(slurm ? { slurm: await (await import('./executors/slurm-watch')).slurmJobView(slurm) } : {}),
    ...(report?.corrections?.length
      ? { corrected: { images: report.corrections.length, pixels: report.corrections.reduce((a, u) => a + u.touchedPixels, 0) } }
      : {}),
  };
}

export async function listRuns(workspace: string, filter: RunFilter = {}, supervised?: ReadonlySet<string>): Promise<RunSummary[]> {
  let names: string[];
  try {
    names = await fsp.readdir(runsRoot(workspace));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: RunSummary[] = [];
  for (const name of names) {
    if (!isSafeId(name)) continue;
    let s: RunSummary;
    try {
      s = await summarize(runDir(workspace, name), supervised);
    } catch {
      continue; // not a run folder, or one whose config is unreadable: `runs show` reports why
    }
    if (filter.stage && s.stage !== filter.stage) continue;
    if (filter.state && s.state !== filter.state) continue;
    if (filter.upstream && !s.upstream.includes(filter.upstream)) continue;
    if (filter.text && !`${s.id} ${s.name ?? ''}`.toLowerCase().includes(filter.text.toLowerCase())) continue;
    out.push(s);
  }
  return out.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
}

/** Leaf paths (dotted) whose values differ between two JSON values. */
export function diffJson(a: unknown, b: unknown, prefix = ''): { path: string; a: unknown; b: unknown }[] {
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => diffJson(a[k], b[k], prefix ? `${prefix}.${k}` : k));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [{ path: prefix || '(root)', a, b }];
}

function metricSummary(metrics: MetricPoint[], report: RunReport | null): Map<string, number> {
  const m = new Map<string, number>();
  if (report?.final) {
    m.set('final mIoU', report.final.miou);
    report.final.classNames.forEach((n, i) => {
      const v = report.final?.perClass[i];
      if (v !== null && v !== undefined) m.set(`IoU ${n}`, v);
    });
  }
  const v = lastVal(metrics);
  if (v !== null) m.set('last val mIoU', v);
  const last = [...metrics].reverse().find((p) => p.losses);
  for (const [k, val] of Object.entries(last?.losses ?? {})) m.set(`loss ${k}`, val);
  if (report) m.set('seconds', report.seconds);
  return m;
}

export async function compareRuns(workspace: string, a: string, b: string): Promise<RunCompare> {
  const [da, db] = [runDir(workspace, a), runDir(workspace, b)];
  const [ca, cb] = [await readConfig(da), await readConfig(db)];
  const ma = metricSummary(await readMetrics(da), await readReport(da));
  const mb = metricSummary(await readMetrics(db), await readReport(db));
  const names = [...new Set([...ma.keys(), ...mb.keys()])];
  return {
    a: await summarize(da),
    b: await summarize(db),
    configDiff: diffJson(ca, cb),
    metrics: names.map((name) => ({ name, a: ma.get(name) ?? null, b: mb.get(name) ?? null })),
  };
}
