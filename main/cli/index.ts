// `proda`: the headless command line. It drives the same run supervisor and records as the app;
// training always happens in a child run process. See EXIT_CODE_HELP for what exit statuses mean.
import { AppError } from '../../shared/contract/errors';
import { EXIT, EXIT_CODE_HELP, exitCodeFor } from './exit-codes';
import { UsageError } from './args';

const HELP = `proda: ProDA domain adaptation workbench, headless

Usage:
  proda demo [--quick] [--seed N | --seeds 1,2,3] [--workspace DIR] [--json]
        generate the built-in benchmark, run warm-up, stage 1, distillation and the baselines,
        print target mIoU and per-class IoU per stage
  proda train --config FILE [--id ID] [--workspace DIR] [--json]
        run one stage from a JSON run config (see shared/runs-config.ts)
  proda pseudo --model MODEL --data ROOT --format F [--split S] [--mode soft|hard] [--workspace DIR] [--json]
        soft (+ prototypes) or hard pseudo-labels from a finished run
  proda eval --model MODEL --data ROOT --format F [--split S] [--bn running|reestimate|both] [--workspace DIR] [--json]
        score a model on a labelled split (the JSON names the inference engine and seconds per image)
        MODEL: a run id, import:ID (proda import), or a path with a '/' to an official ProDA checkpoint
        or logs folder, imported once with [--arch resnet101] [--classes 19] [--bn-pretrain]
        inference: [--engine onnxruntime|tfjs] [--provider cpu|webgpu|cuda] [--threads N]
  proda runs list [--stage S] [--state S] [--text T] [--json]
  proda runs show ID [--json]
  proda runs compare A B [--json]
  proda runs resume ID [--json]
  proda runs cancel ID
  proda dataset ...        (proda dataset --help)
INTEROP_HELP
Common options:
  --workspace DIR   workspace folder (default: $PRODA_WORKSPACE or the current folder)
  --json            one JSON object on stdout, nothing else there; progress is silent

${EXIT_CODE_HELP}
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const json = rest.includes('--json');
  try {
    switch (command) {
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        // The interop module owns its help text; it is loaded only when help is asked for.
        process.stdout.write(HELP.replace('INTEROP_HELP', (await import('../interop/cli-commands')).INTEROP_HELP));
        return command === undefined ? EXIT.usage : EXIT.ok;
      case 'demo':
        return await (await import('./demo-command')).demoCommand(rest);
      case 'train':
        return await (await import('./train-command')).trainCommand(rest);
      case 'pseudo':
        return await (await import('./train-command')).pseudoCommand(rest);
      case 'eval':
        return await (await import('./train-command')).evalCommand(rest);
      case 'runs':
        return await (await import('./runs-command')).runsCommand(rest);
      case 'dataset':
        return await (await import('./dataset-command')).runDatasetCommand(rest);
      case 'export':
        return await (await import('../interop/cli-commands')).exportCommand(rest);
      case 'export-labels':
        return await (await import('../interop/cli-commands')).exportLabelsCommand(rest);
      case 'import':
        return await (await import('../interop/cli-commands')).importCommand(rest);
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    return reportError(err, json);
  }
}

export function reportError(err: unknown, json: boolean): number {
  let code: number;
  let data: { code: string; message: string; where?: string; details?: string[] };
  if (err instanceof UsageError) {
    code = EXIT.usage;
    data = { code: 'usage', message: `${err.message} (proda --help)` };
  } else if (err instanceof AppError) {
    code = exitCodeFor(err.code);
    data = err.toData();
  } else {
    code = EXIT.failed;
    data = { code: 'internal', message: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
  if (json) process.stdout.write(`${JSON.stringify({ ok: false, error: data })}\n`);
  else process.stderr.write(`proda: ${data.message}\n`);
  return code;
}
