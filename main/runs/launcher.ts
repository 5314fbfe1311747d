// How main starts a run process. The supervisor depends only on RunLauncher; this file has the
// node child_process implementation (server and CLI). Electron's utilityProcess implementation lives
// in main/electron/utility-launcher.ts because only that folder may import electron.
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface LaunchedProcess {
  readonly pid: number | undefined;
  send(msg: unknown): void;
  onMessage(cb: (raw: unknown) => void): void;
  /** stdout and stderr, line by line. */
  onOutput(cb: (line: string, stream: 'stdout' | 'stderr') => void): void;
  onExit(cb: (code: number | null, signal: string | null) => void): void;
  kill(signal?: NodeJS.Signals): void;
}

export interface RunLauncher {
  launch(args: string[]): LaunchedProcess;
}

export interface RunEntry {
  file: string;
  /** Node flags the entry needs (a TypeScript source needs a loader). */
  execArgv: string[];
}

/**
 * Where the run process's code is: `PRODA_RUN_ENTRY` if set; the bundled `run-process.js` next to this
 * module when it runs from dist/node; otherwise the TypeScript source through the tsx loader.
 */
export function resolveRunEntry(moduleUrl: string = import.meta.url): RunEntry {
  const override = process.env.PRODA_RUN_ENTRY;
  const tsxLoader = (): string[] => ['--import', import.meta.resolve('tsx')];
  if (override) return { file: override, execArgv: override.endsWith('.ts') ? tsxLoader() : [] };
  const here = path.dirname(fileURLToPath(moduleUrl));
  const bundled = path.join(here, 'run-process.js');
  if (existsSync(bundled)) return { file: bundled, execArgv: [] };
  return { file: path.join(here, 'run-process.ts'), execArgv: tsxLoader() };
}

function splitLines(cb: (line: string) => void): (chunk: Buffer) => void {
  let rest = '';
  return (chunk) => {
    const parts = (rest + chunk.toString('utf8')).split('\n');
    rest = parts.pop() ?? '';
    for (const l of parts) if (l.length) cb(l);
  };
}

export function forkLauncher(entry: RunEntry = resolveRunEntry(), env: NodeJS.ProcessEnv = process.env): RunLauncher {
  return {
    launch(args) {
      const child = fork(entry.file, args, {
        // PRODA_RUN_NODE_FLAGS: extra Node flags for run processes only (e.g. `--cpu-prof`), which
        // NODE_OPTIONS refuses and which would otherwise also profile the supervisor.
        execArgv: [...entry.execArgv, ...(env.PRODA_RUN_NODE_FLAGS?.split(/\s+/).filter(Boolean) ?? [])],
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        serialization: 'json',
        env,
      });
      return {
        pid: child.pid,
        send: (msg) => {
          if (child.connected) child.send(msg as object);
        },
        onMessage: (cb) => child.on('message', cb),
        onOutput: (cb) => {
          child.stdout?.on('data', splitLines((l) => cb(l, 'stdout')));
          child.stderr?.on('data', splitLines((l) => cb(l, 'stderr')));
        },
        onExit: (cb) => child.on('exit', cb),
        kill: (signal = 'SIGTERM') => {
          child.kill(signal);
        },
      };
    },
  };
}
