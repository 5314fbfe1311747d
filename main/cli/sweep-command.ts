// proda sweep --config F --seeds 1,2,3: one run of the same config per seed, independent of each other
// (side by side locally, all submitted at once on Slurm), then a table of each run's final score.
import path from 'node:path';
import { loadRunConfigFile } from '../runs/config-file';
import { pipelineGraph } from '../runs/executors/slurm';
import { runPipeline, type PipelineStep } from '../runs/pipeline';
import { readReport, readStatus } from '../artifacts/records';
import { runDir } from '../artifacts/layout';
import { intOption, outputMode, parse, printJson, UsageError } from './args';
import { EXIT } from './exit-codes';
import { executorChoice, executorOptions } from './executor-options';
import { followRuns, submitAndReport } from './slurm-submit';
import { follow, terminalSupervisor } from './supervise';
import { pct, table } from './tables';
import { writableWorkspace } from './workspace';

export async function sweepCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { config: { type: 'string' }, seeds: { type: 'string' }, prefix: { type: 'string' }, ...executorOptions });
  if (!values.config || !values.seeds) throw new UsageError('sweep needs --config FILE and --seeds 1,2,3');
  const seeds = [...new Set(values.seeds.split(',').map((s) => intOption(s.trim(), 'seeds') as number))];
  const exec = executorChoice(values);
  const config = await loadRunConfigFile(values.config);
  const workspace = await writableWorkspace(values.workspace, values.json);
  const prefix = values.prefix ?? `sweep-${path.basename(values.config, '.json').replace(/[^A-Za-z0-9._-]/g, '_')}`;
  const steps: PipelineStep[] = seeds.map((seed) => ({ key: `s${seed}`, needs: [], config: () => ({ ...config, seed }) }));
  const { sup, sink } = terminalSupervisor(workspace, outputMode(values.json));
  if (exec.kind === 'slurm') {
    const runs = await submitAndReport(workspace, sink, exec, pipelineGraph(steps, prefix));
    await followRuns(workspace, sink, runs.map((r) => r.id));
  } else {
    // A failed seed does not stop the others: each runs as a one-step pipeline (reused or resumed on a rerun).
    await Promise.all(
      steps.map((step) => runPipeline(sup, [step], prefix, { follow: (id) => follow(sup, sink, id), onStep: (_k, id, how) => sink.line(`${id}: ${how}`) }).catch(() => {})),
    );
  }
  const rows = [];
  for (const seed of seeds) {
    const id = `${prefix}-s${seed}`;
    const status = await readStatus(runDir(workspace, id));
    const report = await readReport(runDir(workspace, id));
    rows.push({ id, seed, state: status.state, message: status.message ?? null, miou: report?.final?.miou ?? null });
  }
  if (values.json) printJson({ ok: rows.every((r) => r.state === 'succeeded'), runs: rows });
  else process.stdout.write(table(['run', 'seed', 'state', 'final mIoU'], rows.map((r) => [r.id, String(r.seed), r.state, pct(r.miou)])));
  return rows.every((r) => r.state === 'succeeded') ? EXIT.ok : EXIT.failed;
}
