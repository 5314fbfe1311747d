// The "paper" preset of each stage against a table written from shared/docs/proda-reference.md (§1, §4, §5), field by
// field, on the config.json a run writes (`proda train --config` parses the file and writes it through createRun).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runConfigSchema, type RunConfigInput } from '../../shared/runs-config';
import { paperPipeline } from './presets';
import { createRun } from '../artifacts/records';
import { runDir, runPaths } from '../artifacts/layout';

// proda-reference.md §4: SGD momentum 0.9, weight decay 2e-4, poly 0.9 over 90,000 iterations of which 62,412 run, bs 4.
const schedule = { batchSize: 4, iterations: 62412, polyHorizon: 90000, power: 0.9, momentum: 0.9, weightDecay: 2e-4 };
const REFERENCE: Record<string, Record<string, unknown>> = {
  // §1 S0 and §4: --lr 2.5e-4 with the 1×/10× groups, --adv 0.01, D Adam lr 1e-4, --freeze_bn
  warmup: { 'optim.lr': 2.5e-4, 'optim.lrGroups': 'backbone-1x-head-10x', adversarialWeight: 0.01, discriminatorLr: 1e-4, freezeBn: true },
  // §4: one flat group at 1e-4; §5.2: α 0.1, β 1, γ2 0.1 (MRKLD), γ1 10, s 1, m 1e-4, EMA 0.999, train_thred 0
  stage1: {
    'optim.lr': 1e-4,
    'optim.lrGroups': 'flat',
    rceAlpha: 0.1,
    rceBeta: 1,
    regularWeight: 0.1,
    regularType: 'MRKLD',
    protoConsistWeight: 10,
    protoTemperature: 1,
    protoMomentum: 1e-4,
    emaDecay: 0.999,
    trainThreshold: 0,
  },
  // §1 S2/S3 and §4: --lr 6e-4 --finetune (1×/10×), --threshold 0.95, --distillation 1
  distill: { 'optim.lr': 6e-4, 'optim.lrGroups': 'backbone-1x-head-10x', threshold: 0.95, kdWeight: 1 },
  // §5.1: 4 passes, ≥ 10 pixels, counter capped at 3000
  pseudo: { 'prototypes.epochs': 4, 'prototypes.minPixels': 10, 'prototypes.cap': 3000 },
};
const trainingStages = ['warmup', 'stage1', 'distill'];

const get = (o: unknown, key: string): unknown => key.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], o);

const ds = { root: '/data/x', format: 'cityscapes' as const, split: 'train' };
let ws = '';
afterAll(async () => {
  if (ws) await rm(ws, { recursive: true, force: true });
});

async function writtenConfig(input: RunConfigInput, id: string): Promise<Record<string, unknown>> {
  ws ||= await mkdtemp(path.join(os.tmpdir(), 'paper-preset-'));
  await createRun(ws, runConfigSchema.parse(input), id);
  return JSON.parse(await readFile(runPaths(runDir(ws, id)).config, 'utf8')) as Record<string, unknown>;
}

function expectReference(config: Record<string, unknown>, stage: string): void {
  const want = { ...REFERENCE[stage], ...(trainingStages.includes(stage) ? Object.fromEntries(Object.entries(schedule).map(([k, v]) => [`optim.${k}`, v])) : {}) };
  for (const [key, value] of Object.entries(want)) expect({ stage, key, value: get(config, key) }).toEqual({ stage, key, value });
}

describe('the paper preset is the paper', () => {
  it('paperPipeline: every step writes the reference LRs, LR groups, iterations, thresholds and loss weights', async () => {
    const steps = paperPipeline({ source: { ...ds, format: 'gta5', split: 'all' }, targetTrain: ds, targetVal: { ...ds, split: 'val' } });
    const ids = Object.fromEntries(steps.map((s) => [s.key, `run-${s.key}`]));
    const seen = new Set<string>();
    for (const s of steps) {
      const c = await writtenConfig(s.config(ids), `paper-${s.key}`);
      const stage = c.stage as string;
      if (stage === 'pseudo' && c.mode !== 'soft') continue;
      expectReference(c, stage);
      seen.add(stage);
    }
    expect([...seen].sort()).toEqual(['distill', 'pseudo', 'stage1', 'warmup']);
  });

  it("the form's paper preset (the schema's defaults) of each stage, distillation at 6e-4 included", async () => {
    const minimal: Record<string, RunConfigInput> = {
      warmup: { stage: 'warmup', source: ds },
      stage1: { stage: 'stage1', source: ds, target: ds, init: 'a', pseudo: 'b' },
      distill: { stage: 'distill', source: ds, target: ds, teacher: 'a', labels: 'b' },
      pseudo: { stage: 'pseudo', model: 'a', target: ds, mode: 'soft' },
    };
    for (const [stage, input] of Object.entries(minimal)) expectReference(await writtenConfig(input, `form-${stage}`), stage);
  });
});
