// Builds everything `npm start`, `npm run serve` and the CLI run: esbuild for the main-side bundles
// (dependencies stay external and load from node_modules at run time), vite for the renderer.
// All targets build in parallel; `--only a,b` builds some of: main, renderer, or a main target's name.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const at = (p) => path.join(root, p);
const onlyArg = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : null;
const only = onlyArg ? new Set(onlyArg.split(',')) : null;
const wanted = (name, side) => !only || only.has(name) || only.has(side);

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  absWorkingDir: root,
};
// Bundled ESM has no `require`; modules that load optional packages with it (the tfjs backend chain)
// get a real one, which esbuild's require shim then uses.
const esmRequire = { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" };

// The CLI and the run process belong to other modules; they are bundled once they exist.
const mainTargets = [
  { name: 'electron', entry: 'main/electron/main.ts', out: 'dist/electron/main.mjs', format: 'esm', packages: 'external' },
  // Sandboxed preloads cannot load ESM or node_modules: one self-contained CJS file, only electron external.
  { name: 'preload', entry: 'main/electron/preload.ts', out: 'dist/electron/preload.cjs', format: 'cjs', external: ['electron'] },
  { name: 'serve', entry: 'main/serve.ts', out: 'dist/node/serve.js', format: 'esm', packages: 'external' },
  { name: 'cli', entry: 'main/cli/index.ts', out: 'dist/node/cli.js', format: 'esm', packages: 'external', optional: true },
  { name: 'run-process', entry: 'main/runs/run-process.ts', out: 'dist/node/run-process.js', format: 'esm', packages: 'external', optional: true },
  { name: 'compute-process', entry: 'main/compute/compute-process.ts', out: 'dist/node/compute-process.js', format: 'esm', packages: 'external', optional: true },
];

async function buildMain() {
  const jobs = mainTargets
    .filter((t) => wanted(t.name, 'main') && (!t.optional || existsSync(at(t.entry))))
    .map((t) =>
      esbuild.build({
        ...common,
        entryPoints: [at(t.entry)],
        outfile: at(t.out),
        format: t.format,
        ...(t.format === 'esm' ? { banner: esmRequire } : {}),
        ...(t.packages ? { packages: t.packages } : {}),
        ...(t.external ? { external: t.external } : {}),
      }),
    );
  await Promise.all(jobs);
  return jobs.length;
}

async function buildRenderer() {
  // Imported lazily: vite is only needed for this half.
  const { build } = await import('vite');
  await rm(at('dist/renderer'), { recursive: true, force: true });
  await build({ root: at('renderer'), configFile: at('renderer/vite.config.ts'), logLevel: 'warn' });
}

const t0 = performance.now();
const tasks = [];
tasks.push(buildMain().then((n) => `main: ${n} bundles`));
if (wanted('renderer', 'renderer')) tasks.push(buildRenderer().then(() => 'renderer'));
try {
  const done = await Promise.all(tasks);
  console.log(`build: ${done.join(', ')} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
} catch (err) {
  // esbuild and vite have already printed their diagnostics.
  console.error(`build failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  process.exit(1);
}
