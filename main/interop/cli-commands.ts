// `proda export`, `proda export-labels`, `proda import`: the interop jobs from a terminal. Registered
// in main/cli/index.ts; argument parsing, JSON mode and exit codes follow the other commands.
import { modelRefFolderName } from '../../shared/contract/ids';
import path from 'node:path';
import { z } from 'zod';
import { classSetIds } from '../../shared/classes';
import { DatasetFormat } from '../../shared/datasets';
import { AppError } from '../../shared/contract/errors';
import { openDataset } from '../datasets';
import type { Dataset } from '../datasets/types';
import { intOption, outputMode, parse, printJson, UsageError, workspaceOf } from '../cli/args';
import { EXIT } from '../cli/exit-codes';
import { writableWorkspace } from '../cli/workspace';
import { checkTarget } from '../io/folders';
import { resolveInside } from '../io/paths';
import { exportFormats, type ExportFormat, ParityError } from './export-model';
import { exportRunLabels, exportRunModel, exportStamp, importCheckpoint, type Progress } from './jobs';
import { labelOrders, type LabelOrder } from '../engine/predict';
import { labelLayouts, type LabelLayout } from './labels-export';

function list<T extends string>(v: string | undefined, allowed: readonly T[], name: string, dflt: readonly T[]): T[] {
  if (v === undefined) return [...dflt];
  const items = v.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = items.filter((s) => !(allowed as readonly string[]).includes(s));
  if (bad.length || items.length === 0) throw new UsageError(`--${name} takes a comma list of ${allowed.join(', ')}; got "${v}"`);
  return items as T[];
}

async function datasetArg(values: { data?: string; format?: string; split?: string; classes?: string }, required: boolean): Promise<Dataset | null> {
  if (!values.data) {
    if (required) throw new UsageError('--data ROOT and --format F are required');
    return null;
  }
  const format = DatasetFormat.safeParse(values.format);
  if (!format.success) throw new UsageError(`--format must be one of ${DatasetFormat.options.join(', ')}`);
  const classSet = values.classes ?? '19';
  if (!(classSetIds as readonly string[]).includes(classSet)) throw new UsageError(`--classes must be 19, 16 or 13`);
  const root = path.resolve(values.data);
  return openDataset({ id: `${format.data}:${root}`, name: path.basename(root), format: format.data, root, split: values.split, role: 'target', classSet: classSet as '19' });
}

function reporter(json: boolean | undefined): Progress {
  const mode = outputMode(json);
  if (mode === 'silent') return () => {};
  return (step, done, total, message) => process.stderr.write(`${step} ${done}/${total} ${message}\n`);
}

const datasetOptions = { data: { type: 'string' }, format: { type: 'string' }, split: { type: 'string' }, classes: { type: 'string' } } as const;

export async function exportCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    run: { type: 'string' },
    formats: { type: 'string' },
    images: { type: 'string' },
    side: { type: 'string' },
    'min-agreement': { type: 'string' },
    out: { type: 'string' },
    force: { type: 'boolean' },
    ...datasetOptions,
  });
  if (!values.run) throw new UsageError('--run RUN | import:ID is required');
  const workspace = path.resolve(workspaceOf(values.workspace));
  const formats: ExportFormat[] = list(values.formats, exportFormats, 'formats', exportFormats);
  const minAgreement = values['min-agreement'] === undefined ? undefined : z.coerce.number().min(0).max(1).safeParse(values['min-agreement']);
  if (minAgreement && !minAgreement.success) throw new UsageError('--min-agreement takes a number in [0, 1]');
  const outDir = values.out ? path.resolve(values.out) : resolveInside(workspace, 'exports', `${modelRefFolderName(values.run)}-${exportStamp()}`);
  try {
    const r = await exportRunModel({
      workspace,
      runId: values.run,
      dataset: await datasetArg(values, false),
      formats,
      parityImages: intOption(values.images, 'images') ?? 4,
      paritySide: intOption(values.side, 'side') ?? 512,
      minAgreement: minAgreement?.data,
      outDir,
      force: values.force ?? false,
      onProgress: reporter(values.json),
    });
    // The run is in this workspace and its export was written: make sure the app can open it.
    await writableWorkspace(workspace, values.json);
    const p = r.parity;
    if (values.json) printJson({ ok: true, dir: r.outDir, files: r.files, parity: p });
    else {
      process.stdout.write(`exported to ${r.outDir}\n`);
      for (const [name, q] of [['ONNX', p.onnx], ['TF.js', p.tfjs], ['safetensors (reloaded)', p.safetensors], ['PyTorch .pkl (reloaded)', p.pytorch]] as const) {
        if (q) process.stdout.write(`  ${name.padEnd(24)} max |Δlogit| ${q.maxAbsLogitDiff.toExponential(2)}  argmax agreement ${(q.argmaxAgreement * 100).toFixed(3)}%\n`);
      }
    }
    return EXIT.ok;
  } catch (err) {
    if (err instanceof ParityError) {
      if (values.json) printJson({ ok: false, error: { code: 'parity', message: err.message }, parity: err.parity });
      else process.stderr.write(`proda: ${err.message}\n`);
      return EXIT.failed;
    }
    throw asAppError(err);
  }
}

