// What the run loop needs from a stage: a small interface between the supervised loop (checkpoints,
// progress, cancellation) and the engine code that does the stage's math. Each stage kind provides a
// factory; the run process picks it by config.stage.
import type { EvalResult, RunReport } from '../../shared/contract/runs';
import type { ConfigOf, RunConfig, StageKind } from '../../shared/runs-config';
import type { Checkpoint } from '../artifacts/checkpoints';
import type { TensorMap } from '../artifacts/safetensors';

export interface StepResult {
  losses: Record<string, number>;
  lr: number;
}

/**
 * A step whose loss or learning rate is NaN or infinite ends the run: every later update would be
 * garbage, and the numbers cannot even be reported (JSON has no NaN). `iteration` is 0-based, the
 * message counts from 1 as progress does.
 */
export function checkStepFinite(result: StepResult, iteration: number): StepResult {
  const bad = Object.entries(result.losses).filter(([, v]) => !Number.isFinite(v));
  if (bad.length > 0 || !Number.isFinite(result.lr)) {
    const what = [...bad.map(([k, v]) => `${k} = ${v}`), ...(Number.isFinite(result.lr) ? [] : [`lr = ${result.lr}`])].join(', ');
    throw new Error(`loss diverged at iteration ${iteration + 1} (${what}); lower optim.lr or check the data, then start a new run`);
  }
  return result;
}

/** The factories with every program's step checked by checkStepFinite. */
export function withFiniteSteps(factories: StageRegistry['factories']): StageRegistry['factories'] {
  const out: StageRegistry['factories'] = {};
  for (const [kind, make] of Object.entries(factories) as [StageKind, NonNullable<StageRegistry['factories'][StageKind]>][]) {
    out[kind] = async (ctx) => {
      const program = await make(ctx);
      const step = program.step.bind(program);
      program.step = async (it) => checkStepFinite(await step(it), it);
      return program;
    };
  }
  return out;
}

/** What a stage program is given; `C` narrows the config to the stage's own (see forStage). */
export interface StageContext<C extends RunConfig = RunConfig> {
  config: C;
  runId: string;
  runDir: string;
  workspace: string;
  artifactsDir: string;
  /** The folder of an upstream run named in the config (its artifacts, checkpoints, report). */
  resolveRun(id: string): string;
  log(line: string): void;
  /** Progress of a one-shot stage (pseudo-labelling, evaluation): done of total items. */
  reportItems(done: number, total: number): void;
  /** True once a cancel was requested; one-shot stages may poll it between items. */
  cancelled(): boolean;
}

/**
 * The factory of one stage kind: the context's config is checked to be that stage's, so the program reads a typed
 * config (no casts in the stage code); a mismatch is a wiring error and fails the run naming both stages.
 */
export function forStage<S extends StageKind>(stage: S, make: (ctx: StageContext<ConfigOf<S>>) => Promise<StageProgram>) {
  return (ctx: StageContext): Promise<StageProgram> => {
    const config = ctx.config;
    if (!isStage(config, stage)) throw new Error(`the ${stage} program was given a config of stage '${config.stage}'`);
    return make({ ...ctx, config });
  };
}

const isStage = <S extends StageKind>(c: RunConfig, stage: S): c is ConfigOf<S> => c.stage === stage;

export interface StageFinish {
  final: EvalResult | null;
  evals?: EvalResult[];
  /** Paths relative to the run folder. */
  artifacts: string[];
  notes?: string[];
  /** Hand corrections the stage trained on, for the report. */
  corrections?: RunReport['corrections'];
}

export interface StageProgram {
  /** Training iterations; 0 for one-shot stages whose work happens in finish(). */
  readonly iterations: number;
  /** Everything needed to continue bit-for-bit: weights, EMA, prototypes, optimiser slots, counters. */
  snapshot(): Promise<{ tensors: TensorMap; state: Record<string, unknown> }>;
  restore(ckpt: Checkpoint): Promise<void>;
  /** One iteration; its randomness must derive from (seed, iteration) so a resumed run repeats it exactly. */
  step(iteration: number): Promise<StepResult>;
  validate?(): Promise<EvalResult>;
  finish(): Promise<StageFinish>;
  /** Live tensor count for the progress events (tfjs programs). */
  numTensors?(): number;
  dispose(): void;
}

export interface BackendReport {
  name: string;
  detail?: unknown;
}

export interface StageRegistry {
  /** Selects and initialises the compute backend once per process. */
  setup(): Promise<BackendReport>;
  factories: Partial<Record<StageKind, (ctx: StageContext) => Promise<StageProgram>>>;
}
