// Browser uploads (PUT /upload/<name> into uploads/) and downloads of export folders: GET /download/<exportId>/<path> serves the file's bytes as an
// attachment with the token, and refuses ids and paths that would leave the export folder.
import { mkdtemp, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpRoute } from '../../shared/contract/index';
import { ServiceContext } from '../services/context';
import { handlers } from '../services/registry';
import { dispatch } from './dispatch';
import { startHttpServer, type RunningServer } from './http-server';
import { receiveUpload, uploadName } from '../services/uploads';

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
    // the contract's safe-id schema refuses it before any handler runs
    expect(await dispatch(handlers, ctx, 'export.files', { exportId: '..' })).toMatchObject({ ok: false, error: { code: 'validation' } });
  });
});

describe('uploads', () => {
  it('stores the body under uploads/ with a cleaned name and answers its path for an import', async () => {
    const r = await fetch(`${server.origin}${httpRoute.upload('../my weights.pth')}`, { method: 'PUT', body: bytes, headers: { 'x-proda-token': server.token } });
    expect(r.status).toBe(200);
    const { value } = (await r.json()) as { value: { path: string; bytes: number } };
    expect(value.bytes).toBe(bytes.length);
    expect(path.dirname(value.path)).toBe(path.join(ws, 'uploads'));
    expect(path.basename(value.path)).toMatch(/-my_weights\.pth$/);
    expect(new Uint8Array(await readFile(value.path))).toEqual(bytes);
    expect((await fetch(`${server.origin}${httpRoute.upload('x.pth')}`, { method: 'PUT', body: bytes })).status).toBe(401);
    expect((await fetch(`${server.origin}${httpRoute.upload('x.pth')}`, { headers: { 'x-proda-token': server.token } })).status).toBe(405);
  });

  it('refuses an oversized or unusable upload and leaves no file behind', async () => {
    const before = await readdir(path.join(ws, 'uploads'));
    await expect(receiveUpload(ws, 'big.pth', Readable.from([Buffer.alloc(8), Buffer.alloc(8)]), null, 10)).rejects.toThrow(/over the 10-byte limit/);
    await expect(receiveUpload(ws, 'big.pth', Readable.from([Buffer.alloc(8)]), 100, 1000)).rejects.toThrow('upload ended after 8 of 100 bytes');
    await expect(receiveUpload(ws, 'big.pth', Readable.from([]), 2000, 1000)).rejects.toThrow(/over the 1000-byte limit/);
    expect(await readdir(path.join(ws, 'uploads'))).toEqual(before);
    expect(() => uploadName('...')).toThrow(/not a usable file name/);
    expect(uploadName('C:\\x\\ckpt v2.pkl')).toBe('ckpt_v2.pkl');
  });
});
