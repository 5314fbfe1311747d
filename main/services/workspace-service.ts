// Open, create and report the workspace. Creating one can generate the built-in demo benchmark into it
// and register its source and target datasets, so a first start has something to browse and train on.
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { AppError } from '../../shared/contract/errors';
import { workspaceInfoSchema, type WorkspaceInfo } from '../../shared/contract/workspace';
import type { DatasetRef } from '../../shared/datasets';
import type { OpenWorkspace, ServiceContext } from './context';
import type { HandlersFor } from './handler';
import { demoDatasets } from './demo';
import { WORKSPACE_DIRS, adoptFolder, probeFolder } from './workspace-adopt';
import { WORKSPACE_FILE, WORKSPACE_SCHEMA_VERSION, loadWorkspaceFile, saveWorkspaceFile, type WorkspaceFile } from './workspace-file';

export { WORKSPACE_DIRS };

const presetOf = workspaceInfoSchema.shape.preset;

export function workspaceInfo(ws: OpenWorkspace): WorkspaceInfo {
  // settings is free-form in the file: only a preset the contract knows is passed on.
  const preset = presetOf.safeParse(ws.file.settings.preset);
  return {
    path: ws.root,
    name: ws.file.name,
    schemaVersion: ws.file.schemaVersion,
    classSet: ws.file.classSet,
    datasets: ws.file.datasets,
    ...(preset.success && preset.data ? { preset: preset.data } : {}),
  };
}

/**
 * Opens a workspace folder. Without workspace.json, adopt: true adopts a folder that holds runs or a demo
 * benchmark (workspace-adopt.ts); otherwise the error says the folder can be adopted, and the Open dialog
 * asks workspace.probe to offer it.
 */
export async function openWorkspace(ctx: ServiceContext, folder: string, opts: { adopt?: boolean } = {}): Promise<WorkspaceInfo> {
  const root = path.resolve(folder);
  if (!existsSync(path.join(root, WORKSPACE_FILE))) {
    const probe = await probeFolder(root);
    if (probe.kind === 'adoptable') {
      if (!opts.adopt) {
        throw new AppError('not-found', `${root} has no ${WORKSPACE_FILE} but holds ${probe.runs} runs and ${probe.datasets} datasets: adopt it to open them`, {
          where: path.join(root, WORKSPACE_FILE),
          details: ['adoptable'],
        });
      }
      await adoptFolder(root);
    }
  }
  const file = await loadWorkspaceFile(root);
  ctx.setWorkspace({ root, file });
  const info = workspaceInfo({ root, file });
  ctx.emit('workspace.changed', info);
  return info;
}

export interface CreateOptions {
  name?: string;
  demo: boolean;
  seed: number;
  /** Demo images per training split; the generator's default when omitted. */
  demoCount?: number;
}

export async function createWorkspace(ctx: ServiceContext, folder: string, opts: CreateOptions): Promise<WorkspaceInfo> {
  const root = path.resolve(folder);
  const existing = await fsp.readdir(root).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw new AppError('bad-input', `${root}: cannot read folder (${err.code})`, { where: root });
  });
  if (existing?.includes(WORKSPACE_FILE)) {
    throw new AppError('conflict', `${root} already holds a workspace: open it instead`, { where: root });
  }
  if (existing && existing.length > 0) {
    const adoptable = (await probeFolder(root)).kind === 'adoptable';
    throw new AppError('conflict', `${root} is not empty: pick a new or empty folder for a workspace${adoptable ? ' (it holds runs: open it to adopt it)' : ''}`, { where: root });
  }
  for (const dir of WORKSPACE_DIRS) await fsp.mkdir(path.join(root, dir), { recursive: true });
  const datasets: DatasetRef[] = opts.demo
    ? await demoDatasets(root, { seed: opts.seed, count: opts.demoCount, onProgress: demoProgress(ctx, root) })
    : [];
  const file: WorkspaceFile = {
    schemaVersion: WORKSPACE_SCHEMA_VERSION,
    name: opts.name ?? path.basename(root),
    createdAt: new Date().toISOString(),
    classSet: '19',
    datasets,
    settings: {},
  };
  await saveWorkspaceFile(root, file);
  ctx.setWorkspace({ root, file });
  const info = workspaceInfo({ root, file });
  ctx.emit('workspace.changed', info);
  return info;
}

/** Reports demo generation (a minute at the default size) on the status line, every 5%. */
function demoProgress(ctx: ServiceContext, root: string): (done: number, total: number) => void {
  let last = -1;
  return (done, total) => {
    const pct = Math.floor((done / total) * 20) * 5;
    if (pct === last) return;
    last = pct;
    ctx.emit('system.log', { level: 'info', message: `generating the demo benchmark in ${root}: ${done}/${total} images` });
  };
}

/**
 * Opens the folder's workspace (serve and the app's --workspace). A folder with runs or a demo benchmark
 * but no workspace.json is adopted, and the log says so; an empty or missing one is created with the demo.
 */
export async function openOrCreateWorkspace(ctx: ServiceContext, folder: string, demo: { seed?: number; count?: number } = {}): Promise<WorkspaceInfo> {
  if (existsSync(path.join(folder, WORKSPACE_FILE))) return openWorkspace(ctx, folder);
  const probe = await probeFolder(folder);
  if (probe.kind !== 'adoptable') return createWorkspace(ctx, folder, { demo: true, seed: demo.seed ?? 1, demoCount: demo.count });
  const info = await openWorkspace(ctx, folder, { adopt: true });
  ctx.emit('system.log', {
    level: 'info',
    message: `adopted ${info.path}: it held ${probe.runs} runs and no ${WORKSPACE_FILE}; wrote one registering ${info.datasets.length} datasets`,
  });
  return info;
}

export const workspaceHandlers: HandlersFor<'workspace.'> = {
  'workspace.open': (req, ctx) => openWorkspace(ctx, req.path, { adopt: req.adopt }),
  'workspace.probe': (req) => probeFolder(req.path),
  'workspace.create': (req, ctx) =>
    createWorkspace(ctx, req.path, { name: req.name, demo: req.demo, seed: req.seed, demoCount: req.demoCount }),
  'workspace.current': async (_req, ctx) => (ctx.workspace ? workspaceInfo(ctx.workspace) : null),
};

/** Adds or replaces a dataset reference in the open workspace and saves the project file. */
export async function updateDatasets(ctx: ServiceContext, change: (list: DatasetRef[]) => DatasetRef[]): Promise<WorkspaceInfo> {
  const ws = ctx.requireWorkspace();
  const file: WorkspaceFile = { ...ws.file, datasets: change(ws.file.datasets) };
  await saveWorkspaceFile(ws.root, file);
  ctx.setWorkspace({ root: ws.root, file });
  const info = workspaceInfo({ root: ws.root, file });
  ctx.emit('workspace.changed', info);
  return info;
}
