// The only bridge between the sandboxed renderer and main: one named function per contract request and
// one subscription per contract event, built from the contract's name lists. Raw ipcRenderer never
// crosses; the channel strings come from ipcChannel.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { BRIDGE_KEY, type BridgeApi } from '../../shared/contract/bridge';
import { eventNames, ipcChannel, requestNames } from '../../shared/contract/index';

const call = Object.fromEntries(
  requestNames.map((name) => [name, (req: unknown) => ipcRenderer.invoke(ipcChannel.request(name), req)]),
) as unknown as BridgeApi['call'];

const on = Object.fromEntries(
  eventNames.map((name) => [
    name,
    (listener: (payload: unknown) => void) => {
      if (typeof listener !== 'function') throw new TypeError(`${name}: listener must be a function`);
      const channel = ipcChannel.event(name);
      // The IPC event object (with its sender) stays in the preload; the page sees only the payload.
      const relay = (_e: IpcRendererEvent, payload: unknown): void => listener(payload);
      ipcRenderer.on(channel, relay);
      return () => {
        ipcRenderer.removeListener(channel, relay);
      };
    },
  ]),
) as unknown as BridgeApi['on'];

const api: BridgeApi = { call, on };
contextBridge.exposeInMainWorld(BRIDGE_KEY, api);
