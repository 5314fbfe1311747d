// The typed configuration of one stage run. It is platform-free so the renderer can generate its run
// form from the same schema the run process validates against. Defaults are the official ProDA values
// (proda-reference.md §1, §4, §5); the demo presets scale them to a 2-core budget (see demoPreset).
import { z } from 'zod';
import { ClassSetIdSchema, DatasetFormat } from './datasets';

export const stageKinds = ['warmup', 'pseudo', 'stage1', 'distill', 'selftrain', 'eval'] as const;
export type StageKind = (typeof stageKinds)[number];

/** A dataset as a run sees it: where it is, what format, which split. Resolved by main/datasets. */
export const runDatasetSchema = z
  .object({
    root: z.string().min(1).describe('Dataset folder'),
    format: DatasetFormat,
    split: z.string().optional().describe("cityscapes: train/val; gta5: all/train/val/test; demo: source/target-train/target-val"),
    classSet: ClassSetIdSchema.default('19'),
  })
  .strict();
export type RunDataset = z.infer<typeof runDatasetSchema>;
export type RunDatasetInput = z.input<typeof runDatasetSchema>;

/** A previous run, by id, whose artifacts this run reads. */
export const runRefSchema = z.string().regex(/^[A-Za-z0-9._-]+$/, 'a run id (letters, digits, . _ -)');
/** A model to run inference with: a run id, or `import:<importId>` (a checkpoint brought in by `proda import`). */
export const IMPORT_PREFIX = 'import:';
export const modelRefSchema = z
  .string()
  .regex(/^(import:)?[A-Za-z0-9._-]+$/, 'a run id or import:<importId> (letters, digits, . _ -)')
  .refine((s) => !/^(import:)?\.{1,2}$/.test(s), 'not a folder name');

export const networkSchema = z
  .object({
    arch: z.string().default('resnet101').describe('Network name known to the engine (resnet101, demo, ...)'),
    classes: z.number().int().min(2).max(256).default(19),
    bnPretrain: z.boolean().default(false).describe('Extra BN after layer4 (SimCLR students)'),
  })
  .strict();

export const optimSchema = z
  .object({
    batchSize: z.number().int().min(1).default(4),
    iterations: z.number().int().min(1).default(62412).describe('Loop length (84 target epochs at bs 4 in the reference)'),
    polyHorizon: z.number().int().min(1).default(90000).describe('max_iter in lr·(1−it/max_iter)^power'),
    power: z.number().min(0).default(0.9),
    /** Base LR. Groups follow the reference per stage: stage 1 one flat group; warm-up, distillation and self-training 1× backbone, 10× head. */
    lr: z.number().positive().default(1e-4),
    momentum: z.number().min(0).max(1).default(0.9),
    weightDecay: z.number().min(0).default(2e-4),
  })
  .strict();
export type OptimConfig = z.infer<typeof optimSchema>;

export const augSchema = z
  .object({
    cropWidth: z.number().int().min(8).default(896),
    cropHeight: z.number().int().min(8).default(512),
    /** Images are first resized so their width is base·U(lo, hi) (RandomSized with --resize 2200). */
    resizeBase: z.number().int().min(8).default(2200),
    resizeRange: z.tuple([z.number().positive(), z.number().positive()]).default([0.5, 1.5]),
    flip: z.boolean().default(true),
  })
  .strict();

export const validationSchema = z
  .object({
    every: z.number().int().min(0).default(1000).describe('Iterations between validations; 0 = only at the end'),
    limit: z.number().int().min(0).default(0).describe('Validate on the first N images; 0 = all'),
    bn: z.enum(['running', 'reestimate']).default('running').describe('BatchNorm statistics used when scoring'),
  })
  .strict();

export const checkpointSchema = z
  .object({
    every: z.number().int().min(1).default(1000),
    keep: z.number().int().min(1).default(3),
  })
  .strict();

