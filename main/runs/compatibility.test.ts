// Stage compatibility: each refusal names the field and the run, and the demo pipeline's own graph passes.
import { describe, expect, it } from 'vitest';
import { runConfigSchema, type RunConfig, type RunConfigInput } from '../../shared/runs-config';
import { checkCompatibility, domainOf } from './compatibility';
import { demoPipeline } from './presets';

const src = { root: '/d/demo', format: 'demo', split: 'source', classSet: '19' } as const;
const tgt = { root: '/d/demo', format: 'demo', split: 'target-train', classSet: '19' } as const;
const val = { root: '/d/demo', format: 'demo', split: 'target-val', classSet: '19' } as const;
const net = { arch: 'demo', classes: 19 };

const runs: Record<string, RunConfigInput> = {
  warmup: { stage: 'warmup', network: net, source: src, target: tgt },
  oracle: { stage: 'warmup', network: net, source: tgt, targetLabels: true, adversarialWeight: 0 },
  // Not flagged as an oracle, but its "source" is the target domain's labelled split.
  sneaky: { stage: 'warmup', network: net, source: val, target: tgt },
  fromOracle: { stage: 'warmup', network: net, source: src, target: tgt, init: 'oracle' },
  soft: { stage: 'pseudo', network: net, model: 'warmup', target: tgt, mode: 'soft' },
  hard: { stage: 'pseudo', network: net, model: 'warmup', target: tgt, mode: 'hard' },
  softOracle: { stage: 'pseudo', network: net, model: 'oracle', target: tgt, mode: 'soft' },
  softVal: { stage: 'pseudo', network: net, model: 'warmup', target: val, mode: 'soft' },
  soft16: { stage: 'pseudo', network: net, model: 'warmup', target: { ...tgt, classSet: '16' }, mode: 'soft' },
  r101: { stage: 'warmup', network: { arch: 'resnet101', classes: 19 }, source: src, target: tgt },
  w16: { stage: 'warmup', network: { arch: 'demo', classes: 16 }, source: { ...src, classSet: '16' }, target: { ...tgt, classSet: '16' } },
  evalRun: { stage: 'eval', model: 'warmup', val },
};
const read = async (id: string): Promise<RunConfig> => {
  if (!runs[id]) throw new Error(`no run ${id}`);
  return runConfigSchema.parse(runs[id]);
};
const check = (c: RunConfigInput) => checkCompatibility(runConfigSchema.parse(c), read);
const stage1 = (over: Partial<{ init: string; pseudo: string }> = {}) =>
  ({ stage: 'stage1', network: net, source: src, target: tgt, val, init: 'warmup', pseudo: 'soft', ...over }) as RunConfigInput;

