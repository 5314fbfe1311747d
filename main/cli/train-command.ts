// proda train / pseudo / eval: one stage each, run in a child process and followed to its end.
import path from 'node:path';
import type { RunConfigInput } from '../../shared/runs-config';
import { loadRunConfigFile } from '../runs/config-file';
import { newRunId, readConfig, readReport } from '../artifacts/records';
import { runDir } from '../artifacts/layout';
import { runConfigSchema } from '../../shared/runs-config';
import { AppError } from '../../shared/contract/errors';
import { executorChoice, executorOptions } from './executor-options';
import { intOption, parse, outputMode, printJson, UsageError, workspaceOf } from './args';
import { exitFor, runQueuedAndFollow, startAndFollow, terminalSupervisor } from './supervise';
import { formatEval } from './tables';
import { registerNewDatasets, writableWorkspace } from './workspace';

/** Runs a config to its end here; with a null config, the queued run `id` (a batch job's run). */
async function runAndReport(workspace: string, json: boolean | undefined, config: unknown, id?: string): Promise<number> {
  const { sup, sink } = terminalSupervisor(workspace, outputMode(json));
  // The workspace.json is written once the run folder exists (a refused config writes nothing), and
  // again at the end for datasets the run read.
  const out =
    config === null && id
      ? await runQueuedAndFollow(sup, sink, id)
      : await startAndFollow(sup, sink, config, id, () => writableWorkspace(workspace, json));
  await registerNewDatasets(workspace);
  const report = await readReport(runDir(workspace, out.id));
  if (json) {
    printJson({
      ok: out.status.state === 'succeeded',
      id: out.id,
      state: out.status.state,
      message: out.status.message,
      warnings: out.warnings,
      inference: report?.final?.inference ?? null,
      report,
      logTail: out.status.logTail,
    });
  } else {
    if (out.status.state === 'failed') process.stderr.write(`run ${out.id} failed: ${out.status.message ?? ''}\n${(out.status.logTail ?? []).map((l) => `  ${l}`).join('\n')}\n`);
    else if (out.status.state === 'cancelled') process.stdout.write(`run ${out.id} cancelled; resume with: proda runs resume ${out.id}\n`);
    else {
      process.stdout.write(`run ${out.id} succeeded\n`);
      for (const e of report?.evals ?? []) process.stdout.write(formatEval(e));
    }
  }
  return exitFor(out.status);
}

export async function trainCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { config: { type: 'string' }, id: { type: 'string' }, queued: { type: 'boolean' }, ...executorOptions });
  if (!values.config) throw new UsageError('train needs --config FILE');
  const config = await loadRunConfigFile(values.config);
  const workspace = path.resolve(workspaceOf(values.workspace));
  const exec = executorChoice(values);
  if (values.queued) {
    // Inside a batch job: the submitter created the run folder; run it here, in the foreground.
    if (!values.id) throw new UsageError('--queued needs --id');
    if (exec.kind !== 'local') throw new UsageError('--queued runs the run here; it takes no --executor slurm');
    const stored = await readConfig(runDir(workspace, values.id));
    if (JSON.stringify(stored) !== JSON.stringify(runConfigSchema.parse(config)))
      throw new AppError('conflict', `run ${values.id} was queued with a different config than ${values.config}`, { where: values.config });
    return runAndReport(workspace, values.json, null, values.id);
  }
  if (exec.kind === 'slurm') {
    const { submitSlurm } = await import('./slurm-submit');
    await writableWorkspace(workspace, values.json);
    return submitSlurm(workspace, values, exec, [{ id: values.id ?? newRunId(runConfigSchema.parse(config)), config, after: [] }]);
  }
  return runAndReport(workspace, values.json, config, values.id);
}

const dataOptions = {
  data: { type: 'string' },
  format: { type: 'string' },
  split: { type: 'string' },
  model: { type: 'string' },
  id: { type: 'string' },
  seed: { type: 'string' },
  // An official checkpoint or logs folder given as --model is imported with this network first.
  arch: { type: 'string' },
  classes: { type: 'string' },
  'bn-pretrain': { type: 'boolean' },
  // Inference runtime of the run process (handed down as PRODA_INFERENCE / PRODA_ORT_*).
  engine: { type: 'string' },
  provider: { type: 'string' },
  threads: { type: 'string' },
} as const;

