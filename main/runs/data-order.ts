// Seeded data order. Every random choice of a run derives from (seed, iteration) rather than from a
// generator carried across iterations, so a run resumed from a checkpoint at iteration k draws exactly
// what the uninterrupted run drew from k on.
import { rng } from '../engine/nets/init';

/** A 32-bit hash of a list of integers (splitmix-style mixing). */
export function hashInts(...xs: number[]): number {
  let h = 0x9e3779b9;
  for (const x of xs) {
    h = Math.imul(h ^ (x | 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

// The same seeded stream the network initialisation uses (mulberry32), so there is one PRNG to trust.
export { rng };

/** The generator for one purpose at one iteration (purpose keeps streams such as source/target apart). */
export const rngAt = (seed: number, iteration: number, purpose = 0): (() => number) => rng(hashInts(seed, iteration, purpose));

export function permutation(n: number, random: () => number): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

/**
 * The dataset indices of batch `iteration` for a loader that shuffles each epoch and drops the last
 * incomplete batch (the reference's target loader). A pure function of its arguments.
 */
export function batchIndices(seed: number, iteration: number, batchSize: number, n: number, stream = 0): number[] {
  if (n < 1) throw new Error('cannot draw batches from an empty dataset');
  const perEpoch = Math.max(1, Math.floor(n / batchSize));
  const epoch = Math.floor(iteration / perEpoch);
  const within = iteration % perEpoch;
  const order = permutation(n, rng(hashInts(seed, epoch, 0x5eed, stream)));
  const out: number[] = [];
  for (let b = 0; b < batchSize; b++) out.push(order[(within * batchSize + b) % n]);
  return out;
}
