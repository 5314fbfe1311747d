// Electron is mocked at exactly one seam (the 'electron' module) so the window's security settings,
// navigation guards, app:// protocol and IPC registration are checked where no Electron binary exists.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ipcChannel, requestNames } from '../../shared/contract/index';
import { ServiceContext } from '../services/context';
import { createWorkspace } from '../services/workspace-service';

type Listener = (...args: unknown[]) => unknown;

const h = vi.hoisted(() => {
  const appListeners = new Map<string, (...args: unknown[]) => unknown>();
  const windows: { options: Record<string, unknown>; loadURL: ReturnType<typeof vi.fn>; webContents: { send: ReturnType<typeof vi.fn> } }[] = [];
  const ipcHandlers = new Map<string, (...args: unknown[]) => unknown>();
  let protocolHandler: ((req: Request) => Promise<Response>) | null = null;
  const fetched: string[] = [];
  let ready: () => void = () => {};
  const whenReady = new Promise<void>((r) => (ready = r));
  return { appListeners, windows, ipcHandlers, fetched, whenReady, ready: () => ready(), protocol: () => protocolHandler, setProtocol: (f: typeof protocolHandler) => (protocolHandler = f) };
});

vi.mock('electron', () => {
  class BrowserWindow {
    options: Record<string, unknown>;
    loadURL = vi.fn(async () => undefined);
    webContents = { send: vi.fn() };
    constructor(options: Record<string, unknown>) {
      this.options = options;
      h.windows.push(this);
    }
    on() {}
    once() {}
    isDestroyed() {
      return false;
    }
    show() {}
  }
  return {
    app: {
      setName: vi.fn(),
      on: (name: string, l: Listener) => h.appListeners.set(name, l),
      whenReady: () => h.whenReady,
      quit: vi.fn(),
      exit: vi.fn(),
    },
    BrowserWindow,
    ipcMain: {
      handle: (channel: string, l: Listener) => h.ipcHandlers.set(channel, l),
      removeHandler: (channel: string) => h.ipcHandlers.delete(channel),
    },
    net: {
      fetch: async (url: string) => {
        h.fetched.push(url);
        return new Response('file body');
      },
    },
    protocol: {
      registerSchemesAsPrivileged: vi.fn(),
      handle: (_scheme: string, f: (req: Request) => Promise<Response>) => h.setProtocol(f),
    },
    session: { defaultSession: { setPermissionRequestHandler: vi.fn() } },
  };
});

let dir: string;
const argv = process.argv;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'proda-electron-'));
  const ws = path.join(dir, 'ws');
  await createWorkspace(new ServiceContext({ transport: 'ipc' }), ws, { demo: false, seed: 1 });
  process.argv = [argv[0], 'dist/electron/main.mjs', '--workspace', ws, '--some-chromium-flag'];
  await import('./main');
  h.ready();
  // Let the whenReady chain (workspace open, window creation) run.
  await vi.waitFor(() => expect(h.windows).toHaveLength(1), { timeout: 30_000, interval: 20 });
});
afterAll(async () => {
  process.argv = argv;
  await rm(dir, { recursive: true, force: true });
});

describe('electron main', () => {
  it('creates one sandboxed, context-isolated window without Node, loading the app scheme', () => {
    const win = h.windows[0];
    const prefs = win.options.webPreferences as Record<string, unknown>;
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false });
    expect(String(prefs.preload)).toMatch(/preload\.cjs$/);
    expect(win.loadURL).toHaveBeenCalledWith('app://renderer/index.html');
  });

  it('blocks navigation away from the app and every window.open', () => {
    const handlers = new Map<string, Listener>();
    let openHandler: Listener = () => null;
    const contents = { on: (n: string, l: Listener) => handlers.set(n, l), setWindowOpenHandler: (f: Listener) => (openHandler = f) };
    h.appListeners.get('web-contents-created')!({}, contents);
    for (const [url, blocked] of [
      ['https://evil.example/', true],
      ['file:///etc/passwd', true],
      ['app://other/index.html', true],
      ['::not a url', true],
      ['app://renderer/index.html', false],
    ] as const) {
      for (const name of ['will-navigate', 'will-redirect']) {
        const ev = { preventDefault: vi.fn() };
        handlers.get(name)!(ev, url);
        expect(ev.preventDefault).toHaveBeenCalledTimes(blocked ? 1 : 0);
      }
    }
    expect(openHandler({ url: 'https://evil.example' })).toEqual({ action: 'deny' });
    const attach = { preventDefault: vi.fn() };
    handlers.get('will-attach-webview')!(attach);
    expect(attach.preventDefault).toHaveBeenCalled();
  });

  it('serves only files inside the renderer build, with the CSP', async () => {
    const serve = h.protocol()!;
    const ok = await serve(new Request('app://renderer/assets/index.js'));
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-security-policy')).toContain("script-src 'self'");
    const rendererDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'renderer');
    expect(h.fetched.at(-1)).toBe(`file://${path.join(rendererDir, 'assets', 'index.js')}`);
    // Encoded dot-dot segments resolve against the renderer folder's root, never above it.
    await serve(new Request('app://renderer/..%2f..%2fpackage.json'));
    expect(h.fetched.at(-1)).toBe(`file://${path.join(rendererDir, 'package.json')}`);
    const count = h.fetched.length;
    expect((await serve(new Request('app://elsewhere/index.html'))).status).toBe(404);
    expect(h.fetched.length).toBe(count);
  });

  it('handles every contract request over IPC, refusing frames that are not the app window', async () => {
    expect([...h.ipcHandlers.keys()].sort()).toEqual(requestNames.map((n) => ipcChannel.request(n)).sort());
    const current = h.ipcHandlers.get(ipcChannel.request('workspace.current'))!;
    const fromApp = (await current({ senderFrame: { url: 'app://renderer/index.html', parent: null } }, {})) as { ok: boolean; value: { path: string } };
    expect(fromApp.ok).toBe(true);
    expect(fromApp.value.path).toBe(path.join(dir, 'ws'));
    const fromWeb = await current({ senderFrame: { url: 'https://evil.example/', parent: null } }, {});
    expect(fromWeb).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    const bad = await h.ipcHandlers.get(ipcChannel.request('images.list'))!({ senderFrame: { url: 'app://renderer/', parent: null } }, { datasetId: 5 });
    expect(bad).toMatchObject({ ok: false, error: { code: 'validation', where: 'datasetId' } });
  });
});
