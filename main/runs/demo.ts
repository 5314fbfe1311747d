// `proda demo`: the built-in benchmark adapted end to end, once per seed, and a table of target mIoU
// and per-class IoU per stage next to the baselines. Every number comes from an eval run's report.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { EvalResult, RunStatus } from '../../shared/contract/runs';
import { demoBudgets, demoTimeConstants } from '../../shared/runs-config';
import { demoPipeline } from './presets';
import { runPipeline, type PipelineStep } from './pipeline';
import { readReport } from '../artifacts/records';
import { runDir } from '../artifacts/layout';
import type { RunSupervisor } from './supervisor';

export const demoDatasetDir = (preset: 'demo' | 'demo-quick'): string => path.join('datasets', preset);

/** Rows of the demo table, in the order a reader compares them. */
export const demoRows = [
  { key: 'warmup', label: 'source-only (warm-up)' },
  { key: 'selftrain', label: 'self-training (conf > 0.9)' },
  { key: 'stage1', label: 'ProDA stage 1' },
  { key: 'distill', label: 'ProDA distillation' },
  { key: 'oracle', label: 'target oracle' },
] as const;
export type DemoRowKey = (typeof demoRows)[number]['key'];

export interface DemoScores {
  running: EvalResult;
  reestimate: EvalResult;
}

export interface DemoSeedResult {
  seed: number;
  runs: Record<string, string>;
  scores: Record<DemoRowKey, DemoScores>;
}

export interface DemoOptions {
  workspace: string;
  seeds: number[];
  quick: boolean;
  /** Seed of the generated benchmark (the same data for every training seed). */
  dataSeed: number;
  makeDemo: (opts: { out: string; seed: number; count: number; valCount: number }) => Promise<unknown>;
  /** Runs side by side (default 2: the demo is sized for a 2-core machine). */
  concurrency?: number;
  onStep?: (seed: number, key: string, id: string, how: string) => void;
  follow?: (id: string) => Promise<RunStatus>;
  /**
   * Runs every seed's stage graph at once and returns each graph's run ids by step key (the Slurm
   * executor submits them all, so seeds run side by side on a cluster). Default: one seed after the
   * other through the local supervisor.
   */
  runGraphs?: (graphs: DemoGraph[]) => Promise<Record<string, string>[]>;
}

export interface DemoGraph {
  seed: number;
  /** Run ids are `<prefix>-<step key>`. */
  prefix: string;
  steps: PipelineStep[];
}

export async function ensureDemoDataset(workspace: string, preset: 'demo' | 'demo-quick', dataSeed: number, makeDemo: DemoOptions['makeDemo']): Promise<string> {
  const root = path.join(workspace, demoDatasetDir(preset));
  const { count, valCount } = demoBudgets[preset];
  if (!existsSync(path.join(root, 'demo.json'))) await makeDemo({ out: root, seed: dataSeed, count, valCount });
  return root;
}

export async function runDemo(sup: RunSupervisor, opts: DemoOptions): Promise<DemoSeedResult[]> {
  const preset = opts.quick ? 'demo-quick' : 'demo';
  const root = await ensureDemoDataset(opts.workspace, preset, opts.dataSeed, opts.makeDemo);
  const graphs: DemoGraph[] = opts.seeds.map((seed) => ({ seed, prefix: `${preset}-s${seed}`, steps: demoPipeline({ root }, preset, seed) }));
  let ran: Record<string, string>[];
  if (opts.runGraphs) ran = await opts.runGraphs(graphs);
  else {
    ran = [];
    for (const g of graphs)
      ran.push(
        await runPipeline(sup, g.steps, g.prefix, {
          onStep: (key, id, how) => opts.onStep?.(g.seed, key, id, how),
          follow: opts.follow,
          concurrency: opts.concurrency ?? 2,
        }),
      );
  }
  const out: DemoSeedResult[] = [];
  for (const [i, { seed }] of graphs.entries()) {
    const runs = ran[i];
    const scores = {} as Record<DemoRowKey, DemoScores>;
    for (const row of demoRows) {
      const report = await readReport(runDir(sup.workspace, runs[`eval-${row.key}`]));
      const running = report?.evals.find((e) => e.bn === 'running');
      const reestimate = report?.evals.find((e) => e.bn === 'reestimate');
      if (!running || !reestimate) throw new Error(`eval run for ${row.key} has no scores in its report`);
      scores[row.key] = { running, reestimate };
    }
    out.push({ seed, runs, scores });
  }
  return out;
}

export interface Stat {
  mean: number;
  /** Half the range over seeds (0 for one seed). */
  spread: number;
  values: number[];
}

const stat = (values: number[]): Stat => ({
  mean: values.reduce((a, b) => a + b, 0) / values.length,
  spread: values.length > 1 ? (Math.max(...values) - Math.min(...values)) / 2 : 0,
  values,
});

export interface DemoSummary {
  preset: 'demo' | 'demo-quick';
  /**
   * demo-quick trains a few dozen iterations per stage: it proves every stage runs end to end, and its
   * scores are noise (the oracle can land below source-only), so it states that and draws no conclusions.
   */
  smokeTest: boolean;
  seeds: number[];
  scoring: string;
  timeConstants: string;
  rows: {
    key: DemoRowKey;
    label: string;
    miouRunning: Stat;
    miouReestimated: Stat;
    /** Per class (mean over seeds) under re-estimated BN; null for classes absent from the val split. */
    perClass: (number | null)[];
    runs: string[];
  }[];
  classNames: string[];
  /** The demo's claims checked on the scores; empty for the smoke test, whose ordering means nothing. */
  checks: { claim: string; holds: boolean }[];
}

export function summarizeDemo(results: DemoSeedResult[], quick: boolean): DemoSummary {
  const preset = quick ? 'demo-quick' : 'demo';
  const classNames = results[0].scores.warmup.reestimate.classNames;
  const rows = demoRows.map((row) => {
    const per = classNames.map((_, c) => {
      const vals = results.map((r) => r.scores[row.key].reestimate.perClass[c]).filter((v): v is number => v !== null);
      return vals.length ? vals.reduce((a, b) => a + b, 0) / vals.length : null;
    });
    return {
      key: row.key,
      label: row.label,
      miouRunning: stat(results.map((r) => r.scores[row.key].running.miou)),
      miouReestimated: stat(results.map((r) => r.scores[row.key].reestimate.miou)),
      perClass: per,
      runs: results.map((r) => r.runs[row.key]),
    };
  });
  const m = (k: DemoRowKey) => rows.find((r) => r.key === k)!.miouReestimated.mean;
  return {
    preset,
    smokeTest: quick,
    seeds: results.map((r) => r.seed),
    scoring:
      'Target val mIoU, one forward pass per image at full size, no flip. "running BN": the model\'s own BatchNorm running statistics ' +
      '(what training left, mixing source and target batches for adapted models). "BN re-est.": running statistics replaced by ' +
      `statistics of ${demoBudgets[preset].bnImages} target-train images (no labels) before scoring. Per-class IoU and the checks use BN re-estimated, ` +
      'so no method gains merely from seeing target images in BatchNorm.',
    timeConstants: demoTimeConstants(demoBudgets[preset].stage1).note,
    rows,
    classNames,
    checks: quick
      ? []
      : [
          { claim: 'stage 1 > warm-up', holds: m('stage1') > m('warmup') },
          { claim: 'stage 1 > self-training', holds: m('stage1') > m('selftrain') },
          { claim: 'distillation > stage 1', holds: m('distill') > m('stage1') },
        ],
  };
}
