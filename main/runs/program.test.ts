import { describe, expect, it } from 'vitest';
import { runConfigSchema } from '../../shared/runs-config';
import { forStage, type StageContext } from './program';

const ds = { root: '/d', format: 'demo' as const, split: 'source' };
const ctxOf = (config: unknown): StageContext => ({
  config: runConfigSchema.parse(config),
  runId: 'r',
  runDir: '/w/runs/r',
  workspace: '/w',
  artifactsDir: '/w/runs/r/artifacts',
  resolveRun: (id) => `/w/runs/${id}`,
  log: () => {},
  reportItems: () => {},
  cancelled: () => false,
});

describe('forStage', () => {
  it("hands the program its stage's config, and refuses another stage's", async () => {
    const seen: number[] = [];
    const make = forStage('warmup', async (ctx) => {
      seen.push(ctx.config.adversarialWeight);
      throw new Error('built');
    });
    await expect(make(ctxOf({ stage: 'warmup', source: ds, adversarialWeight: 0.5 }))).rejects.toThrow('built');
    expect(seen).toEqual([0.5]);
    expect(() => make(ctxOf({ stage: 'eval', model: 'm', val: ds }))).toThrow("the warmup program was given a config of stage 'eval'");
  });
});
