import { describe, expect, it, vi } from 'vitest';
import { ipcChannel, requestNames } from '../../shared/contract/index';
import { ServiceContext } from '../services/context';
import type { Handlers } from '../services/handler';
import { handlers as realHandlers } from '../services/registry';
import { forwardEvents, registerIpcHandlers, type InvokeEvent, type IpcMainLike } from './ipc';

type Listener = (event: InvokeEvent, ...args: unknown[]) => Promise<unknown>;

function fakeIpcMain(): IpcMainLike & { listeners: Map<string, Listener> } {
  const listeners = new Map<string, Listener>();
  return {
    listeners,
    handle: (channel, l) => {
      if (listeners.has(channel)) throw new Error(`second handler for ${channel}`);
      listeners.set(channel, l);
    },
    removeHandler: (channel) => listeners.delete(channel),
  };
}

const appFrame = { url: 'app://renderer/index.html', parent: null };

describe('ipc transport', () => {
  const ctx = new ServiceContext({ transport: 'ipc' });
  const handlers: Handlers = { ...realHandlers, 'images.list': vi.fn(async () => ({ total: 0, offset: 0, items: [] })) };
  const ipc = fakeIpcMain();
  registerIpcHandlers(ipc, { handlers, ctx, isTrustedUrl: (u) => u.protocol === 'app:' && u.host === 'renderer', log: () => {} });
  const invoke = (frame: InvokeEvent['senderFrame'], ...args: unknown[]) =>
    ipc.listeners.get(ipcChannel.request('images.list'))!({ senderFrame: frame }, ...args);

  it('registers exactly one channel per contract request, and re-registering replaces', () => {
    expect([...ipc.listeners.keys()].sort()).toEqual(requestNames.map((n) => ipcChannel.request(n)).sort());
    const other = fakeIpcMain();
    registerIpcHandlers(other, { handlers, ctx, isTrustedUrl: () => false });
    expect(() => registerIpcHandlers(other, { handlers, ctx, isTrustedUrl: () => false })).not.toThrow();
    expect(other.listeners.size).toBe(requestNames.length);
  });

  it('refuses senders that are not the app window\'s top frame', async () => {
    for (const frame of [
      null,
      { url: 'https://evil.example/', parent: null },
      { url: 'file:///etc/passwd', parent: null },
      { url: 'app://other/index.html', parent: null },
      { url: 'app://renderer/index.html', parent: {} },
      { url: 'not a url', parent: null },
    ]) {
      expect(await invoke(frame, { datasetId: 'a' })).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    }
    expect(handlers['images.list']).not.toHaveBeenCalled();
  });

  it('validates the payload before the service and names the field', async () => {
    const r = await invoke(appFrame, { datasetId: 'a', offset: 'zero' });
    expect(r).toMatchObject({ ok: false, error: { code: 'validation', where: 'offset' } });
    expect(await invoke(appFrame, { datasetId: 'a' }, 'extra')).toMatchObject({ ok: false, error: { code: 'validation' } });
    expect(handlers['images.list']).not.toHaveBeenCalled();
    expect(await invoke(appFrame, { datasetId: 'a' })).toEqual({ ok: true, value: { total: 0, offset: 0, items: [] } });
  });

  it('forwards context events on their contract channel until unsubscribed', () => {
    const sent: [string, unknown][] = [];
    const stop = forwardEvents(ctx, (c, p) => sent.push([c, p]));
    ctx.emit('system.log', { level: 'warn', message: 'x' });
    stop();
    ctx.emit('system.log', { level: 'warn', message: 'y' });
    expect(sent).toEqual([[ipcChannel.event('system.log'), { level: 'warn', message: 'x' }]]);
  });
});
