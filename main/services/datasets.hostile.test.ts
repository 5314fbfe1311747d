// Hostile probes of dataset registration, folder datasets with symbolic links, run configs out of any
// usable range, and broken image files, through the real server process. Each attempt is refused (or the
// offending file skipped) with a message naming the field or file; nothing outside the workspace is ever
// served, and the workspace is byte-identical afterwards.
import { mkdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { probeServer } from '../testing/hostile-kit';

// A second folder dataset whose images/ holds a link out of the dataset, a link within it, and an empty file.
const probe = probeServer(
  'data',
  async (p) => {
    const links = path.join(p.workspace, 'data', 'links');
    await mkdir(path.join(links, 'images'), { recursive: true });
    await mkdir(path.join(links, 'masks'), { recursive: true });
    await writeFile(path.join(links, 'classes.txt'), 'road\n');
    for (const d of ['images', 'masks']) await writeFile(path.join(links, d, 'a.png'), await readFile(path.join(p.dataset, d, 'a.png')));
    await symlink(path.join(p.outside, 'config.json'), path.join(links, 'images', 'evil.png'));
    await symlink(path.join(links, 'images', 'a.png'), path.join(links, 'images', 'inner.png'));
    await writeFile(path.join(links, 'images', 'empty.png'), '');
    const wsFile = path.join(p.workspace, 'workspace.json');
    const file = JSON.parse(await readFile(wsFile, 'utf8')) as { datasets: unknown[] };
    file.datasets.push({ id: 'links', name: 'links', format: 'folder', root: 'data/links', role: 'target', classSet: '19' });
    await writeFile(wsFile, `${JSON.stringify(file, null, 2)}\n`);
  },
  // Thumbnails and listings may fill the cache; nothing else may appear.
  (rel) => rel.startsWith('cache/'),
);
const api = (name: string, body: unknown) => probe.api(name, body);
const nothingLost = () => probe.nothingLost();

const noSecret = (text: string): void => {
  expect(text).not.toContain('SECRET');
  expect(text).not.toContain('root:x');
};

describe('datasets.add with a bad root', () => {
  const add = (over: Record<string, unknown>) => api('datasets.add', { dataset: { name: 'x', format: 'folder', root: path.join(probe.workspace, 'data', 'tgt'), role: 'target', classSet: '19', ...over } });
  it('a root that does not exist: 404 naming the folder', async () => {
    const r = await add({ root: path.join(probe.base, 'no-such-folder') });
    expect(r.status).toBe(404);
    expect(r.text).toContain('no-such-folder');
    await nothingLost();
  });
  it('a root with a NUL character: 400 naming dataset.root', async () => {
    const r = await add({ root: `${path.join(probe.workspace, 'data', 'tgt')}\0/etc` });
    expect(r.status).toBe(400);
    expect(r.text).toContain('dataset.root');
    await nothingLost();
  });
  it('a root that is a file: 422', async () => {
    const r = await add({ root: path.join(probe.outside, 'keep.txt') });
    expect(r.status).toBe(422);
    await nothingLost();
  });
  it('a root without a single image: 422', async () => {
    const r = await add({ root: probe.outside });
    expect(r.status).toBe(422);
    expect(r.text).toMatch(/no images/);
    await nothingLost();
  });
  it('an id that is not one folder name: 400', async () => {
    for (const id of ['..', '../x', 'a/b', '.']) {
      const r = await add({ id });
      expect(r.status).toBe(400);
      expect(r.text).toContain('dataset.id');
    }
    await nothingLost();
  });
});

describe('symbolic links inside a folder dataset', () => {
  it('a link that leaves the dataset is not listed; one inside it is', async () => {
    const r = await api('images.list', { datasetId: 'links' });
    expect(r.status).toBe(200);
    const ids = (JSON.parse(r.text) as { value: { items: { id: string }[] } }).value.items.map((e) => e.id);
    expect(ids).toContain('inner.png');
    expect(ids).not.toContain('evil.png');
    await nothingLost();
  });
  it('images.get and thumbnail of the outside link: 404, no foreign bytes', async () => {
    for (const name of ['images.get', 'images.thumbnail', 'images.label']) {
      const r = await api(name, { datasetId: 'links', imageId: 'evil.png' });
      expect(r.status).toBe(404);
      noSecret(r.text);
    }
    await nothingLost();
  });
  it('a listed file replaced by an outside link afterwards is refused at read', async () => {
    expect((await api('images.list', { datasetId: 'links' })).status).toBe(200);
    const file = path.join(probe.workspace, 'data', 'links', 'images', 'a.png');
    await rename(file, `${file}.bak`);
    await symlink(path.join(probe.outside, 'config.json'), file);
    try {
      for (const name of ['images.get', 'images.thumbnail']) {
        const r = await api(name, { datasetId: 'links', imageId: 'a.png' });
        expect(r.status).toBe(422);
        expect(r.text).toMatch(/symbolic link/);
        noSecret(r.text);
      }
    } finally {
      await rm(file);
      await rename(`${file}.bak`, file);
    }
    await nothingLost();
  });
  it('datasets.check names the skipped link and the empty file in words a person understands', async () => {
    const r = await api('datasets.check', { datasetId: 'links' });
    expect(r.status).toBe(200);
    expect(r.text).toMatch(/evil\.png[^"]*"[^}]*symbolic link/);
    expect(r.text).toMatch(/empty \(0 bytes\)/);
    expect(r.text).not.toMatch(/Input Bit Array/);
    noSecret(r.text);
    await nothingLost();
  });
});

describe('run configs out of range', () => {
  const val = () => ({ root: path.join(probe.workspace, 'data', 'tgt'), format: 'folder' });
  const warmup = (over: Record<string, unknown>) => ({ config: { stage: 'warmup', network: { arch: 'demo', classes: 19 }, source: val(), ...over } });
  const cases: [string, () => unknown, string][] = [
    ['optim.lr 1e308', () => warmup({ optim: { lr: 1e308 } }), 'optim.lr'],
    ['aug.cropWidth 1e9', () => warmup({ aug: { cropWidth: 1e9 } }), 'aug.cropWidth'],
    ['aug.resizeRange [2, 1]', () => warmup({ aug: { resizeRange: [2, 1] } }), 'aug.resizeRange'],
    ['network.arch ../../../etc/passwd', () => warmup({ network: { arch: '../../../etc/passwd' } }), 'network.arch'],
    ['optim.iterations 1e12', () => warmup({ optim: { iterations: 1e12 } }), 'optim.iterations'],
    ['optim.batchSize 100000', () => warmup({ optim: { batchSize: 100000 } }), 'optim.batchSize'],
    ['seed 2^53', () => warmup({ seed: 2 ** 53 }), 'seed'],
    ['checkpoint.keep 1e9', () => warmup({ checkpoint: { keep: 1e9 } }), 'checkpoint.keep'],
    ['source.root with NUL', () => warmup({ source: { ...val(), root: `${val().root}\0x` } }), 'source.root'],
    ['eval model ../outside', () => ({ config: { stage: 'eval', model: '../outside', val: val() } }), 'model'],
  ];
  for (const [probe, body, field] of cases) {
    it(`${probe}: 400 naming ${field}, no run created`, async () => {
      const r = await api('runs.start', body());
      expect(r.status).toBe(400);
      expect(r.text).toContain(`config.${field}`);
      await nothingLost();
    });
  }
});