const common = {
  name: z.string().max(200).optional(),
  seed: z.number().int().min(0).default(1337),
  network: networkSchema.prefault({}),
  /** The demo preset's note on scaled constants, or the user's own. Free text, shown in reports. */
  notes: z.array(z.string()).default([]),
};

const training = {
  optim: optimSchema.prefault({}),
  aug: augSchema.prefault({}),
  validation: validationSchema.prefault({}),
  checkpoint: checkpointSchema.prefault({}),
  source: runDatasetSchema,
  target: runDatasetSchema.optional(),
  val: runDatasetSchema.optional(),
};

export const warmupConfigSchema = z
  .object({
    stage: z.literal('warmup'),
    ...common,
    ...training,
    init: runRefSchema.optional().describe('Start from this run\'s final student instead of fresh weights'),
    /** Output-space LS-GAN weight (0 = plain source-only training, also used for the target oracle). */
    adversarialWeight: z.number().min(0).default(0.01),
    discriminatorLr: z.number().positive().default(1e-4),
    freezeBn: z.boolean().default(true),
    /** Train on a target split's evaluation labels: the target-trained oracle baseline, never adaptation. */
    targetLabels: z.boolean().default(false),
  })
  .strict();

/** Target images whose statistics replace BN's running ones wherever a stage re-estimates BN and says no other number. */
export const BN_REESTIMATE_IMAGES = 64;

export const pseudoConfigSchema = z
  .object({
    stage: z.literal('pseudo'),
    ...common,
    model: modelRefSchema.describe('Run (or import:<id>) whose final student labels the target'),
    target: runDatasetSchema,
    /** soft: softmax at output resolution + prototype initialisation; hard: flip-averaged argmax + confidence. */
    mode: z.enum(['soft', 'hard']),
    flip: z.boolean().default(true),
    prototypes: z
      .object({
        epochs: z.number().int().min(1).default(4),
        minPixels: z.number().int().min(1).default(10),
        cap: z.number().int().min(1).default(3000),
      })
      .strict()
      .prefault({}),
    /** BN statistics of the labelling model: as trained, or re-estimated on `bnImages` images of the target first. */
    bn: z.enum(['running', 'reestimate']).default('running'),
    bnImages: z.number().int().min(1).default(BN_REESTIMATE_IMAGES),
  })
  .strict();

/** The student trains on the RandAugment + cutout view of the target (as the reference); off = on the weak crop. */
const strongAug = z.boolean().default(true).describe('Train the student on the strong (RandAugment + cutout) view of the target crop');

export const stage1ConfigSchema = z
  .object({
    stage: z.literal('stage1'),
    ...common,
    ...training,
    target: runDatasetSchema,
    init: runRefSchema.describe('Warm-up run: student and EMA start from its final weights'),
    pseudo: runRefSchema.describe('Soft pseudo-label run: soft labels and initial prototypes'),
    emaDecay: z.number().min(0).max(1).default(0.999),
    protoMomentum: z.number().min(0).max(1).default(1e-4),
    protoTemperature: z.number().positive().default(1),
    protoConsistWeight: z.number().min(0).default(10),
    regularWeight: z.number().min(0).default(0.1),
    rceAlpha: z.number().min(0).default(0.1),
    rceBeta: z.number().min(0).default(1),
    trainThreshold: z.number().min(0).max(1).default(0),
    strongAug,
  })
  .strict();

/**
 * Hand corrections of target labels (main/labels) used as labelled target data: touched pixels train on the
 * person's label with loss weight `weight`, untouched pixels keep the pseudo-label.
 */
export const correctionsOptionSchema = z
  .object({
    dataset: z.string().min(1).describe('Workspace dataset id the corrections were made on (the annotation store key)'),
    weight: z.number().min(0).default(1).describe('Loss weight of a corrected pixel (a pseudo-labelled pixel weighs 1)'),
    minTouched: z.number().int().min(1).default(1).describe('Use only images with at least this many touched pixels'),
    perBatch: z
      .number()
      .int()
      .min(0)
      .default(1)
      .describe('Target batch slots filled with corrected images each iteration (0 = uniform sampling, a corrected image is seen as rarely as any other)'),
  })
  .strict();
