// Workspaces: the folder that holds the project file, dataset references, caches and runs.
import { z } from 'zod';
import { ClassSetIdSchema, DatasetRef } from '../datasets';
import { event, request } from './define';

export const workspaceInfoSchema = z.object({
  /** Absolute path of the workspace folder. */
  path: z.string(),
  name: z.string(),
  schemaVersion: z.number().int(),
  classSet: ClassSetIdSchema,
  datasets: z.array(DatasetRef),
  /** The run-form preset this workspace suggests: the demo benchmark `proda demo` (--quick) ran on. */
  preset: z.enum(['demo', 'demo-quick']).optional(),
});
export type WorkspaceInfo = z.infer<typeof workspaceInfoSchema>;

const folderPath = z.string().trim().min(1, 'a folder path is required');

/**
 * What a folder is, for the Open dialog: 'adoptable' holds runs or a demo benchmark but no workspace.json
 * (what an older `proda` left), and opening it with adopt: true writes one that registers them.
 */
export const folderProbeSchema = z.object({
  path: z.string(),
  kind: z.enum(['workspace', 'adoptable', 'empty', 'missing', 'other']),
  runs: z.number().int().min(0),
  /** Datasets adopting would register (demo benchmarks under datasets/ and those the runs read). */
  datasets: z.number().int().min(0),
});
export type FolderProbe = z.infer<typeof folderProbeSchema>;

export const workspaceRequests = {
  'workspace.open': request(
    'Open an existing workspace folder (reads and validates its workspace.json); with adopt, first write one for a folder that holds runs but none',
    z.object({ path: folderPath, adopt: z.boolean().default(false) }).strict(),
    workspaceInfoSchema,
  ),
  'workspace.probe': request('Say whether a folder is a workspace, one to adopt, empty or missing', z.object({ path: folderPath }).strict(), folderProbeSchema),
  'workspace.create': request(
    'Create a workspace folder; with demo, generate the built-in benchmark into it and register its datasets',
    z
      .object({
        path: folderPath,
        name: z.string().trim().min(1).optional(),
        demo: z.boolean().default(true),
        seed: z.number().int().min(0).default(1),
        /** Demo images per training split (the evaluation split gets half); the generator's default when omitted. */
        demoCount: z.number().int().min(1).max(100_000).optional(),
      })
      .strict(),
    workspaceInfoSchema,
  ),
  'workspace.current': request('The open workspace, or null', z.object({}).strict(), workspaceInfoSchema.nullable()),
};

export const workspaceEvents = {
  'workspace.changed': event('A workspace was opened, created or its dataset list changed', workspaceInfoSchema),
};
