// Picks the fastest tfjs backend that really runs here and says why the others were or were not used.
// Order: tfjs-node-gpu (only when TensorFlow really found a CUDA device) → webgpu (Dawn on a hardware
// adapter) → tfjs-node ('tensorflow' on the CPU) → wasm → cpu. The native packages are optional
// dependencies that usually fail to install offline, so their absence is an expected, reported state.
// A GPU claim is never made from a package loading: tfjs-node-gpu loads fine without CUDA and then
// silently computes on the CPU, and Dawn offers software adapters (lavapipe) that are slower than wasm.
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import type { BackendInfo, GpuAdapter } from '../../shared/contract/system';
import { probeCudaLibraries } from './cuda-libraries';
import { openWebgpu, watchDevice } from './webgpu';

export type BackendPreference = 'auto' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
const preferences: readonly BackendPreference[] = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'];

type Provider =
  | '@tensorflow/tfjs-node-gpu'
  | '@tensorflow/tfjs-backend-webgpu'
  | '@tensorflow/tfjs-node'
  | '@tensorflow/tfjs-backend-wasm'
  | '@tensorflow/tfjs-backend-cpu';
const chain: readonly Provider[] = [
  '@tensorflow/tfjs-node-gpu',
  '@tensorflow/tfjs-backend-webgpu',
  '@tensorflow/tfjs-node',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-backend-cpu',
];

/** Which providers a preference may try, in chain order. 'webgpu' is strict: forcing it never falls back. */
const allowed: Record<BackendPreference, readonly Provider[]> = {
  auto: chain,
  tensorflow: ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-cpu'],
  webgpu: ['@tensorflow/tfjs-backend-webgpu'],
  wasm: ['@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-cpu'],
  cpu: ['@tensorflow/tfjs-backend-cpu'],
};

// esbuild's CJS bundle has a real `require` and no import.meta; vitest/tsx run ESM with the reverse.
declare const require: NodeJS.Require | undefined;
const nodeRequire: NodeJS.Require = typeof require === 'function' ? require : createRequire(import.meta.url);

/** What selection needs from the outside world; tests swap in fakes (a tfjs-node-gpu without a GPU). */
export interface BackendDeps {
  /** Loads a native tfjs package (which registers the 'tensorflow' backend as a side effect). */
  loadNative: (provider: '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node') => void;
  openWebgpu: typeof openWebgpu;
  probeCuda: typeof probeCudaLibraries;
}
const realDeps: BackendDeps = { loadNative: (p) => nodeRequire(p), openWebgpu, probeCuda: probeCudaLibraries };

let current: { key: BackendPreference; info: Promise<BackendInfo> } | null = null;

/** Resolves the preference: an explicit argument wins, then PRODA_BACKEND, then 'auto'. */
export function resolvePreference(prefer?: BackendPreference, env: NodeJS.ProcessEnv = process.env): BackendPreference {
  if (prefer && prefer !== 'auto') return prefer;
  const fromEnv = env.PRODA_BACKEND?.trim().toLowerCase();
  if (!fromEnv) return 'auto';
  if ((preferences as readonly string[]).includes(fromEnv)) return fromEnv as BackendPreference;
  throw new Error(`PRODA_BACKEND="${env.PRODA_BACKEND}" is not one of ${preferences.join(', ')}`);
}

/**
 * Activates a backend and reports it. Idempotent: concurrent and repeated calls with the same
 * resolved preference share one initialisation; a different preference switches backends.
 */
export function initBackend(prefer?: BackendPreference): Promise<BackendInfo> {
  const key = resolvePreference(prefer);
  if (current && current.key === key) return current.info;
  const info = selectBackend(key);
  current = { key, info };
  info.catch(() => {
    if (current?.info === info) current = null;
  });
  return info;
}