export type CorrectionsOption = z.infer<typeof correctionsOptionSchema>;

export const distillConfigSchema = z
  .object({
    stage: z.literal('distill'),
    ...common,
    ...training,
    target: runDatasetSchema,
    teacher: runRefSchema.describe('Run whose final student is the frozen teacher'),
    labels: runRefSchema.describe('Hard pseudo-label run'),
    /** 'fresh' = new student (the reference uses SimCLR weights); a run id = warm start (stage 3). */
    studentInit: z.union([z.literal('fresh'), runRefSchema]).default('fresh'),
    threshold: z.number().min(0).max(1).default(0.95),
    /**
     * Class-balanced thresholds (CBST, a deviation; the reference has one global threshold): each class keeps
     * this fraction of its most confident pixels, threshold_k = quantile_(1−f)(conf | k), and `threshold` is
     * used only for a class the sampled pixels never show.
     */
    classBalance: z.number().gt(0).max(1).optional(),
    kdWeight: z.number().min(0).default(1),
    strongAug,
    /** The released code's KL uses softmax where log_softmax was meant (issues #20, #43). */
    kdFaithfulBug: z.boolean().default(false),
    /**
     * BN statistics of the frozen teacher, as for pseudo-label runs: 'running' as the reference (its statistics
     * mix the source and target batches of the stage before), or re-estimated on BN_REESTIMATE_IMAGES (64) target images first.
     */
    teacherBn: z.enum(['running', 'reestimate']).default('running'),
    corrections: correctionsOptionSchema.optional(),
  })
  .strict();

/** Plain confidence-thresholded self-training: the baseline ProDA is compared against. */
export const selftrainConfigSchema = z
  .object({
    stage: z.literal('selftrain'),
    ...common,
    ...training,
    target: runDatasetSchema,
    init: runRefSchema,
    threshold: z.number().min(0).max(1).default(0.9),
    /** BN statistics of the frozen labeller, as for pseudo-label runs. */
    labellerBn: z.enum(['running', 'reestimate']).default('running'),
  })
  .strict();

export const evalConfigSchema = z
  .object({
    stage: z.literal('eval'),
    ...common,
    model: modelRefSchema,
    val: runDatasetSchema,
    /** 'both' scores twice, so a table can show what re-estimating BN alone changes. */
    bn: z.enum(['running', 'reestimate', 'both']).default('running'),
    /** Target images (no labels used) whose statistics replace BN's running stats when bn = reestimate. */
    bnData: runDatasetSchema.optional(),
    bnImages: z.number().int().min(1).default(BN_REESTIMATE_IMAGES),
    protocol: z.enum(['19', '16', '13']).optional(),
  })
  .strict();

export const runConfigSchema = z.discriminatedUnion('stage', [
  warmupConfigSchema,
  pseudoConfigSchema,
  stage1ConfigSchema,
  distillConfigSchema,
  selftrainConfigSchema,
  evalConfigSchema,
]);
export type RunConfig = z.infer<typeof runConfigSchema>;
export type RunConfigInput = z.input<typeof runConfigSchema>;
export type ConfigOf<S extends StageKind> = Extract<RunConfig, { stage: S }>;
export type TrainingConfig = ConfigOf<'warmup' | 'stage1' | 'distill' | 'selftrain'>;

export const isTrainingConfig = (c: RunConfig): c is TrainingConfig =>
  c.stage === 'warmup' || c.stage === 'stage1' || c.stage === 'distill' || c.stage === 'selftrain';

/** The runs a config reads artifacts from, in a stable order. */
export function upstreamRuns(c: RunConfig): string[] {
  switch (c.stage) {
    case 'warmup':
      return c.init ? [c.init] : [];
    case 'pseudo':
    case 'eval':
      return c.model.startsWith(IMPORT_PREFIX) ? [] : [c.model];
    case 'stage1':
      return [c.init, c.pseudo];
    case 'distill':
      return [c.teacher, c.labels, ...(c.studentInit === 'fresh' ? [] : [c.studentInit])];
    case 'selftrain':
      return [c.init];
  }
}