describe('stage compatibility', () => {
  it('accepts the chains the demo pipeline builds', async () => {
    await expect(check(stage1())).resolves.toBeUndefined();
    await expect(check({ stage: 'distill', network: net, source: src, target: tgt, teacher: 'warmup', labels: 'hard', studentInit: 'warmup' })).resolves.toBeUndefined();
    await expect(check({ stage: 'selftrain', network: net, source: src, target: tgt, init: 'warmup' })).resolves.toBeUndefined();
    await expect(check({ stage: 'eval', model: 'oracle', val })).resolves.toBeUndefined(); // scoring an oracle is fine
    // Every step of the preset graph, with its upstreams read from the graph itself.
    const steps = demoPipeline({ root: '/d/demo' }, 'demo-quick', 1);
    const ids = Object.fromEntries(steps.map((s) => [s.key, s.key]));
    const graph: Record<string, RunConfig> = Object.fromEntries(steps.map((s) => [s.key, runConfigSchema.parse(s.config(ids))]));
    for (const s of steps) await expect(checkCompatibility(graph[s.key], async (id) => graph[id]), s.key).resolves.toBeUndefined();
  });

  it('refuses an adaptation stage built on a model that saw target labels, naming the run and why', async () => {
    await expect(check(stage1({ init: 'oracle' }))).rejects.toMatchObject({
      code: 'bad-input',
      where: 'init',
      message: expect.stringMatching(/run oracle trained on target labels \(targetLabels: an oracle\), demo \/d\/demo \(target-train\)/),
    });
    await expect(check(stage1({ init: 'sneaky' }))).rejects.toThrow(/run sneaky trained on labels of the target domain, demo \/d\/demo \(target-val\)/);
    await expect(check(stage1({ init: 'fromOracle' }))).rejects.toThrow(/run oracle \(via fromOracle → oracle\) trained on target labels/);
    await expect(check(stage1({ pseudo: 'softOracle' }))).rejects.toThrow(/stage1 pseudo: run oracle \(via softOracle → oracle\)/);
    await expect(check({ stage: 'selftrain', network: net, source: src, target: tgt, init: 'oracle' })).rejects.toThrow(/selftrain init: run oracle/);
    await expect(check({ stage: 'distill', network: net, source: src, target: tgt, teacher: 'oracle', labels: 'hard' })).rejects.toThrow(/distill teacher: run oracle/);
  });

  it('refuses upstream runs of the wrong kind or label mode', async () => {
    await expect(check(stage1({ pseudo: 'hard' }))).rejects.toThrow('stage1 pseudo: run hard made hard pseudo-labels; stage1 reads soft ones');
    await expect(check(stage1({ pseudo: 'warmup' }))).rejects.toThrow('stage1 pseudo: run warmup is a warmup run; pseudo needs a pseudo run');
    await expect(check(stage1({ init: 'soft' }))).rejects.toThrow(/stage1 init: run soft is a pseudo run; init needs a warmup \/ stage1/);
    await expect(check({ stage: 'eval', model: 'evalRun', val })).rejects.toThrow(/eval model: run evalRun is a eval run/);
    await expect(check({ stage: 'distill', network: net, source: src, target: tgt, teacher: 'warmup', labels: 'soft' })).rejects.toThrow(/reads hard ones/);
  });

  it('refuses pseudo-labels of another dataset, mismatched class sets and unloadable weights', async () => {
    await expect(check(stage1({ pseudo: 'softVal' }))).rejects.toThrow(
      'stage1 pseudo: pseudo-label run softVal labelled demo /d/demo (target-val), but this run adapts to demo /d/demo (target-train)',
    );
    await expect(check(stage1({ pseudo: 'soft16' }))).rejects.toThrow("stage1: pseudo run soft16's target uses the 16-class set but this run has 19 classes");
    await expect(check(stage1({ init: 'r101' }))).rejects.toThrow(/run r101 is a resnet101 network, this run builds demo/);
    await expect(check(stage1({ init: 'w16' }))).rejects.toThrow('stage1 init: run w16 has 16 classes, this run 19');
    await expect(check({ stage: 'eval', model: 'w16', val })).rejects.toThrow('eval: val uses the 19-class set but model run w16 has 16 classes');
  });

  it('tells the demo folder\'s two domains apart and treats other formats as one domain per folder', () => {
    expect(domainOf(src)).not.toBe(domainOf(tgt));
    expect(domainOf(tgt)).toBe(domainOf(val));
    expect(domainOf({ root: '/c', format: 'cityscapes', split: 'train', classSet: '19' })).toBe(domainOf({ root: '/c/', format: 'cityscapes', split: 'val', classSet: '19' }));
  });

  it('an imported model (import:<id>) is checked by its import record: no run config is read for it', async () => {
    const imports: Record<string, RunConfig['network']> = { r101: { arch: 'resnet101', classes: 19, bnPretrain: false } };
    const readImport = async (id: string) => {
      if (!imports[id]) throw new Error(`no import ${id}`);
      return imports[id];
    };
    const evalOf = (model: string, classSet: '19' | '16') => runConfigSchema.parse({ stage: 'eval', model, val: { ...val, classSet } });
    await expect(checkCompatibility(evalOf('import:r101', '19'), read, readImport)).resolves.toBeUndefined();
    await expect(checkCompatibility(evalOf('import:r101', '16'), read, readImport)).rejects.toMatchObject({
      where: 'val',
      message: expect.stringMatching(/16-class set but imported model import:r101 has 19 classes/),
    });
    await expect(checkCompatibility(evalOf('import:missing', '19'), read, readImport)).rejects.toThrow(/no import missing/);
  });
});
