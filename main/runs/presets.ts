// Stage graphs with their configs. `paperPipeline` is the official README's sequence with the
// reference constants (the schema's defaults, which are shared/runs-config.ts PAPER); `demoPipeline` is
// the same graph scaled to the built-in benchmark and a 2-core budget (demoStageSettings), plus the
// baselines a reviewer asks for.
import { demoBudgets, demoPolyHorizon, demoStageSettings, type RunConfigInput, type RunDataset, type RunDatasetInput } from '../../shared/runs-config';
import type { PipelineStep } from './pipeline';

export interface PaperData {
  source: RunDatasetInput;
  targetTrain: RunDatasetInput;
  targetVal: RunDatasetInput;
}

/** S0 warm-up → soft PL + prototypes → S1 → hard PL → S2 (fresh student) → hard PL → S3 (warm start). */
export function paperPipeline(d: PaperData, seed = 1337): PipelineStep[] {
  const base = { seed, network: { arch: 'resnet101', classes: 19 } } as const;
  return [
    { key: 'warmup', needs: [], config: () => ({ ...base, stage: 'warmup', source: d.source, target: d.targetTrain, val: d.targetVal }) },
    { key: 'pseudo-soft', needs: ['warmup'], config: (r) => ({ ...base, stage: 'pseudo', mode: 'soft', model: r.warmup, target: d.targetTrain, flip: false }) },
    {
      key: 'stage1',
      needs: ['warmup', 'pseudo-soft'],
      config: (r) => ({ ...base, stage: 'stage1', init: r.warmup, pseudo: r['pseudo-soft'], source: d.source, target: d.targetTrain, val: d.targetVal }),
    },
    { key: 'pseudo-hard-1', needs: ['stage1'], config: (r) => ({ ...base, stage: 'pseudo', mode: 'hard', model: r.stage1, target: d.targetTrain }) },
    {
      key: 'stage2',
      needs: ['stage1', 'pseudo-hard-1'],
      config: (r) => ({
        ...base,
        stage: 'distill',
        network: { arch: 'resnet101', classes: 19, bnPretrain: true },
        teacher: r.stage1,
        labels: r['pseudo-hard-1'],
        studentInit: 'fresh',
        source: d.source,
        target: d.targetTrain,
        val: d.targetVal,
      }),
    },
    { key: 'pseudo-hard-2', needs: ['stage2'], config: (r) => ({ ...base, stage: 'pseudo', mode: 'hard', model: r.stage2, target: d.targetTrain }) },
    {
      key: 'stage3',
      needs: ['stage2', 'pseudo-hard-2'],
      config: (r) => ({
        ...base,
        stage: 'distill',
        network: { arch: 'resnet101', classes: 19, bnPretrain: true },
        teacher: r.stage2,
        labels: r['pseudo-hard-2'],
        studentInit: r.stage2,
        source: d.source,
        target: d.targetTrain,
        val: d.targetVal,
      }),
    },
  ];
}

export interface DemoData {
  /** The demo dataset folder (format 'demo'). */
  root: string;
}

const demoSet = (root: string, split: 'source' | 'target-train' | 'target-val'): RunDataset => ({ root, format: 'demo', split, classSet: '19' });

/**
 * The demo graph: warm-up (source-only) → soft PL + prototypes → stage 1 → hard PL → distillation into
 * a fresh student, with the baselines (plain self-training from the warm-up, a target-trained oracle)
 * and an evaluation of every model on the target val split, with BN both as trained and re-estimated.
 */
export function demoPipeline(d: DemoData, preset: 'demo' | 'demo-quick', seed: number): PipelineStep[] {
  const b = demoBudgets[preset];
  const src = demoSet(d.root, 'source');
  const tgt = demoSet(d.root, 'target-train');
  const val = demoSet(d.root, 'target-val');
  const net = { arch: 'demo', classes: 19 };
  const common = { seed, network: net };
  const evalOf = (key: string, model: string): PipelineStep => ({
    key: `eval-${key}`,
    needs: [model],
    config: (r) => ({ stage: 'eval', seed, network: net, model: r[model], val, bn: 'both', bnData: tgt, bnImages: b.bnImages }) satisfies RunConfigInput,
  });
  // the oracle trains like the warm-up, for its own budget
  const oracle = demoStageSettings(preset, 'warmup');
  const oracleIters = b.oracle;
  return [
    {
      key: 'warmup',
      needs: [],
      config: () => ({ ...common, ...demoStageSettings(preset, 'warmup'), stage: 'warmup', source: src, adversarialWeight: 0, freezeBn: false, notes: ['demo: warm-up is source-only (no discriminator)'] }),
    },
    { key: 'pseudo-soft', needs: ['warmup'], config: (r) => ({ stage: 'pseudo', seed, network: net, mode: 'soft', model: r.warmup, target: tgt, flip: false, bn: 'reestimate', bnImages: b.bnImages }) },
    {
      key: 'stage1',
      needs: ['warmup', 'pseudo-soft'],
      config: (r) => ({ ...common, ...demoStageSettings(preset, 'stage1'), stage: 'stage1', init: r.warmup, pseudo: r['pseudo-soft'], source: src, target: tgt }),
    },
    { key: 'pseudo-hard', needs: ['stage1'], config: (r) => ({ stage: 'pseudo', seed, network: net, mode: 'hard', model: r.stage1, target: tgt, flip: true, bn: 'reestimate', bnImages: b.bnImages }) },
    {
      key: 'distill',
      needs: ['stage1', 'pseudo-hard'],
      config: (r) => ({
        ...common,
        ...demoStageSettings(preset, 'distill'),
        stage: 'distill',
        teacher: r.stage1,
        labels: r['pseudo-hard'],
        studentInit: r.stage1,
        source: src,
        target: tgt,
        notes: [
          "demo: one distillation round with a warm start from stage 1 (as the reference's stage 3); the reference's stage 2 starts a fresh " +
            'student from SimCLR weights, and no self-supervised checkpoint exists for the demo network',
        ],
      }),
    },
    {
      key: 'selftrain',
      needs: ['warmup'],
      config: (r) => ({ ...common, ...demoStageSettings(preset, 'selftrain'), stage: 'selftrain', init: r.warmup, source: src, target: tgt, threshold: 0.9, labellerBn: 'reestimate' }),
    },
    {
      key: 'oracle',
      needs: [],
      config: () => ({
        ...common,
        ...oracle,
        optim: { ...oracle.optim, iterations: oracleIters, polyHorizon: demoPolyHorizon(oracleIters) },
        stage: 'warmup',
        source: tgt,
        targetLabels: true,
        adversarialWeight: 0,
        freezeBn: false,
      }),
    },
    evalOf('warmup', 'warmup'),
    evalOf('stage1', 'stage1'),
    evalOf('distill', 'distill'),
    evalOf('selftrain', 'selftrain'),
    evalOf('oracle', 'oracle'),
  ];
}
