// Picks the fastest tfjs backend that really runs here and says why the faster ones did not.
// Order: tfjs-node-gpu → tfjs-node ('tensorflow') → wasm → cpu. The native packages are optional
// dependencies that usually fail to install offline, so their absence is an expected, reported state.
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import type { BackendInfo } from '../../shared/contract/system';

export type BackendPreference = 'auto' | 'tensorflow' | 'wasm' | 'cpu';
const preferences: readonly BackendPreference[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

type Candidate = { provider: string; backend: 'tensorflow' | 'wasm' | 'cpu'; gpu: boolean };
const chain: readonly Candidate[] = [
  { provider: '@tensorflow/tfjs-node-gpu', backend: 'tensorflow', gpu: true },
  { provider: '@tensorflow/tfjs-node', backend: 'tensorflow', gpu: false },
  { provider: '@tensorflow/tfjs-backend-wasm', backend: 'wasm', gpu: false },
  { provider: '@tensorflow/tfjs-backend-cpu', backend: 'cpu', gpu: false },
];

// esbuild's CJS bundle has a real `require` and no import.meta; vitest/tsx run ESM with the reverse.
declare const require: NodeJS.Require | undefined;
const nodeRequire: NodeJS.Require = typeof require === 'function' ? require : createRequire(import.meta.url);

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

async function selectBackend(prefer: BackendPreference): Promise<BackendInfo> {
  const start = prefer === 'auto' || prefer === 'tensorflow' ? 0 : prefer === 'wasm' ? 2 : 3;
  const skipped: BackendInfo['skipped'] = chain.slice(0, start).map((c) => ({
    provider: c.provider,
    reason: `not tried: preference is '${prefer}'`,
  }));
  for (const candidate of chain.slice(start)) {
    try {
      await activate(candidate);
      return {
        name: tf.getBackend(),
        gpu: candidate.gpu,
        provider: candidate.provider,
        skipped,
        threads: candidate.backend === 'tensorflow' ? Math.max(1, cpus().length) : 1,
      };
    } catch (err) {
      skipped.push({ provider: candidate.provider, reason: describe(err, candidate.provider) });
    }
  }
  throw new Error(`no tfjs backend could start: ${skipped.map((s) => `${s.provider}: ${s.reason}`).join('; ')}`);
}

async function activate(c: Candidate): Promise<void> {
  if (c.backend === 'tensorflow') {
    // Loading the package registers the 'tensorflow' backend on the shared tfjs engine.
    nodeRequire(c.provider);
  } else if (c.backend === 'wasm') {
    // In Node the binaries sit next to the package's entry file; pointing there avoids fetch-style lookups.
    const dir = dirname(nodeRequire.resolve('@tensorflow/tfjs-backend-wasm'));
    setWasmPaths(`${dir}/`);
  }
  const ok = await tf.setBackend(c.backend);
  await tf.ready();
  // setBackend can resolve while tfjs silently stayed on (or fell back to) another backend.
  if (!ok || tf.getBackend() !== c.backend) {
    throw new Error(`tf.setBackend('${c.backend}') left '${tf.getBackend()}' active`);
  }
}

function describe(err: unknown, provider?: string): string {
  const e = err as { code?: string; message?: string };
  const missing = e && (e.code === 'MODULE_NOT_FOUND' || e.code === 'ERR_MODULE_NOT_FOUND');
  if (missing && provider && e.message?.includes(`'${provider}'`)) {
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
