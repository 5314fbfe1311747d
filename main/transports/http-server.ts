// Browser mode: the same services behind a loopback HTTP + WebSocket server. Every request and socket
// must carry the per-start token (query, header or the cookie set when the page was opened with it),
// browsers must come from the server's own origin, and it binds 127.0.0.1 unless told otherwise.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { decodeJson, encodeJson } from '../../shared/contract/codec';
import { httpRoute } from '../../shared/contract/index';
import type { AppErrorData, ErrorCode } from '../../shared/contract/errors';
import type { Result } from '../../shared/contract/result';
import type { ServiceContext } from '../services/context';
import type { Handlers } from '../services/handler';
import { contentSecurityPolicy } from './csp';
import { dispatch } from './dispatch';
import { fileInside, mimeOf } from './mime';
import { createReadStream } from 'node:fs';
import { AppError } from '../../shared/contract/errors';
import { resolveExportFile } from '../services/export-files';
import { receiveUpload } from '../services/uploads';

export const DEFAULT_HOST = '127.0.0.1';
const MAX_BODY = 64 * 1024 * 1024;
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

  const readBody = (req: http.IncomingMessage): Promise<string> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY) {
          reject(new Error(`request body over ${MAX_BODY} bytes`));
          req.destroy();
        } else chunks.push(c);
      });
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });

  const handleApi = async (req: http.IncomingMessage, res: http.ServerResponse, name: string): Promise<void> => {
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      sendError(req, res, 405, { code: 'validation', message: `${req.method} not allowed: API requests are POST` });
      return;
    }
    let payload: unknown;
    try {
      const text = await readBody(req);
      payload = text.trim() === '' ? {} : decodeJson(text);
    } catch (err) {
      sendError(req, res, 400, { code: 'validation', message: `request body is not valid JSON: ${(err as Error).message}`, where: 'body' });
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
      : url.pathname.startsWith(httpRoute.downloadPrefix)
        ? serveDownload(req, res, url.pathname.slice(httpRoute.downloadPrefix.length))
        : url.pathname.startsWith(httpRoute.uploadPrefix)
          ? serveUpload(req, res, url.pathname.slice(httpRoute.uploadPrefix.length))
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