/** Walks the chain for one preference. Exported for tests that inject fake packages. */
export async function selectBackend(prefer: BackendPreference, deps: BackendDeps = realDeps): Promise<BackendInfo> {
  const cuda = deps.probeCuda();
  const skipped: BackendInfo['skipped'] = [];
  let adapter: GpuAdapter | null = null;
  let nativeGpuLoaded = false;
  const done = (provider: string, gpu: boolean, reason: string, threads = 1): BackendInfo => ({
    name: tf.getBackend(),
    gpu,
    provider,
    reason,
    skipped,
    threads,
    adapter,
    cuda,
  });
  for (const provider of chain) {
    if (!allowed[prefer].includes(provider)) {
      skipped.push({ provider, reason: `not tried: preference is '${prefer}'` });
      continue;
    }
    try {
      switch (provider) {
        case '@tensorflow/tfjs-node-gpu': {
          deps.loadNative(provider);
          nativeGpuLoaded = true;
          await use('tensorflow');
          const onGpu = (tf.backend() as { isUsingGpuDevice?: boolean }).isUsingGpuDevice === true;
          if (onGpu) return done(provider, true, 'TensorFlow (libtensorflow 2.9.1) found a CUDA GPU', cpus().length);
          const why = cuda.missing.length ? `; missing: ${cuda.missing.join(', ')}` : '';
          const notOnGpu = `loaded, but TensorFlow found no usable CUDA GPU (isUsingGpuDevice=false), so it would compute on the CPU${why}`;
          if (prefer === 'tensorflow') return done(provider, false, `asked for 'tensorflow'; ${notOnGpu}`, cpus().length);
          throw new Error(notOnGpu);
        }
        case '@tensorflow/tfjs-backend-webgpu': {
          const forced = prefer === 'webgpu';
          const gpu = await deps.openWebgpu();
          adapter = gpu.adapter;
          if (adapter.software && !forced) {
            throw new Error(`only a software adapter (${adapter.description}); it is slower than the CPU backends (PRODA_BACKEND=webgpu forces it)`);
          }
          await gpu.register();
          await use('webgpu');
          watchDevice((tf.backend() as unknown as { device: GPUDevice }).device);
          const kind = adapter.software ? 'a software adapter, forced by PRODA_BACKEND=webgpu' : 'a hardware adapter';
          return done(provider, !adapter.software, `WebGPU (Dawn) on ${kind}: ${adapter.description}`);
        }
        case '@tensorflow/tfjs-node': {
          // Both native packages register the same 'tensorflow' backend; once tfjs-node-gpu has loaded
          // (without a GPU) loading tfjs-node adds nothing, and it is that CPU TensorFlow which runs.
          if (!nativeGpuLoaded) deps.loadNative(provider);
          await use('tensorflow');
          const by = nativeGpuLoaded ? '@tensorflow/tfjs-node-gpu' : provider;
          const reason = nativeGpuLoaded ? 'TensorFlow on the CPU (tfjs-node-gpu loaded, no CUDA GPU); no hardware WebGPU adapter' : 'TensorFlow on the CPU; no GPU backend runs here';
          return done(by, false, reason, cpus().length);
        }
        case '@tensorflow/tfjs-backend-wasm': {
          // In Node the binaries sit next to the package's entry file; pointing there avoids fetch-style lookups.
          setWasmPaths(`${dirname(nodeRequire.resolve('@tensorflow/tfjs-backend-wasm'))}/`);
          await use('wasm');
          return done(provider, false, prefer === 'wasm' ? "asked for 'wasm'" : 'the fastest backend that runs here (no GPU backend, no native TensorFlow)');
        }
        case '@tensorflow/tfjs-backend-cpu':
          await use('cpu');
          return done(provider, false, prefer === 'cpu' ? "asked for 'cpu'" : 'last resort: every faster backend failed');
      }
    } catch (err) {
      skipped.push({ provider, reason: describe(err, provider) });
    }
  }
  throw new Error(`no tfjs backend could start: ${skipped.map((s) => `${s.provider}: ${s.reason}`).join('; ')}`);
}

async function use(name: string): Promise<void> {
  const ok = await tf.setBackend(name);
  await tf.ready();
  // setBackend can resolve while tfjs silently stayed on (or fell back to) another backend.
  if (!ok || tf.getBackend() !== name) {
    throw new Error(`tf.setBackend('${name}') left '${tf.getBackend()}' active`);
  }
}

function describe(err: unknown, provider: string): string {
  const e = err as { code?: string; message?: string };
  const missing = e && (e.code === 'MODULE_NOT_FOUND' || e.code === 'ERR_MODULE_NOT_FOUND');
  if (missing && e.message?.includes(`'${provider}'`)) {
    return 'package not installed (optional dependency; its install needs a libtensorflow download)';
  }
  const msg = e?.message ?? String(err);
  return msg.split('\n')[0];
}

/** The last successfully initialised backend, or null before initBackend resolved. */
export async function currentBackend(): Promise<BackendInfo | null> {
  if (!current) return null;
  try {
    return await current.info;
  } catch {
    return null;
  }
}

/** One line for a status bar or a log: what computes, on what, and why. */
export function backendSummary(info: BackendInfo | null): string {
  if (!info) return 'no compute backend could start';
  const where = info.gpu ? 'GPU' : info.adapter?.software && info.name === 'webgpu' ? 'software GPU (CPU)' : 'CPU';
  return `${info.name} on ${where}: ${info.reason}`;
}
