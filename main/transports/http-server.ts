// Browser mode: the same services behind a loopback HTTP + WebSocket server. Every request and socket
// must carry the per-start token (query, header or the cookie set when the page was opened with it),
// must name this server in its Host header (no DNS rebinding), browsers must come from the server's own
// origin, and it binds 127.0.0.1 unless told otherwise. No request, however malformed, throws out of a
// listener: it is answered 400 (or 500) and the server keeps serving.
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
import { createReadStream } from 'node:fs';
import { AppError } from '../../shared/contract/errors';
import { resolveExportFile } from '../services/export-files';
import { receiveUpload } from '../services/uploads';

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


/** decodeURIComponent, or null for text that is not valid percent-encoding. */
function safeDecode(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

/** The request target as a URL (origin-form or absolute-form), or null when it cannot be one. */
function parseRequestUrl(raw: string | undefined): URL | null {
  try {
    return new URL(raw ?? '/', 'http://localhost');
  } catch {
    return null;
  }
}

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
      if (k !== cookieName) continue;
      // A cookie that is not valid percent-encoding is presented as is (and so never matches).
      const raw = v.join('=');
      found.push(safeDecode(raw) ?? raw);
    }
    return found;
  };

  // Host names this server answers to: the loopback names, the bound address when it is a specific one,
  // and the hosts of the extra allowed origins; any name when bound to every interface (the user chose
  // to expose it, the token still guards). Filled in once the port is known.
  const allowedHosts = new Set<string>();
  let anyHost = false;
  let ownPort = 0;
  const hostOk = (req: http.IncomingMessage): boolean => {
    const h = req.headers.host;
    if (typeof h !== 'string' || h.length === 0 || h.length > 300) return false;
    const lower = h.toLowerCase();
    if (allowedHosts.has(lower)) return true;
    return anyHost && (lower.endsWith(`:${ownPort}`) || ownPort === 80);
  };

  // Same-origin only: a page served by this server has Origin http://<Host header>. Non-browser clients
  // send no Origin and are judged by the token alone.
  const originOk = (req: http.IncomingMessage): boolean => {
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    if (opts.allowedOrigins?.includes(origin)) return true;
    return req.headers.host !== undefined && origin === `http://${req.headers.host}`;
  };

  // The socket origins the page may connect to come from the server's own configuration, never from
  // the request's Host header.
  let cspValue = contentSecurityPolicy();
  const securityHeaders = (_req: http.IncomingMessage): Record<string, string> => ({
    'Content-Security-Policy': cspValue,
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

  /** GET /download/<exportId>/<path>: one file of an export folder, as an attachment. */
  const serveDownload = async (req: http.IncomingMessage, res: http.ServerResponse, rest: string): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      sendError(req, res, 405, { code: 'validation', message: `${req.method} not allowed: downloads are GET` });
      return;
    }
    const slash = rest.indexOf('/');
    let exportId: string;
    let rel: string;
    try {
      if (slash <= 0) throw new AppError('bad-input', 'a download names an export and a file: /download/<exportId>/<path>', { where: 'path' });
      exportId = decodeURIComponent(rest.slice(0, slash));
      rel = rest
        .slice(slash + 1)
        .split('/')
        .map((x) => decodeURIComponent(x))
        .join('/');
      const ws = opts.ctx.requireWorkspace();
      const { file, bytes } = await resolveExportFile(ws.root, exportId, rel);
      const name = path.basename(file);
      res.writeHead(200, {
        ...securityHeaders(req),
        'Content-Type': 'application/octet-stream',
        'Content-Length': String(bytes),
        'Content-Disposition': `attachment; filename="${name.replace(/[^\x20-\x7e]|["\\]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(name)}`,
        'Cache-Control': 'no-store',
      });
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      await new Promise<void>((resolve, reject) => {
        const stream = createReadStream(file);
        stream.on('error', reject);
        res.on('close', resolve);
        stream.pipe(res);
      });
    } catch (err) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const e = err instanceof AppError ? err : err instanceof URIError ? new AppError('bad-input', 'malformed percent-encoding in the download path', { where: 'path' }) : null;
      if (!e) throw err;
      sendError(req, res, statusOf[e.code], e.toData());
    }
  };

  /** PUT /upload/<name>: the body becomes a file under the workspace's uploads/ (for import.checkpoint). */
  const serveUpload = async (req: http.IncomingMessage, res: http.ServerResponse, rest: string): Promise<void> => {
    if (req.method !== 'PUT') {
      res.setHeader('Allow', 'PUT');
      sendError(req, res, 405, { code: 'validation', message: `${req.method} not allowed: uploads are PUT` });
      return;
    }
    try {
      const name = decodeURIComponent(rest);
      const declared = req.headers['content-length'] === undefined ? null : Number(req.headers['content-length']);
      const r = await receiveUpload(opts.ctx.requireWorkspace().root, name, req, Number.isFinite(declared) ? declared : null);
      sendJson(req, res, 200, { ok: true, value: r });
    } catch (err) {
      const e = err instanceof AppError ? err : err instanceof URIError ? new AppError('bad-input', 'malformed percent-encoding in the upload name', { where: 'name' }) : null;
      if (!e) throw err;
      // The rest of a refused body is not read: close the connection after answering.
      res.setHeader('Connection', 'close');
      sendError(req, res, statusOf[e.code], e.toData());
    }
  };

  const handleRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const url = parseRequestUrl(req.url);
    if (!url) {
      sendError(req, res, 400, { code: 'validation', message: 'malformed request target' });
      return;
    }
    if (!hostOk(req)) {
      sendError(req, res, 400, { code: 'validation', message: 'the Host header does not name this server' });
      return;
    }
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
      : url.pathname.startsWith(httpRoute.downloadPrefix)
        ? serveDownload(req, res, url.pathname.slice(httpRoute.downloadPrefix.length))
        : url.pathname.startsWith(httpRoute.uploadPrefix)
          ? serveUpload(req, res, url.pathname.slice(httpRoute.uploadPrefix.length))
          : serveStatic(req, res, url, tokenOk(url.searchParams.get('token')));
    done.catch((err: unknown) => failed(req, res, err));
  };

  const failed = (req: http.IncomingMessage, res: http.ServerResponse, err: unknown): void => {
    console.error('http handler failed', err);
    try {
      if (!res.headersSent) sendError(req, res, 500, { code: 'internal', message: 'internal error (see the server log)' });
      else res.destroy();
    } catch {
      res.destroy();
    }
  };

  const server = http.createServer((req, res) => {
    try {
      handleRequest(req, res);
    } catch (err) {
      failed(req, res, err);
    }
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  const handleUpgrade = (req: http.IncomingMessage, socket: Socket, head: Buffer, refuse: (status: number, text: string) => void): void => {
    const url = parseRequestUrl(req.url);
    if (!url) return refuse(400, 'Bad Request');
    if (!hostOk(req)) return refuse(400, 'Bad Request');
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
  };

  server.on('upgrade', (req, socket: Socket, head: Buffer) => {
    // A client that resets mid-handshake must not become an unhandled 'error' event.
    socket.on('error', () => socket.destroy());
    const refuse = (status: number, text: string): void => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    try {
      handleUpgrade(req, socket, head, refuse);
    } catch (err) {
      console.error('websocket upgrade failed', err);
      if (socket.writable) refuse(400, 'Bad Request');
      else socket.destroy();
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      // After the start an 'error' (say, out of file descriptors on accept) is logged, never a crash.
      server.on('error', (err) => console.error('http server error', err));
      resolve();
    });
  });
  const { port, address: boundAddress } = server.address() as AddressInfo;
  // Cookies are per host, not per port: a name per port keeps two servers on one machine apart.
  cookieName = `proda_token_${port}`;
  ownPort = port;
  const wildcard = host === '0.0.0.0' || host === '::';
  anyHost = wildcard;
  const names = ['127.0.0.1', 'localhost', '[::1]', ...(wildcard ? [] : [urlHost(host)])];
  for (const n of names) allowedHosts.add(`${n}:${port}`.toLowerCase());
  for (const o of opts.allowedOrigins ?? []) {
    const h = parseRequestUrl(o)?.host;
    if (h) allowedHosts.add(h.toLowerCase());
  }
  // CSP host-sources cannot name IPv6 literals (Chromium reports `ws://[::1]:…` as invalid and logs an
  // error); a page served from [::1] reaches its own socket through 'self', which covers ws: in CSP 3.
  cspValue = contentSecurityPolicy([...allowedHosts].filter((h) => !h.startsWith('[')).map((h) => `ws://${h}`));
  const displayHost = wildcard ? DEFAULT_HOST : host;
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
