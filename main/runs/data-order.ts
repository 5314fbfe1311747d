// Seeded data order. Every random choice of a run derives from (seed, iteration) rather than from a
// generator carried across iterations, so a run resumed from a checkpoint at iteration k draws exactly
// what the uninterrupted run drew from k on.

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

/** mulberry32: small, fast, good enough for shuffles and augmentation draws. Returns floats in [0, 1). */
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
