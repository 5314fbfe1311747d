/**
 * Seeded PRNG for augmentations (sfc32, 32-bit state words): every random decision in the engine draws from one of these
 * so runs replay exactly from their seed. Never Math.random.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, ...streams: number[]) {
    // splitmix32 expands (seed, streams...) into the 128-bit state, so nearby seeds give unrelated streams.
    let s = (seed ^ 0x9e3779b9) >>> 0;
    for (const x of streams) s = mix32((s ^ Math.imul(x + 1, 0x85ebca6b)) >>> 0);
    this.a = mix32(s + 0x6d2b79f5);
    this.b = mix32(this.a + 0x6d2b79f5);
    this.c = mix32(this.b + 0x6d2b79f5);
    this.d = mix32(this.c + 0x6d2b79f5);
    for (let i = 0; i < 12; i++) this.nextU32();
  }

  nextU32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1). */
  random(): number {
    return this.nextU32() / 4294967296;
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.random();
  }

  /** Integer in [lo, hi] inclusive (Python's random.randint). */
  randint(lo: number, hi: number): number {
    if (hi < lo) throw new Error(`randint: empty range [${lo}, ${hi}]`);
    return lo + Math.floor(this.random() * (hi - lo + 1));
  }

  bool(p = 0.5): boolean {
    return this.random() < p;
  }

  choice<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('choice: empty list');
    return items[Math.floor(this.random() * items.length)];
  }
}

function mix32(x: number): number {
  let z = (x + 0x9e3779b9) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}
