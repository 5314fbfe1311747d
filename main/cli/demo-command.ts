// proda demo: generate the built-in benchmark in the workspace and run the demo stage graph per seed.
import { makeDemo } from '../datasets';
import { demoBudgets } from '../../shared/runs-config';
import { runDemo, summarizeDemo, type DemoGraph, type DemoSummary } from '../runs/demo';
import { pipelineGraph } from '../runs/executors/slurm';
import { ensureWorkspaceFile } from '../services/workspace-adopt';
import { AppError } from '../../shared/contract/errors';
import { executorChoice, executorOptions, type ExecutorChoice } from './executor-options';
import type { ProgressSink } from './progress';
import { followRuns, submitAndReport } from './slurm-submit';
import { intOption, outputMode, parse, printJson, UsageError } from './args';
import { EXIT } from './exit-codes';
import { follow, terminalSupervisor } from './supervise';
import { pct, table } from './tables';
import { writableWorkspace } from './workspace';

export async function demoCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { quick: { type: 'boolean' }, seed: { type: 'string' }, seeds: { type: 'string' }, 'data-seed': { type: 'string' }, ...executorOptions });
  const exec = executorChoice(values);
  let seeds: number[];
  if (values.seeds) {
    seeds = values.seeds.split(',').map((s) => intOption(s.trim(), 'seeds') as number);
    if (values.seed) throw new UsageError('use --seed or --seeds, not both');
  } else seeds = [intOption(values.seed, 'seed') ?? 1];
  const preset = values.quick ? 'demo-quick' : 'demo';
  const workspace = await writableWorkspace(values.workspace, values.json, preset);
  const { sup, sink } = terminalSupervisor(workspace, outputMode(values.json));
  const t0 = Date.now();
  const results = await runDemo(sup, {
    workspace,
    seeds,
    quick: values.quick ?? false,
    dataSeed: intOption(values['data-seed'], 'data-seed') ?? 1,
    makeDemo: async (o) => {
      sink.line(`generating the demo benchmark in ${o.out} (seed ${o.seed})…`);
      await makeDemo(o);
      await ensureWorkspaceFile(workspace, { preset });
    },
    onStep: (seed, key, id, how) => sink.line(`[seed ${seed}] ${key}: ${how === 'start' ? 'running' : how === 'reuse' ? 'already done' : 'resuming'} ${id}`),
    follow: (id) => follow(sup, sink, id),
    ...(exec.kind === 'slurm' ? { runGraphs: (graphs: DemoGraph[]) => slurmGraphs(workspace, sink, exec, graphs) } : {}),
  });
  const summary = summarizeDemo(results, values.quick ?? false);
  const seconds = (Date.now() - t0) / 1000;
  if (values.json) printJson({ ok: true, seconds, ...summary, perSeed: results });
  else process.stdout.write(formatDemo(summary, seconds));
  return EXIT.ok;
}

const pm = (s: { mean: number; spread: number; values: number[] }) => (s.values.length > 1 ? `${pct(s.mean)} ± ${pct(s.spread)}` : pct(s.mean));

export function formatDemo(s: DemoSummary, seconds: number): string {
  const present = s.classNames.map((n, i) => [n, i] as const).filter(([, i]) => s.rows.some((r) => r.perClass[i] !== null));
  const header = ['stage', 'mIoU running BN', 'mIoU BN re-est.', ...present.map(([n]) => n)];
  const rows = s.rows.map((r) => [r.label, pm(r.miouRunning), pm(r.miouReestimated), ...present.map(([, i]) => pct(r.perClass[i]))]);
  const b = demoBudgets[s.preset];
  const title = s.smokeTest
    ? [
        `SMOKE TEST of the pipeline (demo-quick), seeds ${s.seeds.join(', ')}, ${Math.round(seconds)} s: every stage ran to the end.`,
        `Each stage trained only ${b.warmup}/${b.stage1}/${b.distill} iterations (warm-up/stage 1/distillation) on ${b.count} images, so the`,
        'scores below are noise: they rank nothing (the oracle may land below source-only). Run `proda demo` for results.',
      ]
    : [`ProDA demo (${s.preset}), target val, seeds ${s.seeds.join(', ')}${s.seeds.length > 1 ? ' (mean ± half-range)' : ''}, ${Math.round(seconds)} s`];
  return [
    ...title,
    '',
    table(header, rows),
    `Scoring: ${s.scoring}`,
    `Time constants: ${s.timeConstants}.`,
    '',
    ...s.checks.map((c) => `${c.holds ? 'yes' : 'NO '}  ${c.claim} (mIoU, BN re-estimated)`),
    ...(s.checks.length ? [''] : []),
  ].join('\n');
}

/** Every seed's graph submitted to Slurm at once, then followed through the run folders to the end. */
async function slurmGraphs(workspace: string, sink: ProgressSink, exec: ExecutorChoice, graphs: DemoGraph[]): Promise<Record<string, string>[]> {
  const runs = await submitAndReport(workspace, sink, exec, graphs.flatMap((g) => pipelineGraph(g.steps, g.prefix)));
  const done = await followRuns(workspace, sink, runs.map((r) => r.id));
  const bad = [...done].filter(([, s]) => s.state !== 'succeeded');
  if (bad.length)
    throw new AppError(
      bad.some(([, s]) => s.state === 'failed') ? 'internal' : 'cancelled',
      `${bad.map(([id, s]) => `${id} ${s.state}${s.message ? `: ${s.message}` : ''}`).join('\n')}\nrun the same command again to resume`,
    );
  return graphs.map((g) => Object.fromEntries(g.steps.map((s) => [s.key, `${g.prefix}-${s.key}`])));
}