export async function exportLabelsCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    run: { type: 'string' },
    layouts: { type: 'string' },
    soft: { type: 'boolean' },
    'no-flip': { type: 'boolean' },
    order: { type: 'string' },
    bn: { type: 'string' },
    'bn-data': { type: 'string' },
    'bn-split': { type: 'string' },
    out: { type: 'string' },
    force: { type: 'boolean' },
    ...datasetOptions,
  });
  if (!values.run) throw new UsageError('--run RUN | import:ID is required');
  const order = values.order ?? 'pseudo-label';
  if (!(labelOrders as readonly string[]).includes(order)) throw new UsageError(`--order must be ${labelOrders.join(' or ')}; got "${order}"`);
  const bn = values.bn ?? 'running';
  if (bn !== 'running' && bn !== 'reestimate') throw new UsageError(`--bn must be running or reestimate; got "${bn}"`);
  if (bn === 'running' && (values['bn-data'] || values['bn-split'])) throw new UsageError('--bn-data and --bn-split need --bn reestimate');
  const workspace = path.resolve(workspaceOf(values.workspace));
  const layouts: LabelLayout[] = list(values.layouts, labelLayouts, 'layouts', labelLayouts);
  const dataset = (await datasetArg(values, true))!;
  const bnData =
    bn === 'reestimate' && (values['bn-data'] || values['bn-split'])
      ? await datasetArg({ ...values, data: values['bn-data'] ?? values.data, split: values['bn-split'] ?? values.split }, true)
      : undefined;
  const outDir = values.out ? path.resolve(values.out) : resolveInside(workspace, 'exports', `labels-${modelRefFolderName(values.run)}-${exportStamp()}`);
  await checkTarget(outDir, values.force ?? false);
  try {
    const r = await exportRunLabels({
      workspace,
      runId: values.run,
      dataset,
      layouts,
      soft: values.soft ?? false,
      // validation scores without flip: the eval order reproduces it
      flip: order === 'pseudo-label' && !values['no-flip'],
      order: order as LabelOrder,
      bn,
      bnData: bnData ?? undefined,
      outDir,
      onProgress: reporter(values.json),
    });
    await writableWorkspace(workspace, values.json);
    if (values.json) printJson({ ok: true, dir: outDir, images: r.images, files: r.files.length });
    else process.stdout.write(`${r.images} images, ${r.files.length} files in ${outDir}\n`);
    return EXIT.ok;
  } catch (err) {
    throw asAppError(err);
  }
}

export async function importCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      arch: { type: 'string' },
      classes: { type: 'string' },
      'bn-pretrain': { type: 'boolean' },
      strict: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      out: { type: 'string' },
      force: { type: 'boolean' },
    },
    1,
  );
  const file = positionals[0];
  if (!file) throw new UsageError('import needs the checkpoint file');
  // Only an import written under <workspace>/imports/ makes the folder a workspace (once it succeeded).
  const intoWorkspace = !values['dry-run'] && values.out === undefined;
  const workspace = path.resolve(workspaceOf(values.workspace));
  const outDir = values['dry-run'] ? null : path.resolve(values.out ?? path.join(workspace, 'imports', `${path.basename(file).replace(/[^A-Za-z0-9._-]/g, '_')}-${exportStamp()}`));
  if (outDir) await checkTarget(outDir, values.force ?? false);
  try {
    const r = await importCheckpoint({
      file: path.resolve(file),
      network: { arch: values.arch ?? 'resnet101', classes: intOption(values.classes, 'classes') ?? 19, bnPretrain: values['bn-pretrain'] ?? false },
      strict: values.strict ?? false,
      outDir,
      onProgress: reporter(values.json),
    });
    if (intoWorkspace) await writableWorkspace(workspace, values.json);
    if (values.json) printJson({ ok: true, dir: r.dir, summary: r.summary, report: r.report });
    else {
      const rep = r.report;
      process.stdout.write(`${rep.kind}${rep.path ? ` (${rep.path})` : ''}${rep.strippedPrefix ? `, stripped '${rep.strippedPrefix}'` : ''}: ${r.summary}\n`);
      for (const m of rep.shapeMismatched) process.stdout.write(`  shape mismatch ${m.name}: file ${m.found.join('×')}, network ${m.expected.join('×')}\n`);
      if (rep.prototypes) process.stdout.write(`  prototypes ${rep.prototypes.classes}×${rep.prototypes.dim}\n`);
      if (r.dir) process.stdout.write(`written to ${r.dir}\n`);
    }
    return EXIT.ok;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') throw new AppError('not-found', `${file}: no such file`, { where: file });
    throw asAppError(err);
  }
}

/** Job failures are about the input (a file, a run, a dataset): exit as invalid input unless they say otherwise. */
function asAppError(err: unknown): unknown {
  if (err instanceof AppError || err instanceof UsageError) return err;
  if (err instanceof Error) return new AppError('bad-input', err.message);
  return err;
}
