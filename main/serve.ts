// `npm run serve`: the main-side services behind the loopback HTTP + WebSocket server, serving the
// built renderer. Prints the tokenised URL once, like Jupyter.
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { AppError } from '../shared/contract/errors';
import { appVersion } from './services/app-version';
import { ServiceContext } from './services/context';
import { handlers } from './services/registry';
import { defaultWorkspaceDir } from './services/user-data';
import { openOrCreateWorkspace } from './services/workspace-service';
import { DEFAULT_HOST, startHttpServer } from './transports/http-server';

const usage = `usage: npm run serve -- [--port N] [--host ADDR] [--workspace DIR] [--allow-origin URL]...
  --port        port to listen on (default: a free one)
  --host        address to bind (default ${DEFAULT_HOST}; anything else exposes the server to the network)
  --workspace   workspace folder to open; a new or empty folder is created with the demo benchmark, and one
                that holds runs or a demo benchmark but no workspace.json (what proda left) is adopted
  --allow-origin  extra browser origin allowed to call the API (e.g. an SSH-forwarded http://localhost:9000)
  --demo-count  images per training split when the workspace is created with the demo (default: the generator's)`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: DEFAULT_HOST },
      workspace: { type: 'string' },
      'allow-origin': { type: 'string', multiple: true },
      'demo-count': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: expected 0..65535, got '${values.port}'`);

  // dist/node/serve.js → dist/renderer
  const here = path.dirname(fileURLToPath(import.meta.url));
  const rendererDir = path.resolve(here, '..', 'renderer');
  if (!existsSync(path.join(rendererDir, 'index.html'))) {
    console.warn(`warning: no renderer build at ${rendererDir}; run \`npm run build\`. Serving the API only.`);
  }

  const demoCount = values['demo-count'] === undefined ? undefined : Number(values['demo-count']);
  if (demoCount !== undefined && (!Number.isInteger(demoCount) || demoCount < 1)) {
    throw new Error(`--demo-count: expected a positive integer, got '${values['demo-count']}'`);
  }
  const ctx = new ServiceContext({ transport: 'http', appVersion: appVersion() });
  const workspace = path.resolve(values.workspace ?? defaultWorkspaceDir());
  const t0 = performance.now();
  // First start generates the demo; say what is happening instead of sitting silent.
  const stopLog = ctx.onEvent((name, payload) => {
    if (name !== 'system.log') return;
    const line = (payload as { message: string }).message;
    if (process.stdout.isTTY) process.stdout.write(`\r${line}   `);
    else console.log(line);
  });
  const info = await openOrCreateWorkspace(ctx, workspace, { count: demoCount });
  stopLog();
  if (process.stdout.isTTY) process.stdout.write('\n');
  console.log(`workspace ${info.path} (${info.datasets.length} datasets, ready in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);

  const server = await startHttpServer({
    handlers,
    ctx,
    host: values.host,
    port,
    rendererDir,
    allowedOrigins: values['allow-origin'] ?? [],
  });
  if (values.host !== DEFAULT_HOST && values.host !== 'localhost') {
    console.warn(`warning: listening on ${values.host}: anyone who can reach this address and has the token can use the workbench`);
  }
  console.log(`proda-workbench is serving at:\n  ${server.url}`);
  if (values.host === '0.0.0.0' || values.host === '::') {
    console.log(`  from other machines: http://${os.hostname()}:${server.port}/?token=${server.token}`);
  }

  const stop = (): void => {
    void server
      .close()
      .then(() => ctx.dispose())
      .then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  // Workspace and file problems carry their own clear message; only argument mistakes need the usage.
  const message = err instanceof Error ? err.message : String(err);
  console.error(err instanceof AppError ? `serve: ${message}` : `serve: ${message}\n\n${usage}`);
  process.exit(1);
});
