import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { decodeJson, encodeJson } from '../../shared/contract/codec';
import { requestNames } from '../../shared/contract/index';
import { ServiceContext } from '../services/context';
import type { Handlers } from '../services/handler';
import { handlers as realHandlers } from '../services/registry';
import { startHttpServer, type RunningServer } from './http-server';

let server: RunningServer;
let dir: string;
const ctx = new ServiceContext({ transport: 'http' });
const handlers: Handlers = { ...realHandlers };
const listSpy = vi.fn(async () => ({ total: 1, offset: 0, items: [] }));
handlers['images.list'] = listSpy;
handlers['images.get'] = async () => ({ mime: 'image/png', bytes: new Uint8Array([1, 2, 250]) });

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'proda-http-'));
  await mkdir(path.join(dir, 'renderer'));
  await writeFile(path.join(dir, 'renderer', 'index.html'), '<!doctype html><title>t</title>');
  await writeFile(path.join(dir, 'secret.txt'), 'outside the renderer');
  server = await startHttpServer({ handlers, ctx, rendererDir: path.join(dir, 'renderer') });
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

const api = (name: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.origin}/api/${name}`, { method: 'POST', body: encodeJson(body), headers });
const auth = () => ({ 'x-proda-token': server.token });

function wsStatus(url: string, headers: Record<string, string> = {}): Promise<number | 'open'> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => {
      ws.close();
      resolve('open');
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('error', (err) => reject(err));
  });
}

describe('http server auth', () => {
  it('listens on 127.0.0.1 by default and prints a tokenised URL', () => {
    expect(server.host).toBe('127.0.0.1');
    expect(server.boundAddress).toBe('127.0.0.1');
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`);
    expect(server.token).toMatch(/^[0-9a-f]{64}$/);
  });

  it('answers 401 to every request without the token or with a wrong one', async () => {
    for (const name of requestNames) expect((await api(name, {})).status).toBe(401);
    expect((await api('images.list', { datasetId: 'a' }, { 'x-proda-token': 'f'.repeat(64) })).status).toBe(401);
    expect((await api('images.list', { datasetId: 'a' }, { authorization: 'Bearer nope' })).status).toBe(401);
    expect((await fetch(`${server.origin}/`)).status).toBe(401);
    expect((await fetch(`${server.origin}/index.html?token=wrong`)).status).toBe(401);
    expect(listSpy).not.toHaveBeenCalled();
  });

  it('refuses the event socket without the token', async () => {
    const wsUrl = `ws://127.0.0.1:${server.port}/events`;
    expect(await wsStatus(wsUrl)).toBe(401);
    expect(await wsStatus(`${wsUrl}?token=wrong`)).toBe(401);
    expect(await wsStatus(`${wsUrl}?token=${server.token}`, { origin: 'http://evil.example' })).toBe(403);
  });

  it('answers 403 to a foreign Origin even with the token', async () => {
    const r = await api('images.list', { datasetId: 'a' }, { ...auth(), origin: 'http://evil.example' });
    expect(r.status).toBe(403);
    expect(listSpy).not.toHaveBeenCalled();
    const same = await api('images.list', { datasetId: 'a' }, { ...auth(), origin: server.origin });
    expect(same.status).toBe(200);
  });

  it('with the token: API results (binary intact), validation errors naming the field, events over the socket', async () => {
    const got = decodeJson(await (await api('images.get', { datasetId: 'a', imageId: 'b' }, auth())).text()) as {
      ok: true;
      value: { bytes: Uint8Array };
    };
    expect(got.value.bytes).toBeInstanceOf(Uint8Array);
    expect(Array.from(got.value.bytes)).toEqual([1, 2, 250]);

    listSpy.mockClear();
    const bad = await api('images.list', { datasetId: 'a', limit: 0 }, auth());
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { error: { where: string; message: string } };
    expect(body.error.where).toBe('limit');
    expect(listSpy).not.toHaveBeenCalled();
    expect((await fetch(`${server.origin}/api/images.list`, { method: 'POST', headers: auth(), body: '{not json' })).status).toBe(400);

    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/events?token=${server.token}`);
    await new Promise((r) => ws.on('open', r));
    const message = new Promise<unknown>((r) => ws.on('message', (d) => r(decodeJson(String(d)))));
    ctx.emit('system.log', { level: 'info', message: 'hello' });
    expect(await message).toEqual({ event: 'system.log', payload: { level: 'info', message: 'hello' } });
    ws.close();
  });

  it('serves the renderer with a strict CSP, sets the token cookie, and never serves outside its folder', async () => {
    const page = await fetch(`${server.origin}/?token=${server.token}`);
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("object-src 'none'");
    const cookie = page.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/);
    const withCookie = await fetch(`${server.origin}/index.html`, { headers: { cookie: cookie.split(';')[0] } });
    expect(withCookie.status).toBe(200);
    const escape = await fetch(`${server.origin}/..%2fsecret.txt`, { headers: auth() });
    expect(escape.status).toBe(404);
  });
});

describe('Host header with extra origins', () => {
  it('an allowed origin (an SSH-forwarded port) names an allowed host; others stay refused', async () => {
    const { rawHttp, statusOf } = await import('../testing/hostile-kit');
    const s = await startHttpServer({ handlers, ctx, allowedOrigins: ['http://localhost:9000'] });
    try {
      const ask = (host: string) =>
        rawHttp(s.port, `POST /api/images.list?token=${s.token} HTTP/1.1\r\nHost: ${host}\r\nOrigin: http://localhost:9000\r\nContent-Type: application/json\r\nContent-Length: 18\r\nConnection: close\r\n\r\n{"datasetId":"a"}\n`);
      expect(statusOf(await ask('localhost:9000'))).toBe(200);
      expect(statusOf(await ask('evil.example:9000'))).toBe(400);
      const page = await rawHttp(s.port, `GET /?token=${s.token} HTTP/1.1\r\nHost: localhost:9000\r\nConnection: close\r\n\r\n`);
      expect(/content-security-policy: ([^\r\n]*)/i.exec(page)?.[1]).toContain('ws://localhost:9000');
    } finally {
      await s.close();
    }
  });
});
