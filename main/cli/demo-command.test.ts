import { describe, expect, it } from 'vitest';
import { demoRows, summarizeDemo, type DemoSeedResult } from '../runs/demo';
import { formatDemo } from './demo-command';

/** One seed whose scores put the oracle below source-only, as a 30-iteration smoke run can. */
function seed(n: number): DemoSeedResult {
  const miou: Record<string, number> = { warmup: 0.061, selftrain: 0.058, stage1: 0.064, distill: 0.06, oracle: 0.053 };
  const scores = Object.fromEntries(
    demoRows.map((r) => {
      const e = (bn: 'running' | 'reestimate') => ({ miou: miou[r.key], perClass: [miou[r.key], null], classNames: ['road', 'sidewalk'], bn, images: 24 });
      return [r.key, { running: e('running'), reestimate: e('reestimate') }];
    }),
  ) as DemoSeedResult['scores'];
  return { seed: n, runs: Object.fromEntries(demoRows.map((r) => [r.key, `${r.key}-s${n}`])), scores };
}

describe('proda demo output', () => {
  it('--quick is labelled a smoke test and draws no conclusions from its scores', () => {
    const s = summarizeDemo([seed(1)], true);
    expect(s.smokeTest).toBe(true);
    expect(s.checks).toEqual([]);
    const text = formatDemo(s, 80);
    expect(text.split('\n')[0]).toMatch(/^SMOKE TEST of the pipeline/);
    expect(text).toMatch(/scores below are noise/);
    expect(text).not.toMatch(/^(yes|NO ) /m);
    expect(text).not.toMatch(/ProDA demo \(/);
  });

  it('the full demo prints its checks', () => {
    const s = summarizeDemo([seed(1), seed(2)], false);
    expect(s.smokeTest).toBe(false);
    const text = formatDemo(s, 800);
    expect(text.split('\n')[0]).toMatch(/^ProDA demo \(demo\), target val, seeds 1, 2/);
    expect(text).toMatch(/^yes {2}stage 1 > warm-up/m);
    expect(text).toMatch(/^NO {3}distillation > stage 1/m);
    expect(text).not.toMatch(/SMOKE TEST/);
  });
});
