// The runs of a workspace as the services list and compare them: each run folder's records (read
// through main/artifacts) summarised, with the state of its process reconciled (a run recorded as
// running whose process is gone is failed).
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { isSafeId } from '../../shared/contract/ids';
import { upstreamRuns, isTrainingConfig, type RunConfig } from '../../shared/runs-config';
import type { RunCompare, RunFilter, RunReport, RunStatus, RunSummary } from '../../shared/contract/runs';
import { runDir, runPaths, runsRoot } from '../artifacts/layout';
import { readConfig, readLogTail, readMetrics, readReport, readStatus, updateStatus, type MetricPoint } from '../artifacts/records';
import { readSlurmRecord } from './executors/slurm-record';

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
