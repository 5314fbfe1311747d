// proda runs list | show | compare | resume | cancel
import { runFilterSchema } from '../../shared/contract/runs';
import { AppError, validationError } from '../../shared/contract/errors';
import { compareRuns, listRuns, reconcileStatus, summarize } from '../runs/catalogue';
import { readConfig, readEnv, readLogTail, readReport } from '../artifacts/records';
import { runDir } from '../artifacts/layout';
import { outputMode, parse, printJson, UsageError, workspaceOf } from './args';
import { EXIT } from './exit-codes';
import { exitFor, follow, runQueuedAndFollow, terminalSupervisor } from './supervise';
import { readSlurmRecord } from '../runs/executors/slurm-record';
import { cancelSlurmRun, resubmit } from '../runs/executors/slurm';
import { formatEval, pct, table } from './tables';
import { writableWorkspace } from './workspace';

export async function runsCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'list':
      return list(rest);
    case 'show':
      return show(rest);
    case 'compare':
      return compare(rest);
    case 'resume':
      return resume(rest);
    case 'cancel':
      return cancel(rest);
    default:
      throw new UsageError(sub ? `unknown runs command "${sub}"` : 'runs needs list, show, compare, resume or cancel');
  }
}

async function list(argv: string[]): Promise<number> {
  const { values } = parse(argv, { stage: { type: 'string' }, state: { type: 'string' }, text: { type: 'string' }, upstream: { type: 'string' } });
  const filter = runFilterSchema.safeParse({ stage: values.stage, state: values.state, text: values.text, upstream: values.upstream });
  if (!filter.success) throw validationError('runs list filter', filter.error.issues);
  const runs = await listRuns(workspaceOf(values.workspace), filter.data);
  if (values.json) printJson(runs);
  else if (runs.length === 0) process.stdout.write('no runs\n');
  else {
    // The Slurm column appears only when some run went through Slurm.
    const slurm = runs.some((r) => r.slurm);
    process.stdout.write(
      table(
        ['id', 'stage', 'state', 'iter', 'mIoU', 'reads', ...(slurm ? ['Slurm job'] : [])],
        runs.map((r) => [
          r.id,
          r.stage,
          r.state,
          `${r.iteration}/${r.iterations}`,
          pct(r.miou),
          r.upstream.join(','),
          ...(slurm ? [r.slurm ? `${r.slurm.jobId} ${r.slurm.state}${r.slurm.reason ? ` (${r.slurm.reason})` : ''}` : '-'] : []),
        ]),
      ) + runs.filter((r) => r.problem).map((r) => `note: ${r.id}: ${r.problem}\n`).join(''),
    );
  }
  return EXIT.ok;
}

function one(positionals: string[], what: string): string {
  const id = positionals[0];
  if (!id) throw new UsageError(`${what} needs a run id`);
  return id;
}

async function show(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {}, 1);
  const ws = workspaceOf(values.workspace);
  const dir = runDir(ws, one(positionals, 'runs show'));
  const config = await readConfig(dir);
  const data = {
    summary: await summarize(dir),
    status: await reconcileStatus(dir),
    config,
    env: await readEnv(dir),
    report: await readReport(dir),
    logTail: await readLogTail(dir, 20),
  };
  if (values.json) {
    printJson(data);
    return EXIT.ok;
  }
  const s = data.summary;
  process.stdout.write(`${s.id}  ${s.stage}  ${s.state}  iteration ${s.iteration}/${s.iterations}\n`);
  if (data.status.message) process.stdout.write(`  ${data.status.message}\n`);
  if (s.slurm) process.stdout.write(`  Slurm job ${s.slurm.jobId}: ${s.slurm.state}${s.slurm.reason ? ` (${s.slurm.reason})` : ''}\n`);
  if (s.upstream.length) process.stdout.write(`  reads: ${s.upstream.join(', ')}\n`);
  if (data.env) process.stdout.write(`  seed ${data.env.seed}, batch ${data.env.effectiveBatchSize ?? '-'}, backend ${data.env.backend}, commit ${data.env.gitCommit ?? '-'}\n`);
  for (const e of data.report?.evals ?? []) process.stdout.write(formatEval(e));
  process.stdout.write(`\nconfig:\n${JSON.stringify(config, null, 2)}\n\nlog tail:\n${data.logTail.join('\n')}\n`);
  return EXIT.ok;
}

