// Hostile probes of the ids that name folders (export, import, run ids) through the real server process,
// and of `proda export --out` on a folder that already holds files. Each attempt is refused before any
// file is touched; the workspace and the folder beside it stay byte-identical, and no error message
// echoes the bytes of a file outside the workspace.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { runConfigSchema } from '../../shared/runs-config';
import { initBackend } from '../engine/backend';
import { SegNet, demoConfig } from '../engine/nets';
import { exportCommand, exportLabelsCommand, importCommand } from '../interop/cli-commands';
import { createRun } from '../artifacts/records';
import { writeModel } from '../artifacts/model';
import { checksumTree, lostFiles, probeServer } from '../testing/hostile-kit';

const probe = probeServer('ids', async (p) => {
  await initBackend('wasm');
  const cfg = runConfigSchema.parse({ stage: 'warmup', network: { arch: 'demo', classes: 19 }, source: { root: p.dataset, format: 'folder' } });
  await createRun(p.workspace, cfg, 'run1');
  const net = new SegNet(demoConfig(19), { seed: 3 });
  await writeModel(path.join(p.workspace, 'runs', 'run1'), await net.getWeights());
  net.dispose();
  // A run folder whose config.json holds someone else's bytes: errors name it without quoting it.
  await mkdir(path.join(p.workspace, 'runs', 'foreign'), { recursive: true });
  await writeFile(path.join(p.workspace, 'runs', 'foreign', 'config.json'), await readFile(path.join(p.outside, 'config.json')));
  // An earlier export that no later request may remove or change.
  await mkdir(path.join(p.workspace, 'exports', 'old'), { recursive: true });
  await writeFile(path.join(p.workspace, 'exports', 'old', 'sidecar.json'), '{"artifact":{"files":[]}}\n');
});
const api = (name: string, body: unknown) => probe.api(name, body);
const nothingLost = () => probe.nothingLost();

const hostileIds = ['..', '.', '../outside', '../../outside', 'a/b', 'a\\b', '/tmp', 'x\0y', '', '.hidden', 'x'.repeat(129)];

describe('export ids that name folders', () => {
  for (const exportId of hostileIds) {
    it(`export.model exportId ${JSON.stringify(exportId.slice(0, 20))}: 400, nothing removed`, async () => {
      const r = await api('export.model', { runId: 'run1', formats: ['safetensors'], exportId, parityImages: 1 });
      expect(r.status).toBe(400);
      expect(r.text).toContain('exportId');
      await nothingLost();
    });
  }
  it('export.labels exportId "..": 400, nothing removed', async () => {
    const r = await api('export.labels', { datasetId: 'tgt', source: { kind: 'corrections' }, exportId: '..' });
    expect(r.status).toBe(400);
    await nothingLost();
  });
  it('import.checkpoint importId "..": 400, nothing removed', async () => {
    const r = await api('import.checkpoint', { path: path.join(probe.outside, 'keep.txt'), importId: '..' });
    expect(r.status).toBe(400);
    await nothingLost();
  });
  it('labels.exportAll into a named folder that holds files: 409, the folder unchanged', async () => {
    const r = await api('labels.exportAll', { datasetId: 'tgt', dir: probe.outside });
    expect(r.status).toBe(409);
    await nothingLost();
  });
  it('an export id that already exists: 409, the earlier export unchanged', async () => {
    const r = await api('export.model', { runId: 'run1', formats: ['safetensors'], exportId: 'old', parityImages: 1, datasetId: 'tgt' });
    expect(r.status).toBe(409);
    await nothingLost();
  });
});

describe('run ids that leave runs/', () => {
  const foreign = ['../outside', '../../outside', '..', '/etc', 'run1/../../outside', 'import:../outside', 'import:..', 'import:'];
  const requests: [string, (id: string) => unknown][] = [
    ['runs.get', (id) => ({ id })],
    ['runs.cancel', (id) => ({ id })],
    ['runs.resume', (id) => ({ id })],
    ['runs.compare', (id) => ({ a: 'run1', b: id })],
    ['export.model', (id) => ({ runId: id, formats: ['safetensors'], exportId: 'e1', parityImages: 1 })],
    ['export.labels', (id) => ({ datasetId: 'tgt', source: { kind: 'run', runId: id }, exportId: 'l1' })],
    ['maps.stats', (id) => ({ source: { kind: 'run', runId: id }, datasetId: 'tgt' })],
    ['runs.start', (id) => ({ id, config: { stage: 'eval', model: 'run1', val: { root: path.join(probe.workspace, 'data', 'tgt'), format: 'folder' } } })],
    ['runs.start', (id) => ({ config: { stage: 'eval', model: id, val: { root: path.join(probe.workspace, 'data', 'tgt'), format: 'folder' } } })],
  ];
  for (const [name, body] of requests) {
    for (const id of [...foreign, '<absolute>']) {
      it(`${name} with ${JSON.stringify(id)}: 400, no foreign bytes in the answer`, async () => {
        const r = await api(name, body(id === '<absolute>' ? probe.outside : id));
        expect(r.status).toBe(400);
        expect(r.text).not.toContain('SECRET-BYTES');
        expect(r.text).not.toContain('root:x');
        await nothingLost();
      });
    }
  }
});

