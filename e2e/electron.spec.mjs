/* global window -- the evaluate callbacks run in the renderer */
// The desktop app through Playwright's Electron driver. Runs only where the Electron binary exists
// (npm ci with internet) and a display is available; elsewhere every test is reported skipped.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { _electron } from 'playwright-core';

export const title = 'electron';
export const fixture = 'none';
export const timeout = 180_000;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let electronPath = null;

export function skip() {
  try {
    // The electron package's main export is the binary's path; it throws when the binary was not downloaded.
    electronPath = createRequire(import.meta.url)('electron');
  } catch (err) {
    return `Electron binary not installed (require('electron'): ${String(err.message).split('\n')[0]}); browser mode covers the UI`;
  }
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return 'no display: run under xvfb-run to include the Electron spec';
  }
  return null;
}

export const tests = [
  {
    name: 'the window opens sandboxed on a demo workspace and browses an image over IPC',
    async run({ tmp, artifacts }) {
      const app = await _electron.launch({
        executablePath: electronPath,
        args: [path.join(root, 'dist', 'electron', 'main.mjs'), '--workspace', path.join(tmp, 'electron-workspace'), '--demo-count', '12'],
        env: { ...process.env, PRODA_DATA_DIR: path.join(tmp, 'electron-data') },
      });
      try {
        const win = await app.firstWindow();
        const exposed = await win.evaluate(() => ({
          bridge: typeof window.prodaBridge,
          require: typeof window.require,
          process: typeof window.process,
        }));
        if (exposed.bridge !== 'object' || exposed.require !== 'undefined' || exposed.process !== 'undefined') {
          throw new Error(`renderer globals not isolated: ${JSON.stringify(exposed)}`);
        }
        await win.getByTestId('status-transport').filter({ hasText: 'IPC' }).waitFor({ timeout: 120_000 });
        await win.locator('[data-testid=grid-cell] img').first().waitFor({ timeout: 120_000 });
        await win.getByTestId('grid-cell').first().click();
        await win.getByTestId('image-view-size').filter({ hasText: /\d+×\d+/ }).waitFor();
        await win.screenshot({ path: path.join(artifacts, 'electron--window.png') });
      } finally {
        await app.close();
      }
    },
  },
];
