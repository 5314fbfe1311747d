// Hostile probes of the HTTP + WebSocket transport against the real server process (main/serve.ts):
// malformed cookies, request targets and Host headers, with and without the token. Each attempt must be
// answered (400/401, never a crash), the server must still serve a normal request afterwards, and the
// workspace's files must be byte-identical at the end.
import { describe, expect, it } from 'vitest';
import { probeServer, rawHttp, statusOf } from '../testing/hostile-kit';

const probe = probeServer('http');

/** The server is alive and a normal request with the token still answers 200. */
async function stillServing(): Promise<void> {
  expect(probe.server.alive()).toBe(true);
  const r = await fetch(`${probe.server.origin}/api/datasets.list`, { method: 'POST', headers: { 'x-proda-token': probe.server.token }, body: '{}' });
  expect(r.status).toBe(200);
}

const req = (lines: string[]): string => `${lines.join('\r\n')}\r\n\r\n`;
const host = (): string => `Host: 127.0.0.1:${probe.server.port}`;
const upgrade = ['Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=='];

describe('cookie with bad percent-encoding', () => {
  it('GET / without a token: 401, server alive', async () => {
    const r = await rawHttp(probe.server.port, req(['GET / HTTP/1.1', host(), `Cookie: proda_token_${probe.server.port}=%E0%A4%A`, 'Connection: close']));
    expect(statusOf(r)).toBe(401);
    await stillServing();
  });
  it('API request without a token: 401, server alive', async () => {
    const r = await rawHttp(probe.server.port, req(['POST /api/datasets.list HTTP/1.1', host(), `Cookie: proda_token_${probe.server.port}=%`, 'Content-Length: 0', 'Connection: close']));
    expect(statusOf(r)).toBe(401);
    await stillServing();
  });
  it('WebSocket upgrade without a token: 401, server alive', async () => {
    const r = await rawHttp(probe.server.port, req(['GET /events HTTP/1.1', host(), ...upgrade, `Cookie: proda_token_${probe.server.port}=%E0%A4%A`]));
    expect(statusOf(r)).toBe(401);
    await stillServing();
  });
  it('with a valid token beside it: the token still works', async () => {
    const r = await rawHttp(probe.server.port, req([`POST /api/datasets.list?token=${probe.server.token} HTTP/1.1`, host(), `Cookie: proda_token_${probe.server.port}=%E0%A4%A`, 'Content-Length: 0', 'Connection: close']));
    expect(statusOf(r)).toBe(200);
    await stillServing();
  });
});

describe('absolute-form request target', () => {
  for (const target of ['http://[', 'http://%zz/', 'http://[::1/api/datasets.list', 'http://a:99999/']) {
    it(`GET ${target}: 400, server alive`, async () => {
      const r = await rawHttp(probe.server.port, req([`GET ${target} HTTP/1.1`, host(), 'Connection: close']));
      expect(statusOf(r)).toBe(400);
      await stillServing();
    });
  }
  it('WebSocket upgrade to http://[: 400, server alive', async () => {
    const r = await rawHttp(probe.server.port, req(['GET http://[ HTTP/1.1', host(), ...upgrade]));
    expect(statusOf(r)).toBe(400);
    await stillServing();
  });
});

describe('Host header', () => {
  it('a foreign host with the right token is refused (DNS rebinding)', async () => {
    const r = await rawHttp(probe.server.port, req([`POST /api/datasets.list?token=${probe.server.token} HTTP/1.1`, `Host: evil.example:${probe.server.port}`, 'Content-Length: 0', 'Connection: close']));
    expect(statusOf(r)).toBe(400);
    await stillServing();
  });
  it('the right name with another port is refused', async () => {
    const r = await rawHttp(probe.server.port, req([`POST /api/datasets.list?token=${probe.server.token} HTTP/1.1`, `Host: localhost:${probe.server.port + 1}`, 'Content-Length: 0', 'Connection: close']));
    expect(statusOf(r)).toBe(400);
    await stillServing();
  });
  it('no Host header at all (HTTP/1.0) is refused', async () => {
    const r = await rawHttp(probe.server.port, req([`POST /api/datasets.list?token=${probe.server.token} HTTP/1.0`, 'Content-Length: 0']));
    expect(statusOf(r)).toBe(400);
    await stillServing();
  });
  it('WebSocket upgrade naming a foreign host is refused', async () => {
    const r = await rawHttp(probe.server.port, req([`GET /events?token=${probe.server.token} HTTP/1.1`, `Host: evil.example:${probe.server.port}`, ...upgrade]));
    expect(statusOf(r)).toBe(400);
    await stillServing();
  });
  it('localhost and [::1] with the right port are served', async () => {
    for (const h of [`localhost:${probe.server.port}`, `[::1]:${probe.server.port}`]) {
      const r = await rawHttp(probe.server.port, req([`POST /api/datasets.list?token=${probe.server.token} HTTP/1.1`, `Host: ${h}`, 'Content-Length: 0', 'Connection: close']));
      expect(statusOf(r)).toBe(200);
    }
  });
  it('the Content-Security-Policy never carries the Host header', async () => {
    const r = await rawHttp(probe.server.port, req([`GET /?token=${probe.server.token} HTTP/1.1`, `Host: localhost:${probe.server.port}`, 'Connection: close']));
    const csp = /content-security-policy: ([^\r\n]*)/i.exec(r)?.[1] ?? '';
    expect(csp).toContain(`ws://127.0.0.1:${probe.server.port}`);
    const injected = await rawHttp(probe.server.port, req([`GET /?token=${probe.server.token} HTTP/1.1`, `Host: x; script-src *:${probe.server.port}`, 'Connection: close']));
    expect(statusOf(injected)).toBe(400);
    expect(injected).not.toContain('script-src *');
    await stillServing();
  });
});

describe('nothing is lost after the transport probes', () => {
  it('every workspace file is byte-identical', async () => {
    await probe.nothingLost();
  });
});
