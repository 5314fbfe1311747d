// `proda dataset make-demo` and `proda dataset check`: the dataset half of the CLI.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { classSetIds } from '../../shared/classes';
import type { ClassSetId } from '../../shared/classes';
import { AppError } from '../../shared/contract/errors';
import type { CheckReport, DatasetFormat } from '../../shared/datasets';
import { datasetFormats, problemLine } from '../../shared/datasets';
import { checkDataset } from '../datasets/check';
import { makeDemo } from '../datasets/demo';
import { commandHelp } from './help';
import { EXIT, exitCodeFor } from './exit-codes';

export interface CommandIo {
  out: (s: string) => void;
  err: (s: string) => void;
  isTTY: boolean;
}

const processIo = (): CommandIo => ({
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  isTTY: Boolean(process.stderr.isTTY),
});

class Usage extends Error {}

function int(v: string | undefined, name: string, fallback?: number): number | undefined {
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v)) throw new Usage(`--${name} expects a non-negative integer, got "${v}"`);
  return Number(v);
}

export async function runDatasetCommand(argv: string[], io: CommandIo = processIo()): Promise<number> {
  const [sub, ...rest] = argv;
  const json = rest.includes('--json');
  try {
    switch (sub) {
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(commandHelp('dataset') ?? '');
        return sub === undefined ? EXIT.usage : EXIT.ok;
      case 'make-demo':
        if (rest.includes('--help') || rest.includes('-h')) return (io.out(commandHelp('dataset make-demo') ?? ''), EXIT.ok);
        return await makeDemoCommand(rest, io);
      case 'check':
        if (rest.includes('--help') || rest.includes('-h')) return (io.out(commandHelp('dataset check') ?? ''), EXIT.ok);
        return await checkCommand(rest, io);
      default:
        throw new Usage(`unknown dataset command "${sub}"`);
    }
  } catch (err) {
    let code: number;
    let data: { code: string; message: string; where?: string };
    if (err instanceof Usage) {
      code = EXIT.usage;
      data = { code: 'usage', message: `${err.message} (proda dataset --help)` };
    } else if (err instanceof AppError) {
      code = exitCodeFor(err.code);
      data = { code: err.code, message: err.message, where: err.where };
    } else {
      code = EXIT.failed;
      data = { code: 'internal', message: err instanceof Error ? err.message : String(err) };
    }
    if (json) io.out(`${JSON.stringify({ ok: false, error: data })}\n`);
    else io.err(`proda dataset: ${data.message}\n`);
    return code;
  }
}

function parse(
  argv: string[],
  options: Record<string, { type: 'string' | 'boolean' }>,
  positionals: number,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const r = parseArgs({ args: argv, options: { json: { type: 'boolean' }, ...options }, allowPositionals: positionals > 0, strict: true });
    if (r.positionals.length > positionals) throw new Usage(`unexpected argument "${r.positionals[positionals]}"`);
    return r;
  } catch (err) {
    if (err instanceof Usage) throw err;
    throw new Usage((err as Error).message);
  }
}

function progress(io: CommandIo, label: string): ((done: number, total: number) => void) | undefined {
  if (!io.isTTY) return undefined;
  let last = -1;
  return (done, total) => {
    const pct = Math.floor((100 * done) / Math.max(1, total));
    if (pct === last && done !== total) return;
    last = pct;
    io.err(`\r${label} ${done}/${total} (${pct}%)${done === total ? '\n' : ''}`);
  };
}

async function makeDemoCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values } = parse(argv, { out: { type: 'string' }, seed: { type: 'string' }, width: { type: 'string' }, height: { type: 'string' }, count: { type: 'string' } }, 0);
  if (!values.out) throw new Usage('--out DIR is required');
  if (values.seed === undefined) throw new Usage('--seed N is required');
  const out = path.resolve(values.out as string);
  const res = await makeDemo({
    out,
    seed: int(values.seed as string, 'seed') as number,
    width: int(values.width as string | undefined, 'width'),
    height: int(values.height as string | undefined, 'height'),
    count: int(values.count as string | undefined, 'count'),
    onProgress: values.json ? undefined : progress(io, 'drawing'),
  });
  const m = res.manifest;
  if (values.json) {
    io.out(`${JSON.stringify({ ok: true, out, written: res.written, seconds: Math.round(res.ms) / 1000, manifest: m }, null, 2)}\n`);
  } else {
    const counts = Object.entries(m.splits)
      .map(([k, s]) => `${k} ${s.count}`)
      .join(', ');
    io.out(
      res.written
        ? `demo benchmark written to ${out}: ${m.width}×${m.height}, ${counts}, seed ${m.seed}, ${(res.ms / 1000).toFixed(1)} s\n`
        : `${out} already holds this demo (seed ${m.seed}, ${m.width}×${m.height}, ${counts}); nothing written\n`,
    );
  }
  return EXIT.ok;
}

