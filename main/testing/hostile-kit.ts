// What the hostile probes (*.hostile.test.ts) share: the real server as its own process (so a crash is a
// dead process, not a failed assertion inside the test's), raw HTTP bytes for requests fetch refuses to
// send, and a checksum of every file in a folder so a probe can assert that nothing was lost.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect } from 'vitest';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface ServeProcess {
  origin: string;
  url: string;
  token: string;
  port: number;
  child: ChildProcess;
  /** Still running (not exited, not killed)? */
  alive(): boolean;
  output(): string;
  stop(): Promise<void>;
}

/**
 * `npm run serve` without the build: main/serve.ts under tsx, on a free port, with `workspace` (which
 * must hold a workspace.json, or the demo is generated). Resolves once the tokenised URL is printed.
 */
export async function startServeProcess(workspace: string, extraArgs: string[] = []): Promise<ServeProcess> {
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), path.join(repoRoot, 'main', 'serve.ts'), '--port', '0', '--workspace', workspace, ...extraArgs], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let exited = false;
  child.on('exit', () => (exited = true));
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not print its URL in 60 s:\n${out}`)), 60_000);
    const check = (): void => {
      const m = /(http:\/\/\S+\/\?token=[0-9a-f]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout?.on('data', check);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before printing its URL:\n${out}`));
    });
  });
  const u = new URL(url);
  return {
    origin: u.origin,
    url,
    token: u.searchParams.get('token') ?? '',
    port: Number(u.port),
    child,
    alive: () => !exited && child.exitCode === null && child.signalCode === null,
    output: () => out,
    stop: async () => {
      if (exited) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(t);
    },
  };
}

/**
 * Sends `text` as raw bytes to 127.0.0.1:port and resolves with what came back before the server
 * closed the connection (or `waitMs` passed): the status line is its first line.
 */
export function rawHttp(port: number, text: string, waitMs = 3000): Promise<string> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    let got = '';
    const done = (): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve(got);
    };
    const timer = setTimeout(done, waitMs);
    // Probes send `Connection: close`, so the server ends the socket after one response.
    sock.on('data', (d) => (got += d.toString('latin1')));
    sock.on('error', done);
    sock.on('close', done);
    sock.write(text);
  });
}

export const statusOf = (response: string): number => Number(/^HTTP\/1\.[01] (\d{3})/.exec(response)?.[1] ?? 0);

/** sha256 of every regular file under `dir` (symbolic links recorded by their target text), by relative path. */
export async function checksumTree(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string): Promise<void> => {
    for (const e of await fsp.readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = path.join(d, e.name);
      const rel = path.relative(dir, p);
      if (e.isSymbolicLink()) out.set(rel, `link:${await fsp.readlink(p)}`);
      else if (e.isDirectory()) {
        out.set(`${rel}/`, 'dir');
        await walk(p);
      } else if (e.isFile()) out.set(rel, createHash('sha256').update(await fsp.readFile(p)).digest('hex'));
    }
  };
  await walk(dir);
  return out;
}

/** Entries of `before` that are missing or different in `after`: what a probe destroyed. */
export function lostFiles(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...before].filter(([k, v]) => after.get(k) !== v).map(([k]) => k);
}

/**
 * Checksums of several folders taken now; `changes()` lists every file lost, altered or added since
 * (as "<folder>: lost|added <path>"), except added files `mayAdd` admits (caches a request may fill).
 */
export async function snapshotTrees(dirs: readonly string[], mayAdd: (rel: string) => boolean = () => false): Promise<{ changes(): Promise<string[]> }> {
  const before = await Promise.all(dirs.map(checksumTree));
  return {
    async changes() {
      const out: string[] = [];
      for (const [i, dir] of dirs.entries()) {
        const now = await checksumTree(dir);
        for (const k of lostFiles(before[i], now)) out.push(`${dir}: lost or changed ${k}`);
        for (const k of now.keys()) if (!before[i].has(k) && !mayAdd(k)) out.push(`${dir}: added ${k}`);
      }
      return out;
    },
  };
}

