// The renderer's one client of the contract, over whichever transport this page has: the Electron
// preload's bridge when present, otherwise HTTP + WebSocket back to the server that served the page,
// authenticated with the token from the page URL.
import { BRIDGE_KEY, type BridgeApi } from '../../../shared/contract/bridge';
import { decodeJson, encodeJson } from '../../../shared/contract/codec';
import { AppError, appErrorSchema } from '../../../shared/contract/errors';
import { httpRoute, type ContractClient, type EventName, type EventOf, type RequestName } from '../../../shared/contract/index';
import type { Result } from '../../../shared/contract/result';

export type TransportKind = 'ipc' | 'http';

function unwrap<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  const parsed = appErrorSchema.safeParse(result.error);
  throw parsed.success ? AppError.fromData(parsed.data) : new AppError('internal', 'malformed error from main');
}

export function bridgeClient(bridge: BridgeApi): ContractClient {
  return {
    call: async (name, req) => unwrap(await bridge.call[name](req)),
    subscribe: (name, listener) => bridge.on[name](listener),
  };
}

type Listener = (payload: unknown) => void;

export function httpClient(base: URL, token: string): ContractClient {
  const listeners = new Map<EventName, Set<Listener>>();
  let socket: WebSocket | null = null;
  let retry = 500;

  const connect = (): void => {
    const url = new URL(httpRoute.socket, base);
    url.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('token', token);
    const ws = new WebSocket(url);
    socket = ws;
    ws.onopen = () => {
      retry = 500;
      // Shown on the page so a test can wait for live events instead of guessing how long connecting takes.
      document.documentElement.dataset.socket = 'open';
    };
    ws.onmessage = (m) => {
      const msg = decodeJson(String(m.data)) as { event: EventName; payload: unknown };
      for (const l of listeners.get(msg.event) ?? []) l(msg.payload);
    };
    ws.onclose = () => {
      socket = null;
      document.documentElement.dataset.socket = 'closed';
      // Reconnect with backoff while anyone still listens (server restarts, laptop sleep).
      if ([...listeners.values()].some((s) => s.size > 0)) setTimeout(connect, (retry = Math.min(retry * 2, 10_000)));
    };
  };

  return {
    async call<K extends RequestName>(name: K, req: unknown) {
      const res = await fetch(new URL(httpRoute.request(name), base), {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-proda-token': token },
        body: encodeJson(req),
      });
      const text = await res.text();
      let body: Result<unknown>;
      try {
        body = decodeJson(text) as Result<unknown>;
      } catch {
        throw new AppError(res.status === 401 ? 'unauthorized' : 'internal', `HTTP ${res.status}: ${text.slice(0, 200)}`);
      }
      return unwrap(body) as never;
    },
    subscribe<K extends EventName>(name: K, listener: (payload: EventOf<K>) => void) {
      let set = listeners.get(name);
      if (!set) listeners.set(name, (set = new Set()));
      const l = listener as Listener;
      set.add(l);
      if (!socket) connect();
      return () => {
        set.delete(l);
      };
    },
  };
}

/** Picks the transport once at start. */
export function createClient(win: Window = window): { client: ContractClient; kind: TransportKind } {
  const bridge = (win as unknown as Record<string, BridgeApi | undefined>)[BRIDGE_KEY];
  if (bridge) return { client: bridgeClient(bridge), kind: 'ipc' };
  const token = new URL(win.location.href).searchParams.get('token') ?? '';
  return { client: httpClient(new URL('/', win.location.href), token), kind: 'http' };
}