/** Imported checkpoints a config reads (ids without the prefix). */
export function upstreamImports(c: RunConfig): string[] {
  return (c.stage === 'pseudo' || c.stage === 'eval') && c.model.startsWith(IMPORT_PREFIX) ? [c.model.slice(IMPORT_PREFIX.length)] : [];
}

/** Reference optimiser settings per stage (proda-reference.md §4). */
export const referenceOptim: Record<'warmup' | 'stage1' | 'distill' | 'selftrain', Partial<OptimConfig>> = {
  warmup: { lr: 2.5e-4 },
  stage1: { lr: 1e-4 },
  distill: { lr: 6e-4 },
  selftrain: { lr: 1e-4 },
};

/**
 * An exponential-moving-average constant tuned for refIterations, rescaled so that the average covers
 * the same fraction of a run of `iterations`: 1 − decay is the per-step weight, so the horizon
 * 1/(1−decay) shrinks in proportion to the run.
 */
export function scaleTimeConstant(refOneMinus: number, refIterations: number, iterations: number): number {
  const scaled = (refOneMinus * refIterations) / iterations;
  return Math.min(1, scaled);
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
  // Sized from measured wall time on 2 cores with wasm: the longest chain (warm-up → soft PL → stage 1 →
  // hard PL → distillation → eval) runs on one core while the baselines run on the other. The same machine
  // ran 25 % slower on another day (600/120/100 took 13 min 20 s, then 16 min), so the chain is cut to leave
  // that margin under 15 minutes (README). The oracle is off the chain and keeps its 600 iterations.
  demo: { warmup: 480, stage1: 96, distill: 80, selftrain: 96, oracle: 600, batchSize: 4, bnImages: 64, count: 400, valCount: 200 },
  'demo-quick': { warmup: 30, stage1: 16, distill: 16, selftrain: 16, oracle: 30, batchSize: 2, bnImages: 8, count: 48, valCount: 24 },
};

const REF_ITERS = 62412;

/** Bounds on the demo's slow averages (EMA decay at least, prototype momentum at most): see demoTimeConstants. */
export const DEMO_EMA_MIN = 0.99;
export const DEMO_PROTO_MOMENTUM_MAX = 0.01;

/**
 * EMA decay and prototype momentum for a short stage 1: the reference's 0.999 and 1e-4 rescaled so a run
 * of `stage1Iterations` sees as many time constants as the paper's 62412 (1−decay and momentum scaled by
 * 62412 / iterations), then clamped to decay ≥ 0.99 and momentum ≤ 0.01. The clamp is measured, not
 * cosmetic: at decay 0.9 / momentum 0.05 the teacher is the student of ~10 iterations ago and the
 * prototypes follow its argmax within a few batches, so the warm-up's confusions (target sky read as
 * building) feed the rectified labels, the prototypes move onto them, and stage 1 ends below the warm-up
 * (demo generator 3, seed 1: 21.2 vs 22.5 mIoU; 18.8 after 240 iterations). At 0.99 / 0.01, the values the
 * benchmark notes found to work, the same run scores 24.3.
 */
export function demoTimeConstants(stage1Iterations: number): { emaDecay: number; protoMomentum: number; note: string } {
  const rawEma = 1 - scaleTimeConstant(1 - 0.999, REF_ITERS, stage1Iterations);
  const rawProto = scaleTimeConstant(1e-4, REF_ITERS, stage1Iterations);
  const emaDecay = Math.max(DEMO_EMA_MIN, rawEma);
  const protoMomentum = Math.min(DEMO_PROTO_MOMENTUM_MAX, rawProto);
  const clamped = emaDecay !== rawEma || protoMomentum !== rawProto;
  return {
    emaDecay,
    protoMomentum,
    note:
      `EMA decay ${emaDecay.toFixed(4)} and prototype momentum ${protoMomentum.toPrecision(3)}: the reference's 0.999 and 1e-4 ` +
      `rescaled from ${REF_ITERS} to ${stage1Iterations} iterations (1−decay and momentum × ${(REF_ITERS / stage1Iterations).toFixed(1)})` +
      (clamped
        ? `, clamped to decay ≥ ${DEMO_EMA_MIN} and momentum ≤ ${DEMO_PROTO_MOMENTUM_MAX} (unclamped: ${rawEma.toFixed(4)}, ${rawProto.toPrecision(3)}): ` +
          'a faster teacher and prototypes lock the warm-up\'s confusions into the rectified labels'
        : ', so teacher and prototypes move within the short run as they do within the paper\'s'),
  };
}

