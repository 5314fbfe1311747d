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
});
export type WorkspaceInfo = z.infer<typeof workspaceInfoSchema>;

const folderPath = z.string().trim().min(1, 'a folder path is required');

export const workspaceRequests = {
  'workspace.open': request(
    'Open an existing workspace folder (reads and validates its workspace.json)',
    z.object({ path: folderPath }).strict(),
    workspaceInfoSchema,
  ),
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
