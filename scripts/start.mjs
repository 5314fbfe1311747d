// `npm start`: build, then launch the desktop app. Where the Electron binary was not downloaded
// (offline installs, CI with ELECTRON_SKIP_BINARY_DOWNLOAD=1) say so and point to browser mode.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);

const run = (cmd, argv) =>
  new Promise((resolve) => {
    const child = spawn(cmd, argv, { cwd: root, stdio: 'inherit' });
    child.on('exit', (code, signal) => resolve(signal ? 1 : (code ?? 1)));
  });

const built = await run(process.execPath, [path.join(root, 'scripts', 'build.mjs')]);
if (built !== 0) process.exit(built);

let electron;
try {
  // The package's export is the path of the binary its install script downloaded; it throws without one.
  electron = createRequire(import.meta.url)('electron');
} catch (err) {
  // Electron's own message ends with "please delete node_modules/electron and try installing again", which
  // cannot help offline and contradicts the advice below: report the fact, not its advice.
  const first = String(err?.message ?? err).split('\n')[0];
  const why = /failed to install correctly/i.test(first) ? 'node_modules/electron holds no downloaded binary' : first.replace(/,?\s*please delete node_modules\/electron.*$/i, '');
  console.error(
    `\nThe Electron binary is not installed, so the desktop app cannot start here (${why}). ` +
      'This is expected where `npm ci` ran offline or with ELECTRON_SKIP_BINARY_DOWNLOAD=1: the Electron JS and types ' +
      'are present but its download was skipped. Use browser mode instead: `npm run serve` starts the same services ' +
      'on 127.0.0.1 and prints a URL with an access token to open in Chromium, Chrome or Firefox. To get the desktop ' +
      'app, run `npm ci` again on a machine with internet access (without ELECTRON_SKIP_BINARY_DOWNLOAD).\n',
  );
  process.exit(1);
}

process.exit(await run(electron, [path.join(root, 'dist', 'electron', 'main.mjs'), ...args]));
