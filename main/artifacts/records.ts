// The run folder's records (layout.ts names the files): config.json, status.json, env.json,
// report.json, log.txt and metrics.jsonl. Every write goes through main/io/atomic; readers tolerate a
// torn last line in the append-only files. This module knows nothing about processes.
import { promises as fsp } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import { appendLine, writeJsonAtomic } from '../io/atomic';
import { jsonFault } from '../io/json';
import { AppError, validationError } from '../../shared/contract/errors';
import { runConfigSchema, type RunConfig } from '../../shared/runs-config';
import { metricPointSchema, runEnvSchema, runReportSchema, runStatusSchema, type RunEnv, type RunReport, type RunStatus } from '../../shared/contract/runs';
import { runDir, runPaths, runsRoot } from './layout';

export type MetricPoint = z.infer<typeof metricPointSchema>;

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

/** A JSON record, or undefined when the file does not exist; any other fault names the file. */
export async function readJson(file: string): Promise<unknown | undefined> {
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

const writeStatus = (dir: string, status: RunStatus): Promise<void> => writeJsonAtomic(runPaths(dir).status, status);

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
