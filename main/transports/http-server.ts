// Browser mode: the same services behind a loopback HTTP + WebSocket server. Every request and socket
// must carry the per-start token (query, header or the cookie set when the page was opened with it),
// browsers must come from the server's own origin, and it binds 127.0.0.1 unless told otherwise.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { encodeJson } from '../../shared/contract/codec';
import { httpRoute } from '../../shared/contract/index';
import type { AppErrorData, ErrorCode } from '../../shared/contract/errors';
import type { Result } from '../../shared/contract/result';
import type { ServiceContext } from '../services/context';
import type { Handlers } from '../services/handler';
import { BodyError, parseBody, readBody } from './body';
import { contentSecurityPolicy } from './csp';
import { dispatch } from './dispatch';
import { fileInside, mimeOf } from './mime';

export const DEFAULT_HOST = '127.0.0.1';
export const TOKEN_HEADER = 'x-proda-token';

export interface HttpServerOptions {
  handlers: Handlers;
  ctx: ServiceContext;
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Defaults to 32 random bytes, new on every start. */
  token?: string;
  /** Folder of the built renderer (index.html); without it only the API is served. */
  rendererDir?: string | null;
  /** Extra browser origins allowed besides the server's own (e.g. an SSH-forwarded port). */
  allowedOrigins?: readonly string[];
}

export interface RunningServer {
  host: string;
  /** The address the socket really listens on, as the OS reports it. */
  boundAddress: string;
  port: number;
  token: string;
  /** Base URL without the token. */
  origin: string;
  /** What the user opens: the base URL with the token, printed once at start. */
  url: string;
  close(): Promise<void>;
}

const statusOf: Record<ErrorCode, number> = {
  validation: 400,
  'not-found': 404,
  'bad-input': 422,
  conflict: 409,
  unauthorized: 401,
  cancelled: 409,
  internal: 500,
};


/** Formats a host for a URL: IPv6 literals need brackets. */
const urlHost = (host: string): string => (host.includes(':') && !host.startsWith('[') ? `[${host}]` : host);

