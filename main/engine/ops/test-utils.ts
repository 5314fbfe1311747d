// Helpers shared by the engine's own tests (not shipped code paths).
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend';
import { readData } from '../read';
import { openWebgpu } from '../webgpu';

export type TestBackend = 'cpu' | 'wasm' | 'webgpu';
const testable: readonly TestBackend[] = ['cpu', 'wasm', 'webgpu'];

/**
 * The backends engine parity tests run on: PRODA_TEST_BACKENDS=cpu,wasm,webgpu selects (a named backend
 * that cannot start then fails its tests rather than being skipped); by default every one that starts
 * here, webgpu on any adapter (lavapipe in CI) since correctness, not speed, is under test.
 */
export async function testBackends(env: NodeJS.ProcessEnv = process.env): Promise<TestBackend[]> {
  const asked = env.PRODA_TEST_BACKENDS?.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (asked?.length) {
    for (const a of asked) if (!(testable as readonly string[]).includes(a)) throw new Error(`PRODA_TEST_BACKENDS: "${a}" is not one of ${testable.join(', ')}`);
    return asked as TestBackend[];
  }
  const webgpu = await openWebgpu().then(
    () => true,
    () => false,
  );
  return webgpu ? ['cpu', 'wasm', 'webgpu'] : ['cpu', 'wasm'];
}

export const TEST_BACKENDS: readonly TestBackend[] = await testBackends();

/** Deterministic uniform values in [-1, 1) (mulberry32). */
export function randomArray(n: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

export function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export async function onBackend<T>(name: TestBackend, f: () => T | Promise<T>): Promise<T> {
  await initBackend(name);
  return await f();
}

/** max |a-b| relative to max |b|, with a small absolute floor. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < a.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    maxRef = Math.max(maxRef, Math.abs(b[i]));
  }
  return maxDiff / Math.max(maxRef, 1e-6);
}

/** The values of a tensor computed in a tidy scope (async: webgpu cannot read synchronously in Node). */
export async function values(f: () => tf.Tensor): Promise<Float32Array> {
  const t = tf.tidy(f);
  try {
    return await readData(t);
  } finally {
    t.dispose();
  }
}

/** Gradients of sum(f(inputs) * r) with respect to all inputs, as arrays. */
export async function gradsOf(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], rSeed = 99): Promise<Float32Array[]> {
  const gs = tf.tidy(() => {
    const g = tf.grads((...xs: tf.Tensor[]) => {
      const y = f(...xs);
      const r = tf.tensor(randomArray(y.size, rSeed), y.shape);
      return tf.sum(tf.mul(y, r));
    });
    return g(inputs);
  });
  try {
    return await Promise.all(gs.map((t) => readData(t)));
  } finally {
    tf.dispose(gs);
  }
}
