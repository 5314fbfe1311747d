// Stage graphs with their configs. `paperPipeline` is the official README's sequence with the
// reference constants (schema defaults); `demoPipeline` is the same graph scaled to the built-in
// benchmark and a 2-core budget, plus the baselines a reviewer asks for.
import { scaleTimeConstant, type RunConfigInput, type RunDataset, type RunDatasetInput } from '../../shared/runs-config';
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
    { key: 'warmup', needs: [], config: () => ({ ...base, stage: 'warmup', source: d.source, target: d.targetTrain, val: d.targetVal, optim: { lr: 2.5e-4 } }) },
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
        optim: { lr: 6e-4 },
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
        optim: { lr: 6e-4 },
      }),
    },
  ];
}

export interface DemoBudget {
  /** Iterations of each training stage. */
  warmup: number;
  stage1: number;
  distill: number;
  selftrain: number;
  oracle: number;
  batchSize: number;
  /** Images used to re-estimate BN statistics when scoring. */
  bnImages: number;
  /** Benchmark size: images per training split and in target-val. */
  count: number;
  valCount: number;
}

export const demoBudgets: Record<'demo' | 'demo-quick', DemoBudget> = {
  // Sized from measured CPU seconds per step on wasm (report.json cpuSeconds): the longest chain
  // (warm-up → soft PL → stage 1 → hard PL → distillation → eval) fits 15 min on one core while the
  // baselines run on the other.
  demo: { warmup: 250, stage1: 120, distill: 100, selftrain: 120, oracle: 250, batchSize: 4, bnImages: 64, count: 400, valCount: 200 },
  'demo-quick': { warmup: 30, stage1: 16, distill: 16, selftrain: 16, oracle: 30, batchSize: 2, bnImages: 8, count: 48, valCount: 24 },
};

const REF_ITERS = 62412;

/**
 * EMA decay and prototype momentum with the same number of effective updates per run as the reference
 * (1−decay and momentum scaled by 62412 / iterations), clamped so the teacher stays an average over
 * at least ~10 iterations and a prototype step never exceeds 5%.
 */
export function demoTimeConstants(stage1Iterations: number): { emaDecay: number; protoMomentum: number; note: string } {
  const rawEma = 1 - scaleTimeConstant(1 - 0.999, REF_ITERS, stage1Iterations);
  const rawProto = scaleTimeConstant(1e-4, REF_ITERS, stage1Iterations);
  const emaDecay = Math.max(0.9, rawEma);
  const protoMomentum = Math.min(0.05, rawProto);
  const clamped = emaDecay !== rawEma || protoMomentum !== rawProto;
  return {
    emaDecay,
    protoMomentum,
    note:
      `EMA decay ${emaDecay.toFixed(4)} and prototype momentum ${protoMomentum.toPrecision(3)}: the reference's 0.999 and 1e-4 ` +
      `rescaled from ${REF_ITERS} to ${stage1Iterations} iterations (1−decay and momentum × ${(REF_ITERS / stage1Iterations).toFixed(1)})` +
      (clamped ? `, clamped to decay ≥ 0.9 and momentum ≤ 0.05 (unclamped: ${rawEma.toFixed(4)}, ${rawProto.toPrecision(3)})` : '') +
      ', so teacher and prototypes move within the short run as they do within the paper\'s',
  };
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
  const tc = demoTimeConstants(b.stage1);
  const net = { arch: 'demo', classes: 19 };
  const aug = { cropWidth: 192, cropHeight: 96, resizeBase: 256, resizeRange: [0.75, 1.5] as [number, number], flip: true };
  const common = { seed, network: net, aug, validation: { every: 0 }, checkpoint: { every: 100, keep: 2 } };
  const optim = (iterations: number, lr: number) => ({
    batchSize: b.batchSize,
    iterations,
    // The reference stops at 62412 of a 90000-iteration poly curve; keep that ratio.
    polyHorizon: Math.round((iterations * 90000) / REF_ITERS),
    lr,
  });
  const evalOf = (key: string, model: string): PipelineStep => ({
    key: `eval-${key}`,
    needs: [model],
    config: (r) => ({ stage: 'eval', seed, network: net, model: r[model], val, bn: 'both', bnData: tgt, bnImages: b.bnImages }) satisfies RunConfigInput,
  });
  return [
    {
      key: 'warmup',
      needs: [],
      config: () => ({ ...common, stage: 'warmup', source: src, adversarialWeight: 0, freezeBn: false, optim: optim(b.warmup, 2.5e-3), notes: ['demo: warm-up is source-only (no discriminator)'] }),
    },
    { key: 'pseudo-soft', needs: ['warmup'], config: (r) => ({ stage: 'pseudo', seed, network: net, mode: 'soft', model: r.warmup, target: tgt, flip: false, bn: 'reestimate', bnImages: b.bnImages }) },
    {
      key: 'stage1',
      needs: ['warmup', 'pseudo-soft'],
      config: (r) => ({
        ...common,
        stage: 'stage1',
        init: r.warmup,
        pseudo: r['pseudo-soft'],
        source: src,
        target: tgt,
        emaDecay: tc.emaDecay,
        protoMomentum: tc.protoMomentum,
        optim: optim(b.stage1, 1e-3),
        notes: [tc.note],
      }),
    },
    { key: 'pseudo-hard', needs: ['stage1'], config: (r) => ({ stage: 'pseudo', seed, network: net, mode: 'hard', model: r.stage1, target: tgt, flip: true, bn: 'reestimate', bnImages: b.bnImages }) },
    {
      key: 'distill',
      needs: ['stage1', 'pseudo-hard'],
      config: (r) => ({
        ...common,
        stage: 'distill',
        teacher: r.stage1,
        labels: r['pseudo-hard'],
        studentInit: r.stage1,
        source: src,
        target: tgt,
        optim: optim(b.distill, 1e-3),
        notes: [
          "demo: one distillation round with a warm start from stage 1 (as the reference's stage 3); the reference's stage 2 starts a fresh " +
            'student from SimCLR weights, and no self-supervised checkpoint exists for the demo network',
        ],
      }),
    },
    {
      key: 'selftrain',
      needs: ['warmup'],
      config: (r) => ({ ...common, stage: 'selftrain', init: r.warmup, source: src, target: tgt, threshold: 0.9, labellerBn: 'reestimate', optim: optim(b.selftrain, 1e-3) }),
    },
    {
      key: 'oracle',
      needs: [],
      config: () => ({ ...common, stage: 'warmup', source: tgt, targetLabels: true, adversarialWeight: 0, freezeBn: false, optim: optim(b.oracle, 2.5e-3) }),
    },
    evalOf('warmup', 'warmup'),
    evalOf('stage1', 'stage1'),
    evalOf('distill', 'distill'),
    evalOf('selftrain', 'selftrain'),
    evalOf('oracle', 'oracle'),
  ];
}
