// Folders that hold a workspace's contents without its workspace.json: what `proda` wrote before it made
// one, or a copied runs/ tree. Adopting such a folder writes a workspace.json that registers the demo
// benchmarks under datasets/ and every dataset its runs read, so the app lists the runs with their data.
// The CLI calls ensureWorkspaceFile before it writes into a workspace, so the app can always open it.
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { AppError } from '../../shared/contract/errors';
import type { FolderProbe } from '../../shared/contract/workspace';
import type { DatasetRef } from '../../shared/datasets';
import type { RunDataset } from '../../shared/runs-config';
import { listRuns } from '../runs/catalogue';
import { readConfig } from '../artifacts/records';
import { runDir } from '../artifacts/layout';
import { demoRefs } from './demo';
import { WORKSPACE_FILE, WORKSPACE_SCHEMA_VERSION, loadWorkspaceFile, saveWorkspaceFile, type WorkspaceFile } from './workspace-file';

/** Sub-folders every workspace has (architecture sketch: caches, runs, labels, exports). */
export const WORKSPACE_DIRS = ['cache', 'runs', 'labels', 'exports'] as const;

/** The generated benchmarks a workspace may hold: datasets/demo (the app's) and datasets/demo-quick (`proda demo --quick`). */
const DEMO_FOLDERS = ['demo', 'demo-quick'] as const;

const sameData = (a: { root: string; format: string; split?: string }, b: { root: string; format: string; split?: string }) =>
  path.resolve(a.root) === path.resolve(b.root) && a.format === b.format && (a.split ?? '') === (b.split ?? '');

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'data';

/** Demo benchmarks under datasets/ (those with a manifest), then the datasets the runs' configs read. */
export async function discoverDatasets(root: string): Promise<DatasetRef[]> {
  const out: DatasetRef[] = [];
  for (const dir of DEMO_FOLDERS) {
    if (existsSync(path.join(root, 'datasets', dir, 'demo.json'))) out.push(...demoRefs(path.join(root, 'datasets', dir), dir));
  }
  const ids = new Set(out.map((d) => d.id));
  for (const run of await listRuns(root)) {
    let config;
    try {
      config = await readConfig(runDir(root, run.id));
    } catch {
      continue; // listRuns already skipped what it could not read; a config that vanished since is no dataset
    }
    const used: [RunDataset | undefined, DatasetRef['role']][] =
      config.stage === 'eval'
        ? [[config.val, 'target'], [config.bnData, 'target']]
        : config.stage === 'pseudo'
          ? [[config.target, 'target']]
          : [['source' in config ? config.source : undefined, 'source'], ['target' in config ? config.target : undefined, 'target']];
    for (const [d, role] of used) {
      if (!d || out.some((o) => sameData(o, d))) continue;
      let id = slug(`${d.format}-${path.basename(d.root)}${d.split ? `-${d.split}` : ''}`);
      for (let n = 2; ids.has(id); n++) id = `${id.replace(/-\d+$/, '')}-${n}`;
      ids.add(id);
      out.push({ id, name: `${path.basename(d.root)}${d.split ? ` (${d.split})` : ''}`, format: d.format, root: path.resolve(d.root), split: d.split, role, classSet: d.classSet });
    }
  }
  return out;
}

/** What a folder is to the Open dialog: a workspace, one to adopt, empty, missing or something else. */
export async function probeFolder(folder: string): Promise<FolderProbe> {
  const root = path.resolve(folder);
  let entries: string[];
  try {
    entries = await fsp.readdir(root);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { path: root, kind: 'missing', runs: 0, datasets: 0 };
    throw new AppError('bad-input', `${root}: cannot read folder (${code ?? String(err)})`, { where: root });
  }
  const runs = (await listRuns(root)).length;
  if (entries.includes(WORKSPACE_FILE)) return { path: root, kind: 'workspace', runs, datasets: 0 };
  if (entries.length === 0) return { path: root, kind: 'empty', runs: 0, datasets: 0 };
  const datasets = (await discoverDatasets(root)).length;
  const demo = DEMO_FOLDERS.some((d) => existsSync(path.join(root, 'datasets', d, 'demo.json')));
  return { path: root, kind: runs > 0 || demo ? 'adoptable' : 'other', runs, datasets };
}

const newFile = (root: string, datasets: DatasetRef[], settings: Record<string, unknown>): WorkspaceFile => ({
  schemaVersion: WORKSPACE_SCHEMA_VERSION,
  name: path.basename(root),
  createdAt: new Date().toISOString(),
  classSet: '19',
  datasets,
  settings,
});

/** Writes workspace.json for a folder that holds runs or a demo benchmark but none; refuses anything else. */
export async function adoptFolder(folder: string): Promise<{ root: string; file: WorkspaceFile; probe: FolderProbe }> {
  const probe = await probeFolder(folder);
  if (probe.kind === 'workspace') throw new AppError('conflict', `${probe.path} already holds a workspace: open it instead`, { where: probe.path });
  if (probe.kind !== 'adoptable') {
    throw new AppError('bad-input', `${probe.path} holds no runs and no demo benchmark: nothing to adopt (create a workspace in a new or empty folder)`, {
      where: probe.path,
    });
  }
  const file = newFile(probe.path, await discoverDatasets(probe.path), presetSetting(probe.path));
  for (const dir of WORKSPACE_DIRS) await fsp.mkdir(path.join(probe.path, dir), { recursive: true });
  await saveWorkspaceFile(probe.path, file);
  return { root: probe.path, file, probe };
}

/** The run-form preset a workspace suggests: the demo benchmark it holds (the full one first). */
function presetSetting(root: string): Record<string, unknown> {
  for (const preset of DEMO_FOLDERS) if (existsSync(path.join(root, 'datasets', preset, 'demo.json'))) return { preset };
  return {};
}

/**
 * Makes sure a folder the CLI writes into is a workspace the app opens: creates it and its workspace.json
 * when missing, and registers datasets found since (a demo generated, a dataset a new run read). A
 * workspace.json that exists but cannot be read is reported, never overwritten.
 */
export async function ensureWorkspaceFile(folder: string, opts: { preset?: 'demo' | 'demo-quick' } = {}): Promise<{ root: string; file: WorkspaceFile; created: boolean; added: DatasetRef[] }> {
  const root = path.resolve(folder);
  await fsp.mkdir(root, { recursive: true });
  const found = await discoverDatasets(root);
  if (!existsSync(path.join(root, WORKSPACE_FILE))) {
    for (const dir of WORKSPACE_DIRS) await fsp.mkdir(path.join(root, dir), { recursive: true });
    const file = newFile(root, found, opts.preset ? { preset: opts.preset } : presetSetting(root));
    await saveWorkspaceFile(root, file);
    return { root, file, created: true, added: found };
  }
  const current = await loadWorkspaceFile(root);
  const added = found.filter((d) => !current.datasets.some((c) => c.id === d.id || sameData(c, d)));
  const settings = opts.preset && current.settings.preset !== opts.preset ? { ...current.settings, preset: opts.preset } : current.settings;
  if (added.length === 0 && settings === current.settings) return { root, file: current, created: false, added };
  const file = { ...current, datasets: [...current.datasets, ...added], settings };
  await saveWorkspaceFile(root, file);
  return { root, file, created: false, added };
}