async function compare(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {}, 2);
  if (positionals.length < 2) throw new UsageError('runs compare needs two run ids');
  const c = await compareRuns(workspaceOf(values.workspace), positionals[0], positionals[1]);
  if (values.json) {
    printJson(c);
    return EXIT.ok;
  }
  const show = (v: unknown) => (v === undefined ? '(unset)' : JSON.stringify(v));
  process.stdout.write(`config differences (${c.a.id} vs ${c.b.id}):\n`);
  process.stdout.write(c.configDiff.length ? table(['field', c.a.id, c.b.id], c.configDiff.map((d) => [d.path, show(d.a), show(d.b)])) : '  none\n');
  process.stdout.write('\nmetrics:\n');
  const num = (v: number | null) => (v === null ? '-' : Math.abs(v) <= 1 && v !== 0 ? v.toFixed(4) : v.toFixed(2));
  process.stdout.write(table(['metric', c.a.id, c.b.id], c.metrics.map((m) => [m.name, num(m.a), num(m.b)])));
  return EXIT.ok;
}

async function resume(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { queued: { type: 'boolean' } }, 1);
  const id = one(positionals, 'runs resume');
  const workspace = workspaceOf(values.workspace);
  const { sup, sink } = terminalSupervisor(workspace, outputMode(values.json));
  let status;
  if (values.queued) {
    // Inside a batch job that resumes a Slurm run: continue it here from its last checkpoint.
    status = (await runQueuedAndFollow(sup, sink, id, true)).status;
  } else if (await readSlurmRecord(runDir(workspace, id))) {
    const jobId = await resubmit(workspace, id);
    await writableWorkspace(workspace, values.json);
    if (values.json) printJson({ ok: true, id, state: 'queued', jobId });
    else process.stdout.write(`run ${id} resubmitted as Slurm job ${jobId}; it continues from its last checkpoint\n`);
    return EXIT.ok;
  } else {
    await sup.resume(id);
    await writableWorkspace(workspace, values.json);
    status = await follow(sup, sink, id);
  }
  if (values.json) printJson({ ok: status.state === 'succeeded', id, state: status.state, message: status.message, logTail: status.logTail });
  else process.stdout.write(`run ${id} ${status.state}${status.message ? `: ${status.message}` : ''}\n`);
  return exitFor(status);
}

/** Cancels a run started by another proda process: its run process treats SIGTERM as a cancel. */
async function cancel(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {}, 1);
  const id = one(positionals, 'runs cancel');
  const workspace = workspaceOf(values.workspace);
  if (await readSlurmRecord(runDir(workspace, id))) {
    const { state, jobId } = await cancelSlurmRun(workspace, id);
    if (values.json) printJson({ ok: true, id, state, jobId });
    else process.stdout.write(`scancel ${jobId}: run ${id} ${state === 'cancelled' ? 'was still queued and is cancelled' : 'stops after its current iteration'}\n`);
    return EXIT.ok;
  }
  const status = await reconcileStatus(runDir(workspace, id));
  if (status.state !== 'running' || status.pid === null) throw new AppError('conflict', `run ${id} is not running (${status.state})`, { where: id });
  process.kill(status.pid, 'SIGTERM');
  if (values.json) printJson({ ok: true, id, state: 'cancelling' });
  else process.stdout.write(`asked run ${id} (pid ${status.pid}) to stop after its current iteration\n`);
  return EXIT.ok;
}
