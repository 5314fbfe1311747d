// Electron main: one sandboxed, context-isolated window that loads the renderer from the app:// scheme
// with a strict CSP, blocks navigation and new windows, and reaches the services only through the
// validated IPC transport.
import { app, BrowserWindow, ipcMain, net, protocol, session } from 'electron';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { appVersion } from '../services/app-version';
import { ServiceContext } from '../services/context';
import { handlers } from '../services/registry';
import { defaultWorkspaceDir } from '../services/user-data';
import { openOrCreateWorkspace } from '../services/workspace-service';
import { setRunLauncher } from '../runs/host';
import { forkLauncher, outsideAsar, resolveRunNode } from '../runs/launcher';
import { utilityLauncher } from './utility-launcher';
import { contentSecurityPolicy } from '../transports/csp';
import { forwardEvents, registerIpcHandlers } from '../transports/ipc';
import { fileInside, mimeOf } from '../transports/mime';

const SCHEME = 'app';
const HOST = 'renderer';
const START_URL = `${SCHEME}://${HOST}/index.html`;
// Launched as `electron dist/electron/main.mjs` (npm start, e2e) or packaged: same name either way.
app.setName('ProDA Workbench');

// dist/electron/main.mjs → dist/electron/preload.cjs, dist/renderer/
const here = path.dirname(fileURLToPath(import.meta.url));
const rendererDir = path.resolve(here, '..', 'renderer');
const preload = path.join(here, 'preload.cjs');

const isAppUrl = (url: URL): boolean => url.protocol === `${SCHEME}:` && url.host === HOST;

// A standard, secure scheme gives the page a real origin, so CSP 'self' and the sender check mean something.
protocol.registerSchemesAsPrivileged([{ scheme: SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

function cliArgs(): { workspace: string; demoCount: number | undefined } {
  // Electron and Chromium flags share argv; only our own options are read.
  const { values } = parseArgs({
    args: process.argv.slice(1),
    options: { workspace: { type: 'string' }, 'demo-count': { type: 'string' } },
    strict: false,
    allowPositionals: true,
  });
  const count = Number(values['demo-count']);
  return {
    workspace: typeof values.workspace === 'string' ? path.resolve(values.workspace) : defaultWorkspaceDir(),
    demoCount: Number.isInteger(count) && count > 0 ? count : undefined,
  };
}

function serveRenderer(): void {
  const csp = contentSecurityPolicy();
  protocol.handle(SCHEME, async (request) => {
    const url = new URL(request.url);
    const file = isAppUrl(url) ? fileInside(rendererDir, url.pathname) : null;
    if (!file) return new Response('not found', { status: 404 });
    let res: Response;
    try {
      res = await net.fetch(pathToFileURL(file).toString());
    } catch {
      return new Response('not found', { status: 404 });
    }
    return new Response(res.body, {
      status: res.status,
      headers: { 'Content-Type': mimeOf(file), 'Content-Security-Policy': csp, 'X-Content-Type-Options': 'nosniff' },
    });
  });
}

function createWindow(ctx: ServiceContext): BrowserWindow {
  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    title: 'ProDA Workbench',
    show: false,
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
      spellcheck: false,
    },
  });
  const stop = forwardEvents(ctx, (channel, payload) => {
    if (!win.isDestroyed()) win.webContents.send(channel, payload);
  });
  win.on('closed', stop);
  win.once('ready-to-show', () => win.show());
  void win.loadURL(START_URL);
  return win;
}

// Navigation, new windows and webviews are refused for every web contents the app ever creates.
app.on('web-contents-created', (_e, contents) => {
  const guard = (event: { preventDefault(): void }, url: string): void => {
    if (!URL.canParse(url) || !isAppUrl(new URL(url))) event.preventDefault();
  };
  contents.on('will-navigate', guard);
  contents.on('will-redirect', guard);
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-attach-webview', (event) => event.preventDefault());
});

app.on('window-all-closed', () => app.quit());

let services: ServiceContext | null = null;
let disposed = false;
// Services get to stop their child processes before the app exits.
app.on('will-quit', (event) => {
  if (disposed || !services) return;
  event.preventDefault();
  disposed = true;
  void services.dispose().finally(() => app.quit());
});

app
  .whenReady()
  .then(async () => {
    session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
    serveRenderer();
    // Runs train in plain-Node child processes when a Node binary ships with the app (Dawn, the webgpu
    // backend, cannot run inside Electron's processes); otherwise in Electron's utility processes, where
    // the backend chain skips webgpu and says why. The run entry is bundled beside the server's.
    const runEntry = path.join(here, '..', 'node', 'run-process.js');
    const runNode = resolveRunNode();
    setRunLauncher(runNode ? forkLauncher({ file: outsideAsar(runEntry), execArgv: [] }, process.env, runNode) : utilityLauncher({ file: runEntry, execArgv: [] }));
    const ctx = new ServiceContext({ transport: 'ipc', appVersion: appVersion() });
    services = ctx;
    registerIpcHandlers(ipcMain, { handlers, ctx, isTrustedUrl: isAppUrl });
    const { workspace, demoCount } = cliArgs();
    try {
      await openOrCreateWorkspace(ctx, workspace, { count: demoCount });
    } catch (err) {
      // The window still opens: the user can pick another workspace from the UI.
      console.error(`could not open workspace ${workspace}: ${err instanceof Error ? err.message : String(err)}`);
    }
    createWindow(ctx);
  })
  .catch((err: unknown) => {
    console.error(err);
    app.exit(1);
  });
