// The Electron transport, written against the few ipcMain/webContents members it uses so it stays free
// of Electron imports (main/electron/ passes the real objects; tests pass fakes). Every channel comes
// from ipcChannel, every sender frame is checked, and every payload goes through dispatch.
import { eventNames, ipcChannel, requestNames, type EventName } from '../../shared/contract/index';
import { AppError } from '../../shared/contract/errors';
import type { Result } from '../../shared/contract/result';
import type { ServiceContext } from '../services/context';
import type { Handlers } from '../services/handler';
import { dispatch } from './dispatch';

/** The parts of Electron's WebFrameMain the sender check reads. */
export interface SenderFrame {
  url: string;
  /** null for a top-level frame. */
  parent: unknown;
}
export interface InvokeEvent {
  senderFrame: SenderFrame | null;
}
export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEvent, ...args: unknown[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

export interface IpcOptions {
  handlers: Handlers;
  ctx: ServiceContext;
  /** True for URLs the app itself loaded into its window (its own scheme and host). */
  isTrustedUrl: (url: URL) => boolean;
  log?: (line: string) => void;
}

/** Sender check after VS Code's validatedIpcMain: only the app's own top-level frame may call main. */
export function senderAllowed(frame: SenderFrame | null, isTrustedUrl: (url: URL) => boolean): boolean {
  if (!frame || frame.parent !== null) return false;
  let url: URL;
  try {
    url = new URL(frame.url);
  } catch {
    return false;
  }
  return isTrustedUrl(url);
}

/** Registers one handler per contract request; returns a function that removes them all. */
export function registerIpcHandlers(ipcMain: IpcMainLike, opts: IpcOptions): () => void {
  const log = opts.log ?? ((line: string) => console.warn(line));
  for (const name of requestNames) {
    const channel = ipcChannel.request(name);
    // Registering twice (a reloaded main module) must replace, not throw.
    ipcMain.removeHandler(channel);
    ipcMain.handle(channel, async (event, ...args): Promise<Result<unknown>> => {
      if (!senderAllowed(event.senderFrame, opts.isTrustedUrl)) {
        log(`refused ${name} from untrusted frame ${event.senderFrame?.url ?? '(gone)'}`);
        return { ok: false, error: new AppError('unauthorized', `${name}: sender frame is not the app window`).toData() };
      }
      if (args.length > 1) {
        return { ok: false, error: new AppError('validation', `${name}: expected one payload argument, got ${args.length}`).toData() };
      }
      return dispatch(opts.handlers, opts.ctx, name, args[0]);
    });
  }
  return () => {
    for (const name of requestNames) ipcMain.removeHandler(ipcChannel.request(name));
  };
}

/** Forwards every context event to a window; returns an unsubscribe. */
export function forwardEvents(ctx: ServiceContext, send: (channel: string, payload: unknown) => void): () => void {
  const known = new Set<EventName>(eventNames);
  return ctx.onEvent((name, payload) => {
    if (known.has(name)) send(ipcChannel.event(name), payload);
  });
}
