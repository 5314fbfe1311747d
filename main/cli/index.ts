// `proda`: the headless command line. It drives the same run supervisor and records as the app;
// training always happens in a child run process. See EXIT_CODE_HELP for what exit statuses mean.
import path from 'node:path';
import { AppError } from '../../shared/contract/errors';
import { diskFullMessage } from '../io/disk-space';
import { EXIT, EXIT_CODE_HELP, exitCodeFor } from './exit-codes';
import { UsageError } from './args';

const HELP = (commands: string) => `proda: ProDA domain adaptation workbench, headless

Usage:
${commands}

proda <command> --help prints a command's options and an example.
Common options:
  --workspace DIR   workspace folder (default: $PRODA_WORKSPACE or the current folder); commands that
                    write into it (demo, train, pseudo, eval, export, export-labels, import) create its
                    workspace.json when it is missing, so the app and \`npm run serve\` open it
  --json            one JSON object on stdout, nothing else there; progress is silent

${EXIT_CODE_HELP}
`;

const wantsHelp = (args: string[]): boolean => args.includes('--help') || args.includes('-h');

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const json = rest.includes('--json');
  try {
    if (command !== undefined && wantsHelp(rest)) return await printCommandHelp(command, rest);
    switch (command) {
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(HELP((await import('./help')).overview()));
        return command === undefined ? EXIT.usage : EXIT.ok;
      case 'demo':
        return await (await import('./demo-command')).demoCommand(rest);
      case 'train':
        return await (await import('./train-command')).trainCommand(rest);
      case 'sweep':
        return await (await import('./sweep-command')).sweepCommand(rest);
      case 'pseudo':
        return await (await import('./train-command')).pseudoCommand(rest);
      case 'eval':
        return await (await import('./train-command')).evalCommand(rest);
      case 'runs':
        return await (await import('./runs-command')).runsCommand(rest);
      case 'doctor':
        return await (await import('./doctor-command')).doctorCommand(rest);
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

/** `proda CMD --help` and `proda GROUP SUB --help`: the command's options and an example, exit 0. */
async function printCommandHelp(command: string, rest: string[]): Promise<number> {
  const { commandHelp, GROUPS } = await import('./help');
  // In a group (runs, dataset) the first word names the subcommand; elsewhere it is a positional (a file).
  const name = command in GROUPS && rest[0] && !rest[0].startsWith('-') ? `${command} ${rest[0]}` : command;
  const text = commandHelp(name);
  if (!text) throw new UsageError(`unknown command "${name}"`);
  process.stdout.write(text);
  return EXIT.ok;
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
    // A full disk is for the person to fix, not a bug report: no stack.
    const where = (err as NodeJS.ErrnoException | null)?.path;
    const full = diskFullMessage(err, where ? path.dirname(where) : (process.env.PRODA_WORKSPACE ?? process.cwd()));
    data = { code: 'internal', message: full ?? (err instanceof Error ? (err.stack ?? err.message) : String(err)) };
  }
  if (json) process.stdout.write(`${JSON.stringify({ ok: false, error: data })}\n`);
  else process.stderr.write(`proda: ${data.message}\n`);
  return code;
}
