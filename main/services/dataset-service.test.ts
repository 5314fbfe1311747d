import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Result } from '../../shared/contract/result';
import { dispatch } from '../transports/dispatch';
import { ServiceContext } from './context';
import { handlers } from './registry';

let dir: string;
const ctx = new ServiceContext({ transport: 'http' });
const call = async (name: string, payload: unknown): Promise<Result<unknown>> => dispatch(handlers, ctx, name, payload);
const value = async <T>(name: string, payload: unknown): Promise<T> => {
  const r = await call(name, payload);
  if (!r.ok) throw new Error(`${name}: ${r.error.message}`);
  return r.value as T;
};

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'proda-ds-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('workspace + dataset services through dispatch', () => {
  it('answers conflict before any workspace is open', async () => {
    expect(await call('datasets.list', {})).toMatchObject({ ok: false, error: { code: 'conflict' } });
  });

  it('creates a workspace with the demo registered as source and target datasets, and pages its images', async () => {
    const ws = await value<{ datasets: { id: string; role: string; format: string }[] }>('workspace.create', {
      path: path.join(dir, 'ws'),
      demoCount: 3,
    });
    expect(ws.datasets.map((d) => [d.id, d.role, d.format])).toEqual([
      ['demo-source', 'source', 'demo'],
      ['demo-target-train', 'target', 'demo'],
      ['demo-target-val', 'target', 'demo'],
    ]);
    const page = await value<{ total: number; offset: number; items: { id: string }[] }>('images.list', { datasetId: 'demo-source', offset: 1, limit: 1 });
    expect(page.total).toBe(3);
    expect(page.offset).toBe(1);
    expect(page.items).toHaveLength(1);

    const img = await value<{ mime: string; bytes: Uint8Array }>('images.get', { datasetId: 'demo-source', imageId: page.items[0].id });
    expect(img.mime).toBe('image/png');
    expect(Array.from(img.bytes.subarray(1, 4))).toEqual([0x50, 0x4e, 0x47]); // 'PNG'
    const thumb = await value<{ bytes: Uint8Array }>('images.thumbnail', { datasetId: 'demo-source', imageId: page.items[0].id, maxSide: 64 });
    expect(thumb.bytes.length).toBeGreaterThan(100);
    expect(thumb.bytes.length).toBeLessThan(img.bytes.length);
    const label = await value<{ width: number; height: number; data: Uint8Array }>('images.label', { datasetId: 'demo-source', imageId: page.items[0].id });
    expect(label.data.length).toBe(label.width * label.height);
  });

  it('serves only listed image ids and names what is unknown', async () => {
    for (const imageId of ['../../workspace.json', '/etc/passwd', 'nope.png']) {
      const r = await call('images.get', { datasetId: 'demo-source', imageId });
      expect(r).toMatchObject({ ok: false, error: { code: 'not-found', where: 'imageId' } });
    }
    expect(await call('images.list', { datasetId: 'ghost' })).toMatchObject({ ok: false, error: { code: 'not-found', where: 'datasetId' } });
  });

  it('adds a folder dataset, persists it, and refuses a duplicate id', async () => {
    const root = path.join(dir, 'folder');
    await mkdir(path.join(root, 'images'), { recursive: true });
    const src = (await value<{ items: { imagePath: string }[] }>('images.list', { datasetId: 'demo-target-val', limit: 1 })).items[0].imagePath;
    await writeFile(path.join(root, 'images', 'a.png'), await readFile(src));
    await writeFile(path.join(root, 'classes.txt'), 'road\n');
    const ref = await value<{ id: string }>('datasets.add', { dataset: { name: 'My Folder', format: 'folder', root, role: 'target', classSet: '19' } });
    expect(ref.id).toBe('my-folder');
    const reopened = new ServiceContext({ transport: 'http' });
    const info = (await dispatch(handlers, reopened, 'workspace.open', { path: path.join(dir, 'ws') })) as Result<{ datasets: { id: string }[] }>;
    expect(info.ok && info.value.datasets.map((d) => d.id)).toContain('my-folder');
    expect(await call('datasets.add', { dataset: { id: 'my-folder', name: 'x', format: 'folder', root, role: 'target', classSet: '19' } })).toMatchObject({
      ok: false,
      error: { code: 'conflict', where: 'dataset.id' },
    });
  });
});