/** The demo's crop and resize, sized for the 256×128 benchmark. */
export const DEMO_AUG = { cropWidth: 192, cropHeight: 96, resizeBase: 256, resizeRange: [0.75, 1.5], flip: true } as const;

/**
 * What the demo's distillation sets beyond the schema's reference defaults, each a named option measured on
 * the benchmark (README, "Distillation on the demo, measured"): the frozen teacher scores with BN re-estimated on target,
 * as the pseudo-labels were made; class-balanced thresholds keep the most confident half of every class; and
 * the student learns on the weak crop, since RandAugment's colour ops (solarize, posterize, equalize) wipe
 * out the colour that tells the benchmark's sky, building and vegetation apart.
 */
export const DEMO_DISTILL = { teacherBn: 'reestimate', classBalance: 0.5, strongAug: false } as const;

/** The demo's base learning rates per stage (the oracle trains like the warm-up). */
export const DEMO_LR = { warmup: 2.5e-3, stage1: 1e-3, distill: 2.5e-4, selftrain: 1e-3 } as const;

/** The reference stops at 62412 iterations of a 90000-iteration poly curve; demo runs keep that ratio. */
export const demoPolyHorizon = (iterations: number): number => Math.round((iterations * 90000) / REF_ITERS);

export interface ConfigWarning {
  field: string;
  message: string;
}

/**
 * What the reference's users tripped on (issues #10, #11): changing the batch size while leaving the
 * learning rate and the iteration count alone changes the schedule silently.
 */
export function configWarnings(config: RunConfig, baseline?: { batchSize: number; lr: number; iterations: number }): ConfigWarning[] {
  if (!isTrainingConfig(config)) return [];
  const ref = baseline ?? { batchSize: 4, lr: referenceOptim[config.stage].lr ?? 1e-4, iterations: 62412 };
  const o = config.optim;
  const out: ConfigWarning[] = [];
  if (o.batchSize !== ref.batchSize && o.lr === ref.lr && o.iterations === ref.iterations) {
    const k = o.batchSize / ref.batchSize;
    out.push({
      field: 'optim.batchSize',
      message:
        `batch size ${o.batchSize} differs from ${ref.batchSize} but lr (${o.lr}) and iterations (${o.iterations}) did not follow: ` +
        `the same number of epochs needs ${Math.round(ref.iterations / k)} iterations, and linear scaling suggests lr ${(ref.lr * k).toPrecision(3)}`,
    });
  } else if (o.batchSize !== ref.batchSize && o.iterations === ref.iterations) {
    out.push({
      field: 'optim.iterations',
      message: `batch size ${o.batchSize} differs from ${ref.batchSize} but iterations stayed ${o.iterations}: the run covers ${(o.batchSize / ref.batchSize).toFixed(2)}× the reference's epochs`,
    });
  } else if (o.batchSize !== ref.batchSize && o.lr === ref.lr) {
    out.push({
      field: 'optim.lr',
      message: `batch size ${o.batchSize} differs from ${ref.batchSize} but lr stayed ${o.lr}`,
    });
  }
  if (o.iterations > o.polyHorizon) {
    out.push({ field: 'optim.polyHorizon', message: `iterations (${o.iterations}) exceed the poly horizon (${o.polyHorizon}): lr reaches 0 before the end` });
  }
  return out;
}
