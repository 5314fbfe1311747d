// Bundles the preload exactly as scripts/build.mjs does and runs it the way a sandboxed renderer would:
// CommonJS, and `require` able to load nothing but 'electron'. Then checks what it exposes.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import * as esbuild from 'esbuild';
import { describe, expect, it, vi } from 'vitest';
import { BRIDGE_KEY, type BridgeApi } from '../../shared/contract/bridge';
import { eventNames, ipcChannel, requestNames } from '../../shared/contract/index';

const here = path.dirname(fileURLToPath(import.meta.url));

async function loadPreload() {
  const out = await esbuild.build({
    entryPoints: [path.join(here, 'preload.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['electron'],
    write: false,
    logLevel: 'silent',
  });
  const code = out.outputFiles[0].text;
  const exposed = new Map<string, unknown>();
  const listeners = new Map<string, Set<(...a: unknown[]) => void>>();
  const ipcRenderer = {
    invoke: vi.fn(async (channel: string, payload: unknown) => ({ ok: true, value: { channel, payload } })),
    on: (c: string, l: (...a: unknown[]) => void) => (listeners.get(c) ?? listeners.set(c, new Set()).get(c)!).add(l),
    removeListener: (c: string, l: (...a: unknown[]) => void) => listeners.get(c)?.delete(l),
  };
  const requested: string[] = [];
  const sandboxRequire = (id: string) => {
    requested.push(id);
    if (id === 'electron') return { contextBridge: { exposeInMainWorld: (k: string, v: unknown) => exposed.set(k, v) }, ipcRenderer };
    throw new Error(`sandboxed preload cannot require '${id}'`);
  };
  const module = { exports: {} };
  vm.runInNewContext(code, { require: sandboxRequire, module, exports: module.exports, console });
  return { exposed, ipcRenderer, listeners, requested };
}

describe('preload (bundled, sandboxed)', () => {
  it('loads with nothing but electron and exposes exactly the contract', async () => {
    const { exposed, requested } = await loadPreload();
    expect(new Set(requested)).toEqual(new Set(['electron']));
    expect([...exposed.keys()]).toEqual([BRIDGE_KEY]);
    const api = exposed.get(BRIDGE_KEY) as BridgeApi;
    expect(Object.keys(api).sort()).toEqual(['call', 'on']);
    expect(Object.keys(api.call).sort()).toEqual([...requestNames].sort());
    expect(Object.keys(api.on).sort()).toEqual([...eventNames].sort());
    for (const group of [api.call, api.on]) for (const f of Object.values(group)) expect(typeof f).toBe('function');
  });

  it('calls go to their contract channel; subscriptions deliver only the payload and unsubscribe', async () => {
    const { exposed, ipcRenderer, listeners } = await loadPreload();
    const api = exposed.get(BRIDGE_KEY) as BridgeApi;
    await api.call['images.list']({ datasetId: 'd' });
    expect(ipcRenderer.invoke).toHaveBeenCalledWith(ipcChannel.request('images.list'), { datasetId: 'd' });

    const got: unknown[] = [];
    const off = api.on['system.log']((p) => got.push(p));
    const channel = ipcChannel.event('system.log');
    for (const l of listeners.get(channel)!) l({ sender: 'secret' }, { level: 'info', message: 'hi' });
    off();
    expect(listeners.get(channel)!.size).toBe(0);
    expect(got).toEqual([{ level: 'info', message: 'hi' }]);
    expect(() => (api.on['system.log'] as (l: unknown) => void)('not a function')).toThrow(/listener must be a function/);
  });
});