export async function startHttpServer(opts: HttpServerOptions): Promise<RunningServer> {
  const host = opts.host ?? DEFAULT_HOST;
  const token = opts.token ?? randomBytes(32).toString('hex');
  const tokenBytes = Buffer.from(token);
  const rendererDir = opts.rendererDir ? path.resolve(opts.rendererDir) : null;
  let cookieName = 'proda_token';

  const tokenOk = (candidate: string | null | undefined): boolean => {
    if (!candidate) return false;
    const b = Buffer.from(candidate);
    return b.length === tokenBytes.length && timingSafeEqual(b, tokenBytes);
  };

  const presentedTokens = (req: http.IncomingMessage, url: URL): string[] => {
    const found: string[] = [];
    const q = url.searchParams.get('token');
    if (q) found.push(q);
    const header = req.headers[TOKEN_HEADER];
    if (typeof header === 'string') found.push(header);
    const auth = req.headers.authorization;
    if (auth?.startsWith('Bearer ')) found.push(auth.slice(7));
    for (const part of (req.headers.cookie ?? '').split(';')) {
      const [k, ...v] = part.trim().split('=');
      if (k === cookieName) found.push(decodeURIComponent(v.join('=')));
    }
    return found;
  };

  // Same-origin only: a page served by this server has Origin http://<Host header>. Non-browser clients
  // send no Origin and are judged by the token alone.
  const originOk = (req: http.IncomingMessage): boolean => {
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    if (opts.allowedOrigins?.includes(origin)) return true;
    return req.headers.host !== undefined && origin === `http://${req.headers.host}`;
  };

  const securityHeaders = (req: http.IncomingMessage): Record<string, string> => ({
    'Content-Security-Policy': contentSecurityPolicy(req.headers.host ? [`ws://${req.headers.host}`] : []),
    'X-Content-Type-Options': 'nosniff',
    // The token sits in the page URL: never leak it through a Referer header.
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  });

  const sendJson = (req: http.IncomingMessage, res: http.ServerResponse, status: number, body: Result<unknown>): void => {
    const text = encodeJson(body);
    res.writeHead(status, {
      ...securityHeaders(req),
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
      'Content-Length': Buffer.byteLength(text),
    });
    res.end(text);
  };
  const sendError = (req: http.IncomingMessage, res: http.ServerResponse, status: number, error: AppErrorData): void =>
    sendJson(req, res, status, { ok: false, error });

  const handleApi = async (req: http.IncomingMessage, res: http.ServerResponse, name: string): Promise<void> => {
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      sendError(req, res, 405, { code: 'validation', message: `${req.method} not allowed: API requests are POST` });
      return;
    }
    let payload: unknown;
    try {
      payload = parseBody(await readBody(req, res));
    } catch (err) {
      if (err instanceof BodyError) {
        // The rest of the body is not read: close the connection once the answer is out.
        res.setHeader('Connection', 'close');
        res.once('finish', () => req.destroy());
        sendError(req, res, err.status, { code: 'validation', message: err.message, where: 'body' });
      } else sendError(req, res, 400, { code: 'validation', message: `request body is not valid JSON: ${(err as Error).message}`, where: 'body' });
      return;
    }
    const result = await dispatch(opts.handlers, opts.ctx, name, payload);
    sendJson(req, res, result.ok ? 200 : statusOf[result.error.code], result);
  };

  const serveStatic = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL, setCookie: boolean): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...securityHeaders(req), Allow: 'GET, HEAD' }).end();
      return;
    }
    if (!rendererDir) {
      res.writeHead(404, securityHeaders(req)).end('no renderer build is being served');
      return;
    }
    let file = fileInside(rendererDir, url.pathname);
    if (!file) {
      res.writeHead(404, securityHeaders(req)).end();
      return;
    }
    let stat = await fsp.stat(file).catch(() => null);
    if (stat?.isDirectory()) {
      file = path.join(file, 'index.html');
      stat = await fsp.stat(file).catch(() => null);
    }
    if (!stat?.isFile()) {
      res.writeHead(404, { ...securityHeaders(req), 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    const headers: Record<string, string | string[]> = {
      ...securityHeaders(req),
      'Content-Type': mimeOf(file),
      'Content-Length': String(stat.size),
      'Cache-Control': file.endsWith('.html') ? 'no-store' : 'private, max-age=3600',
    };
    // Assets requested by the page carry no token in their URLs; the HttpOnly cookie authorises them.
    if (setCookie) headers['Set-Cookie'] = `${cookieName}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict`;
    res.writeHead(200, headers);
    if (req.method === 'HEAD') res.end();
    else res.end(await fsp.readFile(file));
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!originOk(req)) {
      sendError(req, res, 403, { code: 'unauthorized', message: `origin ${req.headers.origin} is not allowed` });
      return;
    }
    const presented = presentedTokens(req, url);
    if (!presented.some(tokenOk)) {
      sendError(req, res, 401, {
        code: 'unauthorized',
        message: presented.length ? 'wrong token' : 'missing token: open the URL printed at server start (it carries ?token=...)',
      });
      return;
    }
    const apiPrefix = httpRoute.apiPrefix;
    const done = url.pathname.startsWith(apiPrefix)
      ? handleApi(req, res, url.pathname.slice(apiPrefix.length))
      : serveStatic(req, res, url, tokenOk(url.searchParams.get('token')));
    done.catch((err: unknown) => {
      console.error('http handler failed', err);
      if (!res.headersSent) sendError(req, res, 500, { code: 'internal', message: String(err) });
      else res.destroy();
    });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  server.on('upgrade', (req, socket: Socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const refuse = (status: number, text: string): void => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (url.pathname !== httpRoute.socket) return refuse(404, 'Not Found');
    if (!originOk(req)) return refuse(403, 'Forbidden');
    if (!presentedTokens(req, url).some(tokenOk)) return refuse(401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      const off = opts.ctx.onEvent((event, payload) => {
        if (ws.readyState === ws.OPEN) ws.send(encodeJson({ event, payload }));
      });
      ws.on('close', off);
      ws.on('error', off);
      // Clients only listen; anything they send is ignored rather than interpreted.
      ws.on('message', () => undefined);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port, address: boundAddress } = server.address() as AddressInfo;
  // Cookies are per host, not per port: a name per port keeps two servers on one machine apart.
  cookieName = `proda_token_${port}`;
  const displayHost = host === '0.0.0.0' || host === '::' ? DEFAULT_HOST : host;
  const origin = `http://${urlHost(displayHost)}:${port}`;
  return {
    host,
    boundAddress,
    port,
    token,
    origin,
    url: `${origin}/?token=${token}`,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
}
