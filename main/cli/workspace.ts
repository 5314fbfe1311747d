// The workspace a writing command works in: made a real one (workspace.json with its datasets) before
// anything is written, so `npm run serve -- --workspace DIR` and the app open what the CLI produced.
import { ensureWorkspaceFile } from '../services/workspace-adopt';
import { workspaceOf } from './args';

export async function writableWorkspace(flag: string | undefined, json: boolean | undefined, preset?: 'demo' | 'demo-quick'): Promise<string> {
  const r = await ensureWorkspaceFile(workspaceOf(flag), { preset });
  if (!json && r.created) process.stderr.write(`workspace ${r.root}: wrote workspace.json (${r.file.datasets.length} datasets)\n`);
  return r.root;
}

/** After a run: registers datasets it read that the workspace did not list yet. */
export async function registerNewDatasets(root: string): Promise<void> {
  await ensureWorkspaceFile(root);
}