describe('errors that could echo file bytes', () => {
  for (const name of ['runs.get', 'runs.resume', 'runs.compare', 'export.model']) {
    it(`${name} on a run whose config.json is not JSON: refused, no bytes of it in the answer`, async () => {
      const body = name === 'runs.compare' ? { a: 'run1', b: 'foreign' } : name === 'export.model' ? { runId: 'foreign', formats: ['safetensors'], exportId: 'e2' } : { id: 'foreign' };
      const r = await api(name, body);
      expect(r.status).toBe(422);
      expect(r.text).toMatch(/not valid JSON/);
      expect(r.text).not.toContain('SECRET-BYTES');
      expect(r.text).not.toContain('root:x');
      await nothingLost();
    });
  }
});

describe('proda export --out on a folder that holds files', () => {
  let out: string;
  let outBefore: Map<string, string>;
  const run = async (argv: string[], command = exportCommand): Promise<{ code: number | string; text: string }> => {
    let text = '';
    const w = (s: string | Uint8Array) => ((text += String(s)), true);
    const o = vi.spyOn(process.stdout, 'write').mockImplementation(w);
    const e = vi.spyOn(process.stderr, 'write').mockImplementation(w);
    try {
      return { code: await command(argv), text };
    } catch (err) {
      return { code: (err as { code?: string }).code ?? 'thrown', text: `${text}${(err as Error).message}` };
    } finally {
      o.mockRestore();
      e.mockRestore();
    }
  };
  const args = (extra: string[]) => ['--workspace', probe.workspace, '--run', 'run1', '--formats', 'safetensors', '--images', '1', '--data', path.join(probe.workspace, 'data', 'tgt'), '--format', 'folder', '--out', out, ...extra];

  beforeAll(async () => {
    out = path.join(probe.base, 'my-folder');
    await mkdir(path.join(out, 'notes'), { recursive: true });
    await writeFile(path.join(out, 'thesis.txt'), 'years of work\n');
    await writeFile(path.join(out, 'notes', 'n.txt'), 'more\n');
    outBefore = await checksumTree(out);
  });

  it('without --force: refused, the folder byte-identical', async () => {
    const r = await run(args([]));
    expect(r.code).toBe('conflict');
    expect(r.text).toMatch(/not empty/);
    expect(lostFiles(outBefore, await checksumTree(out))).toEqual([]);
    expect((await checksumTree(out)).size).toBe(outBefore.size);
  }, 120_000);

  it('export-labels and import without --force: refused, the folder byte-identical', async () => {
    const labels = await run(['--workspace', probe.workspace, '--run', 'run1', '--data', path.join(probe.workspace, 'data', 'tgt'), '--format', 'folder', '--out', out], exportLabelsCommand);
    expect(labels.code).toBe('conflict');
    const imported = await run(['--workspace', probe.workspace, path.join(probe.outside, 'keep.txt'), '--out', out], importCommand);
    expect(imported.code).toBe('conflict');
    expect(lostFiles(outBefore, await checksumTree(out))).toEqual([]);
    expect((await checksumTree(out)).size).toBe(outBefore.size);
  }, 120_000);

  it('with --force: the export is added, every file that was there is unchanged', async () => {
    const r = await run(args(['--force']));
    expect(r.code).toBe(0);
    expect(lostFiles(outBefore, await checksumTree(out))).toEqual([]);
    expect(JSON.parse(await readFile(path.join(out, 'sidecar.json'), 'utf8')).artifact.files).toContain('weights.safetensors');
    // No staging folder is left beside it.
    const { readdir } = await import('node:fs/promises');
    expect((await readdir(probe.base)).filter((n) => n.includes('.tmp-'))).toEqual([]);
  }, 120_000);
});