type ModelValues = { model?: string; arch?: string; classes?: string; 'bn-pretrain'?: boolean; engine?: string; provider?: string; threads?: string; json?: boolean };

/**
 * --model: a run id, import:<id>, or a path (holding a '/' or naming a .pkl/.pth) to an official ProDA
 * checkpoint or logs folder, which is imported (once) and used as import:<id>.
 */
async function modelRef(values: ModelValues, workspace: string, what: string): Promise<string> {
  if (!values.model) throw new UsageError(`${what} needs --model RUN | import:ID | PATH`);
  // Checked here so a typo is a usage error, not a failed run.
  if (values.engine !== undefined && values.engine !== 'onnxruntime' && values.engine !== 'tfjs') throw new UsageError('--engine is onnxruntime or tfjs');
  if (values.provider !== undefined && !['cpu', 'webgpu', 'cuda'].includes(values.provider)) throw new UsageError('--provider is cpu, webgpu or cuda');
  if (values.threads !== undefined && !intOption(values.threads, 'threads')) throw new UsageError('--threads must be at least 1');
  for (const [flag, env] of [['engine', 'PRODA_INFERENCE'], ['provider', 'PRODA_ORT_PROVIDER'], ['threads', 'PRODA_ORT_THREADS']] as const) {
    if (values[flag]) process.env[env] = values[flag];
  }
  const m = values.model;
  if (!m.includes('/') && !m.includes(path.sep) && !/\.(pkl|pth|pt)$/.test(m)) return m;
  const classes = values.classes === undefined ? 19 : Number(values.classes);
  if (!Number.isInteger(classes) || classes < 1) throw new UsageError('--classes must be a positive integer');
  const network = { arch: values.arch ?? 'resnet101', classes, bnPretrain: values['bn-pretrain'] ?? false };
  // Loaded only here: the import brings the engine and the pickle reader with it.
  const { importOfficialModel } = await import('../interop/jobs');
  const r = await importOfficialModel({ workspace: path.resolve(workspace), path: m, network });
  if (!values.json) process.stdout.write(`${r.reused ? 'using' : 'imported'} ${r.file} as ${r.ref}\n`);
  return r.ref;
}

function dataset(values: { data?: string; format?: string; split?: string }) {
  if (!values.data || !values.format) throw new UsageError('--data ROOT and --format F are required');
  return { root: values.data, format: values.format, ...(values.split ? { split: values.split } : {}) };
}

const seedOf = (v: string | undefined) => {
  const seed = intOption(v, 'seed');
  return seed === undefined ? {} : { seed };
};

export async function pseudoCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { ...dataOptions, mode: { type: 'string', default: 'soft' } });
  const workspace = path.resolve(workspaceOf(values.workspace));
  const model = await modelRef(values, workspace, 'pseudo');
  const config: RunConfigInput = { stage: 'pseudo', ...seedOf(values.seed), model, target: dataset(values) as never, mode: values.mode as 'soft' | 'hard' };
  return runAndReport(workspace, values.json, config, values.id);
}

export async function evalCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { ...dataOptions, bn: { type: 'string', default: 'running' }, 'bn-data': { type: 'string' }, 'bn-split': { type: 'string' } });
  const workspace = path.resolve(workspaceOf(values.workspace));
  const val = dataset(values);
  const model = await modelRef(values, workspace, 'eval');
  // Without --bn-data / --bn-split the eval stage re-estimates on the scored split's own images (labels unused).
  const config = {
    stage: 'eval',
    ...seedOf(values.seed),
    model,
    val,
    bn: values.bn,
    ...(values['bn-data'] || values['bn-split'] ? { bnData: { ...val, root: values['bn-data'] ?? val.root, split: values['bn-split'] ?? val.split } } : {}),
  };
  return runAndReport(workspace, values.json, config, values.id);
}
