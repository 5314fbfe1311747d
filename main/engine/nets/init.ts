// Seeded parameter initialisation from the graph's InitSpecs.
import type { InitSpec } from './graph';

/** Deterministic uniform [0, 1) stream (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a of a parameter name, so each tensor's stream depends on (seed, name), not on graph order. */
function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function initValues(name: string, size: number, init: InitSpec, seed: number): Float32Array {
  const out = new Float32Array(size);
  if (init.kind === 'constant') return out.fill(init.value);
  const next = rng((seed ^ hashName(name)) >>> 0);
  if (init.kind === 'uniform') {
    for (let i = 0; i < size; i++) out[i] = (2 * next() - 1) * init.bound;
    return out;
  }
  // Box–Muller pairs.
  for (let i = 0; i < size; i += 2) {
    const u1 = Math.max(next(), 1e-12);
    const u2 = next();
    const r = Math.sqrt(-2 * Math.log(u1)) * init.std;
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < size) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}
