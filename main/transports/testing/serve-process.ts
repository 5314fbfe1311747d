// The real server in its own process for hostile tests: main/serve.ts through tsx, as `npm run serve`
// runs it after a build, on a free port, with a small demo workspace.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { decodeJson, encodeJson } from '../../../shared/contract/codec';

export interface Answer {
  status: number;
  body: { ok: boolean; error?: { code: string; message: string; where?: string }; value?: unknown };
  bytes: number;
}

export interface ServeProcess {
  child: ChildProcess;
  origin: string;
  token: string;
  /** One API call with a raw body (a Buffer is streamed as is, so the caller holds one copy of a big body). */
  call(name: string, body: string | Buffer): Promise<Answer>;
  api(name: string, payload: unknown): Promise<Answer>;
  stop(): Promise<void>;
}

export async function startServeProcess(workspace: string, dataDir: string, demoCount = 4): Promise<ServeProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.resolve('main/serve.ts'), '--port', '0', '--workspace', workspace, '--demo-count', String(demoCount)], {
    env: { ...process.env, PRODA_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /http:\/\/\S+\?token=[0-9a-f]+/.exec(out);
      if (m) resolve(m[0]);
    });
    child.stderr!.on('data', (d) => (out += d));
    child.on('exit', (code, signal) => reject(new Error(`server exited (${code ?? signal}) before printing its URL:\n${out}`)));
  });
  const u = new URL(url);
  const origin = u.origin;
  const token = u.searchParams.get('token')!;
  const call = (name: string, body: string | Buffer): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const req = http.request(`${origin}/api/${name}`, { method: 'POST', headers: { 'x-proda-token': token, 'content-type': 'application/json' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, body: decodeJson(text) as Answer['body'], bytes: text.length });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  return {
    child,
    origin,
    token,
    call,
    api: (name, payload) => call(name, encodeJson(payload)),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