/** One API request with the server's token: the status and the raw body text. */
export async function apiCall(server: ServeProcess, name: string, body: unknown): Promise<{ status: number; text: string }> {
  const r = await fetch(`${server.origin}/api/${name}`, { method: 'POST', headers: { 'x-proda-token': server.token }, body: JSON.stringify(body) });
  return { status: r.status, text: await r.text() };
}

/**
 * A small workspace the probes attack: workspace.json with one folder dataset `tgt` (two 16×8 images
 * with masks), and the folder `outside/` beside it standing in for everything that is not the
 * workspace (a foreign status.json and config.json included). Returns the workspace root.
 */
export async function makeProbeWorkspace(base: string): Promise<{ workspace: string; outside: string; dataset: string }> {
  const { encodePng } = await import('../io/png');
  const workspace = path.join(base, 'ws');
  const outside = path.join(base, 'outside');
  const dataset = path.join(workspace, 'data', 'tgt');
  for (const d of ['images', 'masks']) await fsp.mkdir(path.join(dataset, d), { recursive: true });
  await fsp.writeFile(path.join(dataset, 'classes.txt'), 'road\nsidewalk\n');
  for (const [i, name] of ['a', 'b'].entries()) {
    const rgb = new Uint8Array(16 * 8 * 3).map((_, k) => (k * (3 + i)) % 251);
    await fsp.writeFile(path.join(dataset, 'images', `${name}.png`), encodePng({ width: 16, height: 8, colorType: 2, bitDepth: 8, data: rgb }));
    await fsp.writeFile(path.join(dataset, 'masks', `${name}.png`), encodePng({ width: 16, height: 8, colorType: 0, bitDepth: 8, data: new Uint8Array(16 * 8).fill(i) }));
  }
  await fsp.writeFile(
    path.join(workspace, 'workspace.json'),
    `${JSON.stringify({ schemaVersion: 1, name: 'probe', createdAt: '2026-01-01T00:00:00Z', classSet: '19', settings: {}, datasets: [{ id: 'tgt', name: 'tgt', format: 'folder', root: 'data/tgt', role: 'target', classSet: '19' }] }, null, 2)}\n`,
  );
  await fsp.mkdir(outside, { recursive: true });
  await fsp.writeFile(path.join(outside, 'status.json'), '{"state":"succeeded","pid":null,"startedAt":null,"endedAt":null,"iteration":7}\n');
  await fsp.writeFile(path.join(outside, 'config.json'), 'root:x:0:0:root:/root:/bin/bash\nSECRET-BYTES\n');
  await fsp.writeFile(path.join(outside, 'keep.txt'), 'a file nobody may delete\n');
  return { workspace, outside, dataset };
}

export interface ProbeServer {
  base: string;
  workspace: string;
  outside: string;
  dataset: string;
  server: ServeProcess;
  /** One API request with the token. */
  api(name: string, body: unknown): Promise<{ status: number; text: string }>;
  /** The server is alive, and the workspace and the folder beside it are as they were before the probes. */
  nothingLost(): Promise<void>;
}

/**
 * The fixture of a probe file: a fresh probe workspace (plus what `prepare` adds) checksummed, then the
 * server process started on it, before the file's tests; stopped and removed after them. The returned
 * object is filled in by the time the tests run.
 */
export function probeServer(prefix: string, prepare: (p: ProbeServer) => Promise<void> = async () => {}, mayAdd?: (rel: string) => boolean): ProbeServer {
  let snap: Awaited<ReturnType<typeof snapshotTrees>> | undefined;
  const p = {
    api: (name: string, body: unknown) => apiCall(p.server, name, body),
    nothingLost: async () => {
      expect(p.server.alive()).toBe(true);
      expect(await snap?.changes()).toEqual([]);
    },
  } as ProbeServer;
  beforeAll(async () => {
    p.base = await fsp.mkdtemp(path.join(os.tmpdir(), `proda-hostile-${prefix}-`));
    Object.assign(p, await makeProbeWorkspace(p.base));
    await prepare(p);
    snap = await snapshotTrees([p.workspace, p.outside], mayAdd);
    p.server = await startServeProcess(p.workspace);
  }, 180_000);
  afterAll(async () => {
    await p.server?.stop();
    if (p.base) await fsp.rm(p.base, { recursive: true, force: true });
  });
  return p;
}
