// Where the app keeps per-user state when no workspace is named: the platform's data folder, or
// PRODA_DATA_DIR when set (tests, portable installs).
import os from 'node:os';
import path from 'node:path';

export function userDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.PRODA_DATA_DIR) return path.resolve(env.PRODA_DATA_DIR);
  const home = os.homedir();
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'proda-workbench');
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'proda-workbench');
  return path.join(env.XDG_DATA_HOME ?? path.join(home, '.local', 'share'), 'proda-workbench');
}

/** The workspace opened when none is given; created with the demo benchmark on first start. */
export const defaultWorkspaceDir = (env: NodeJS.ProcessEnv = process.env): string => path.join(userDataDir(env), 'demo-workspace');
