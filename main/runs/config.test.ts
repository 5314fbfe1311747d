import { describe, expect, it } from 'vitest';
import { configWarnings, runConfigSchema, upstreamRuns } from '../../shared/runs-config';
import { demoTimeConstants } from '../../shared/runs-config';
import { demoPipeline, paperPipeline } from './presets';
import { batchIndices, permutation, rng } from './data-order';
import { decodeTensors, encodeTensors } from '../artifacts/safetensors';

const ds = (split: string) => ({ root: '/d', format: 'demo' as const, split });

describe('run configs', () => {
  it('fill the reference defaults per stage', () => {
    const s1 = runConfigSchema.parse({ stage: 'stage1', init: 'w', pseudo: 'p', source: ds('source'), target: ds('target-train') });
    if (s1.stage !== 'stage1') throw new Error('wrong stage');
    expect(s1).toMatchObject({ seed: 1337, emaDecay: 0.999, protoMomentum: 1e-4, protoConsistWeight: 10, regularWeight: 0.1, rceAlpha: 0.1, rceBeta: 1 });
    expect(s1.optim).toMatchObject({ batchSize: 4, iterations: 62412, polyHorizon: 90000, power: 0.9, momentum: 0.9, weightDecay: 2e-4 });
    const d = runConfigSchema.parse({ stage: 'distill', teacher: 's1', labels: 'h', source: ds('source'), target: ds('target-train') });
    expect(d).toMatchObject({ threshold: 0.95, kdWeight: 1, kdFaithfulBug: false, studentInit: 'fresh' });
    expect(upstreamRuns(d)).toEqual(['s1', 'h']);
  });

  it('reject unknown fields and bad values, naming the field', () => {
    const r = runConfigSchema.safeParse({ stage: 'warmup', source: ds('source'), optim: { batchSize: 0 }, bogus: 1 });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toContain('optim.batchSize');
    expect(r.error!.issues.some((i) => i.code === 'unrecognized_keys')).toBe(true);
  });

  it('warn when the batch size changes but lr and iterations do not follow', () => {
    const base = { stage: 'stage1', init: 'w', pseudo: 'p', source: ds('source'), target: ds('target-train') } as const;
    const w = configWarnings(runConfigSchema.parse({ ...base, optim: { batchSize: 2 } }));
    expect(w[0].field).toBe('optim.batchSize');
    expect(w[0].message).toMatch(/124824 iterations/);
    expect(configWarnings(runConfigSchema.parse(base))).toEqual([]);
    expect(configWarnings(runConfigSchema.parse({ ...base, optim: { batchSize: 2, lr: 5e-5, iterations: 124824, polyHorizon: 180000 } }))).toEqual([]);
    expect(configWarnings(runConfigSchema.parse({ ...base, optim: { batchSize: 2, lr: 5e-5 } }))[0].field).toBe('optim.iterations');
  });

  it('presets produce valid configs wired by run id', () => {
    const ids: Record<string, string> = {};
    for (const step of paperPipeline({ source: ds('source'), targetTrain: ds('target-train'), targetVal: ds('target-val') })) {
      const c = runConfigSchema.parse(step.config(ids));
      expect(upstreamRuns(c).every((u) => Object.values(ids).includes(u))).toBe(true);
      ids[step.key] = `run-${step.key}`;
    }
    expect(Object.keys(ids)).toEqual(['warmup', 'pseudo-soft', 'stage1', 'pseudo-hard-1', 'stage2', 'pseudo-hard-2', 'stage3']);
    const demoIds: Record<string, string> = {};
    for (const step of demoPipeline({ root: '/d' }, 'demo', 1)) {
      runConfigSchema.parse(step.config(demoIds));
      demoIds[step.key] = step.key;
    }
  });

  it('scale the slow averages to the run length', () => {
    const t = demoTimeConstants(12000);
    expect(t.emaDecay).toBeCloseTo(1 - (0.001 * 62412) / 12000, 12);
    expect(t.protoMomentum).toBeCloseTo((1e-4 * 62412) / 12000, 12);
    expect(t.note).not.toMatch(/clamped/);
    // short runs keep a teacher averaging over ~100 iterations and prototypes moving ≤ 1% per update
    expect(demoTimeConstants(120).emaDecay).toBe(0.99);
    expect(demoTimeConstants(120).protoMomentum).toBe(0.01);
    expect(demoTimeConstants(120).note).toMatch(/clamped/);
  });
});

describe('seeded data order', () => {
  it('is a pure function of (seed, iteration): epochs are permutations, batches repeat exactly', () => {
    const n = 10;
    const epoch0 = Array.from({ length: 5 }, (_, it) => batchIndices(7, it, 2, n)).flat();
    expect([...epoch0].sort((a, b) => a - b)).toEqual([...Array(n).keys()]);
    expect(batchIndices(7, 3, 2, n)).toEqual(batchIndices(7, 3, 2, n));
    expect(batchIndices(7, 5, 2, n)).not.toEqual(batchIndices(8, 5, 2, n));
    expect(permutation(5, rng(1))).toEqual(permutation(5, rng(1)));
  });
});

describe('tensor files', () => {
  it('round-trip named tensors with aligned data and reject truncation', () => {
    const bytes = encodeTensors(
      { 'a.w': { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }, n: { shape: [], data: Float32Array.of(7) }, m: { shape: [3], data: Uint8Array.of(1, 2, 250) } },
      { k: 'v' },
    );
    const { tensors, metadata } = decodeTensors(bytes);
    expect(Array.from(tensors['a.w'].data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(tensors.n.shape).toEqual([]);
    expect(Array.from(tensors.m.data)).toEqual([1, 2, 250]);
    expect(metadata).toEqual({ k: 'v' });
    expect(() => decodeTensors(bytes.subarray(0, bytes.length - 4))).toThrow(/outside the file/);
  });
});
