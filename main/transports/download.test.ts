// Browser downloads of export folders: GET /download/<exportId>/<path> serves the file's bytes as an
// attachment with the token, and refuses ids and paths that would leave the export folder.
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpRoute } from '../../shared/contract/index';
import { ServiceContext } from '../services/context';
import { handlers } from '../services/registry';
import { dispatch } from './dispatch';
import { startHttpServer, type RunningServer } from './http-server';

let server: RunningServer;
let ws: string;
const ctx = new ServiceContext({ transport: 'http' });
const bytes = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256);

beforeAll(async () => {
  ws = await mkdtemp(path.join(os.tmpdir(), 'proda-dl-'));
  await mkdir(path.join(ws, 'exports', 'run-1', 'tfjs'), { recursive: true });
  await writeFile(path.join(ws, 'exports', 'run-1', 'model.onnx'), bytes);
  await writeFile(path.join(ws, 'exports', 'run-1', 'tfjs', 'group 1.bin'), 'shard');
  await writeFile(path.join(ws, 'secret.txt'), 'outside every export');
  await symlink(path.join(ws, 'secret.txt'), path.join(ws, 'exports', 'run-1', 'link.txt'));
  ctx.setWorkspace({ root: ws, file: { schemaVersion: 1, name: 't', createdAt: new Date().toISOString(), classSet: '19', datasets: [], settings: {} } });
  server = await startHttpServer({ handlers, ctx });
});
afterAll(async () => {
  await server.close();
  await rm(ws, { recursive: true, force: true });
});

const get = (p: string, headers: Record<string, string> = { 'x-proda-token': server.token }) => fetch(`${server.origin}${p}`, { headers });

describe('export downloads', () => {
  it('lists an export\'s files and serves each one\'s exact bytes as an attachment', async () => {
    const listed = await dispatch(handlers, ctx, 'export.files', { exportId: 'run-1' });
    expect(listed).toMatchObject({ ok: true, value: { files: [{ path: 'model.onnx', bytes: 70_000 }, { path: 'tfjs/group 1.bin', bytes: 5 }], truncated: false } });
    const r = await get(httpRoute.download('run-1', 'model.onnx'));
    expect(r.status).toBe(200);
    expect(r.headers.get('content-disposition')).toContain('filename="model.onnx"');
    expect(new Uint8Array(await r.arrayBuffer())).toEqual(bytes);
    const shard = await get(httpRoute.download('run-1', 'tfjs/group 1.bin'));
    expect(await shard.text()).toBe('shard');
  });

  it('needs the token like every other route', async () => {
    expect((await get(httpRoute.download('run-1', 'model.onnx'), {})).status).toBe(401);
  });

  it('refuses escapes, symlinks out of the folder, bad ids, folders and missing files', async () => {
    const status = async (p: string) => (await get(p)).status;
    expect(await status('/download/run-1/..%2F..%2Fsecret.txt')).toBe(422);
    expect(await status('/download/..%2Fexports/run-1/model.onnx')).toBe(422);
    expect(await status('/download/run-1/link.txt')).toBe(422);
    expect(await status('/download/run-1/tfjs')).toBe(404);
    expect(await status('/download/run-1/nope.bin')).toBe(404);
    expect(await status('/download/nope/model.onnx')).toBe(404);
    expect(await status('/download/run-1/%E0%A4%A')).toBe(422);
    expect(await status('/download/run-1')).toBe(422);
    expect((await fetch(`${server.origin}/download/run-1/model.onnx`, { method: 'POST', headers: { 'x-proda-token': server.token } })).status).toBe(405);
    expect(await dispatch(handlers, ctx, 'export.files', { exportId: '..' })).toMatchObject({ ok: false, error: { code: 'bad-input' } });
  });
});
