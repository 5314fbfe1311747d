// proda train / pseudo / eval: one stage each, run in a child process and followed to its end.
import path from 'node:path';
import type { RunConfigInput } from '../../shared/runs-config';
import { loadRunConfigFile } from '../runs/config-file';
import { readReport, runDir } from '../runs/records';
import { parse, outputMode, printJson, UsageError, workspaceOf } from './args';
import { exitFor, startAndFollow, terminalSupervisor } from './supervise';
import { formatEval } from './tables';

async function runAndReport(workspace: string, json: boolean | undefined, config: unknown, id?: string): Promise<number> {
  const { sup, sink } = terminalSupervisor(workspace, outputMode(json));
  const out = await startAndFollow(sup, sink, config, id);
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
  const { values } = parse(argv, { config: { type: 'string' }, id: { type: 'string' } });
  if (!values.config) throw new UsageError('train needs --config FILE');
  const config = await loadRunConfigFile(values.config);
  return runAndReport(workspaceOf(values.workspace), values.json, config, values.id);
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

export async function pseudoCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { ...dataOptions, mode: { type: 'string', default: 'soft' } });
  const workspace = workspaceOf(values.workspace);
  const model = await modelRef(values, workspace, 'pseudo');
  const config: RunConfigInput = { stage: 'pseudo', model, target: dataset(values) as never, mode: values.mode as 'soft' | 'hard' };
  return runAndReport(workspace, values.json, config, values.id);
}

export async function evalCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { ...dataOptions, bn: { type: 'string', default: 'running' }, 'bn-data': { type: 'string' }, 'bn-split': { type: 'string' } });
  const workspace = workspaceOf(values.workspace);
  const val = dataset(values);
  const model = await modelRef(values, workspace, 'eval');
  const config = {
    stage: 'eval',
    model,
    val,
    bn: values.bn,
    ...(values['bn-data'] || values['bn-split'] ? { bnData: { ...val, root: values['bn-data'] ?? val.root, split: values['bn-split'] ?? val.split } } : {}),
  };
  return runAndReport(workspace, values.json, config, values.id);
}