async function checkCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { format: { type: 'string' }, split: { type: 'string' }, classes: { type: 'string' }, role: { type: 'string' }, 'max-problems': { type: 'string' } },
    1,
  );
  const root = positionals[0];
  if (!root) throw new Usage('dataset ROOT folder is required');
  const format = values.format as string | undefined;
  if (!format || !(datasetFormats as readonly string[]).includes(format)) throw new Usage(`--format must be one of ${datasetFormats.join(', ')}`);
  const classSet = (values.classes as string | undefined) ?? (format === 'synthia' ? '16' : '19');
  if (!(classSetIds as readonly string[]).includes(classSet)) throw new Usage('--classes must be 19, 16 or 13');
  const role = (values.role as string | undefined) ?? 'source';
  if (role !== 'source' && role !== 'target') throw new Usage('--role must be source or target');
  const abs = path.resolve(root);
  const report = await checkDataset(
    { id: 'cli', name: path.basename(abs), format: format as DatasetFormat, root: abs, split: values.split as string | undefined, role, classSet: classSet as ClassSetId },
    { maxProblems: int(values['max-problems'] as string | undefined, 'max-problems', 1000), onProgress: values.json ? undefined : progress(io, 'checking') },
  );
  if (values.json) io.out(`${JSON.stringify(report, null, 2)}\n`);
  else io.out(formatCheckReport(report));
  return report.ok ? EXIT.ok : EXIT.invalid;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n') + '\n';
}

const triple = (v: readonly number[]): string => v.map((x) => x.toFixed(1)).join(' ');

export function formatCheckReport(r: CheckReport): string {
  const out: string[] = [];
  out.push(`Dataset ${r.root} (${r.format}, ${r.classSet} classes)`);
  const splits = Object.entries(r.counts.bySplit);
  out.push(
    `images ${r.counts.images}, labels ${r.counts.labels}, pairs ${r.counts.pairs}` +
      (splits.length > 1 || (splits[0] && splits[0][0] !== r.format) ? `  (${splits.map(([k, v]) => `${k} ${v}`).join(', ')})` : ''),
  );
  if (r.sizes.length) out.push(`sizes: ${r.sizes.map((s) => `${s.width}×${s.height} (${s.count})`).join(', ')}`);
  out.push('');
  if (r.histogram.total > 0) {
    const rows = r.histogram.classNames.map((n, i) => [String(i), n, String(r.histogram.pixels[i]), ((100 * r.histogram.pixels[i]) / r.histogram.total).toFixed(2)]);
    rows.push(['250', 'ignore', String(r.histogram.ignore), ((100 * r.histogram.ignore) / r.histogram.total).toFixed(2)]);
    out.push('Class histogram (label pixels)');
    out.push(table(['id', 'class', 'pixels', '%'], rows));
  }
  if (r.colorStats.length) {
    out.push('Colour statistics per domain (0..255; saturation 0..1; sharpness = mean |horizontal luma step|)');
    out.push(
      table(
        ['domain', 'images', 'mean R G B', 'std R G B', 'saturation', 'luma', 'sharpness'],
        r.colorStats.map((s) => [s.domain, String(s.images), triple(s.mean), triple(s.std), s.saturation.toFixed(3), s.luma.toFixed(1), s.sharpness.toFixed(2)]),
      ),
    );
  }
  const errors = r.problems.filter((p) => p.severity === 'error').length;
  const warnings = r.problems.length - errors;
  for (const p of r.problems) out.push(problemLine(p));
  if (r.problemsOmitted) out.push(`… and ${r.problemsOmitted} more problems (raise --max-problems to list them)`);
  const unlisted = r.problemsOmitted ? ` (and ${r.problemsOmitted} problems not listed)` : '';
  out.push(r.ok ? `OK${warnings ? ` (${warnings} warnings)` : ''}` : `FAILED: ${errors} errors${warnings ? `, ${warnings} warnings` : ''} listed${unlisted}`);
  return `${out.join('\n')}\n`;
}
