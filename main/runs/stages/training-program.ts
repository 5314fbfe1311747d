// What the training programs share: their datasets, the student and its SGD state in checkpoints, validation,
// the count of iterations with an empty target term, the final model, and the engine options every step takes.
import type { RunDataset, TrainingConfig } from '../../../shared/runs-config';
import type { DatasetRole } from '../../../shared/datasets';
import type { EvalResult } from '../../../shared/contract/runs';
import { liveTensors } from '../../engine/batch-scope';
import type { SegNet } from '../../engine/nets';
import { Sgd } from '../../engine/optim/sgd';
import type { Prototypes } from '../../engine/proda/prototypes';
import type { StepOptions } from '../../engine/train/step-options';
import type { Checkpoint } from '../../artifacts/checkpoints';
import type { StageContext, StageProgram, StepResult } from '../program';
import { readConfig } from '../../artifacts/records';
import type { TensorMap } from '../../artifacts/safetensors';
import { ImageSource, type DatasetOpener } from './data';
import { evaluate } from './evaluate';
import { buildNet } from './net';
import { readModel, tensorsToWeights, weightsToTensors, writeModel } from '../../artifacts/model';

/** The datasets of a training run: the labelled source, the target (absent for source-only), validation and BN images. */
export interface TrainingData {
  source: ImageSource;
  target: ImageSource | null;
  val: ImageSource | null;
  /** target images whose statistics replace BN's when validating with bn = reestimate */
  bnSource: ImageSource | null;
}

/**
 * Opens a training run's datasets. `source` overrides the source role (the target oracle trains on a target split's
 * evaluation labels); `target` is the target split the stage reads, if any.
 */
export async function openTrainingData(
  open: DatasetOpener,
  c: TrainingConfig,
  target: RunDataset | undefined,
  source: { role: DatasetRole; evalLabels?: boolean } = { role: 'source' },
): Promise<TrainingData> {
  const src = await ImageSource.open(open, c.source, source.role, source.evalLabels === undefined ? {} : { evalLabels: source.evalLabels });
  const tgt = target ? await ImageSource.open(open, target, 'target') : null;
  const val = c.val ? await ImageSource.open(open, c.val, 'target', { evalLabels: true, cacheMb: 64 }) : null;
  const bnSource = c.validation.bn === 'reestimate' && c.target ? await ImageSource.open(open, c.target, 'target') : null;
  return { source: src, target: tgt, val, bnSource };
}

/** The target split of a data set whose stage requires one (stage 1, distillation, self-training). */
export function requireTarget(d: TrainingData): ImageSource {
  if (!d.target) throw new Error('this stage needs a target dataset (config.target)');
  return d.target;
}

/** The final weights of an upstream run, checked to have this run's network. */
export async function initialWeights(ctx: StageContext, runId: string) {
  const dir = ctx.resolveRun(runId);
  const up = await readConfig(dir);
  if (JSON.stringify(up.network) !== JSON.stringify(ctx.config.network))
    throw new Error(`run ${runId} has network ${JSON.stringify(up.network)}, this run ${JSON.stringify(ctx.config.network)}`);
  return readModel(dir);
}

/**
 * The student and a second net of the same weights (stage 1's EMA net, self-training's frozen labeller), both from
 * the final weights of the upstream run `runId`.
 */
export async function studentAndCopy(ctx: StageContext<TrainingConfig>, runId: string): Promise<[SegNet, SegNet]> {
  const { network, seed } = ctx.config;
  const init = await initialWeights(ctx, runId);
  return [buildNet(network, seed, init.weights), buildNet(network, seed, init.weights)];
}

/** The engine options of iteration `it` that come straight from the run config (schedule, LR groups, seed). */
export const stepOptions = (c: TrainingConfig, it: number): StepOptions => ({
  iteration: it,
  polyHorizon: c.optim.polyHorizon,
  polyPower: c.optim.power,
  lr: c.optim.lr,
  lrGroups: c.optim.lrGroups,
  seed: c.seed,
  dropout: true,
});

type OptimState = Record<string, { shape: number[]; data: Float32Array }>;

export function optimToTensors(prefix: string, state: OptimState, out: TensorMap): void {
  for (const [k, v] of Object.entries(state)) out[`${prefix}${k}`] = { shape: v.shape, data: v.data };
}
export function tensorsToOptim(prefix: string, t: TensorMap): OptimState {
  const out: OptimState = {};
  for (const [k, v] of Object.entries(t)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = { shape: v.shape, data: v.data as Float32Array };
  return out;
}

/** Everything the training programs share: datasets, the student's SGD, validation, the final model. */
export abstract class TrainingProgram<C extends TrainingConfig> implements StageProgram {
  readonly iterations: number;
  protected readonly c: C;
  protected readonly sgd: Sgd;
  validate?: () => Promise<EvalResult>;
  /** Iterations whose target loss had no valid pixel (per term), counted across resumes through the checkpoint state. */
  private empty: Record<string, number> = {};

  constructor(
    protected readonly ctx: StageContext<C>,
    protected readonly data: TrainingData,
    protected readonly student: SegNet,
  ) {
    const c = ctx.config;
    this.c = c;
    this.iterations = c.optim.iterations;
    this.sgd = new Sgd({ momentum: c.optim.momentum, weightDecay: c.optim.weightDecay });
    const { val, bnSource } = data;
    if (val)
      this.validate = async () =>
        evaluate({ network: this.student.config, weights: await this.student.getWeights() }, val, { bn: c.validation.bn, bnSource: bnSource ?? undefined, limit: c.validation.limit, cancelled: ctx.cancelled });
  }

  /**
   * Notes an iteration where a target term reduced over no valid pixel: the engine returns 0 there (torch: NaN), so
   * the iteration trains on the source alone for that term. The first one is logged at once, the totals at the end.
   */
  protected noteEmpty(it: number, terms: string[]): void {
    for (const t of terms) {
      if (!this.empty[t]) this.ctx.log(`iteration ${it}: no valid target pixel for ${t}; the term is 0 there (torch would give NaN)`);
      this.empty[t] = (this.empty[t] ?? 0) + 1;
    }
  }

  /** Student weights and optimiser state; stages with more state (EMA net, prototypes, discriminator) add it in the hooks. */
  async snapshot(): Promise<{ tensors: TensorMap; state: Record<string, unknown> }> {
    const t = weightsToTensors('student.', await this.student.getWeights());
    optimToTensors('optim.', await this.sgd.exportState(), t);
    await this.snapshotMore(t);
    return { tensors: t, state: { emptyTargetIterations: { ...this.empty } } };
  }
  async restore(ckpt: Checkpoint): Promise<void> {
    this.student.setWeights(tensorsToWeights('student.', ckpt.tensors));
    this.sgd.importState(tensorsToOptim('optim.', ckpt.tensors));
    const e = ckpt.meta.state.emptyTargetIterations;
    if (e && typeof e === 'object') this.empty = Object.fromEntries(Object.entries(e).filter(([, v]) => typeof v === 'number')) as Record<string, number>;
    this.restoreMore(ckpt);
  }
  protected async snapshotMore(_t: TensorMap): Promise<void> {}
  protected restoreMore(_ckpt: Checkpoint): void {}
  abstract step(it: number): Promise<StepResult>;
  protected prototypes(): Prototypes | undefined {
    return undefined;
  }
  /** The networks besides the student that this program owns (disposed with it). */
  protected abstract others(): { dispose(): void }[];

  async finish(): Promise<Awaited<ReturnType<StageProgram['finish']>>> {
    const terms = Object.entries(this.empty);
    this.ctx.log(
      terms.length
        ? `iterations with no valid target pixel: ${terms.map(([t, n]) => `${t} ${n} of ${this.iterations}`).join(', ')}`
        : 'iterations with no valid target pixel: none',
    );
    const artifacts = [await writeModel(this.ctx.runDir, await this.student.getWeights(), this.prototypes())];
    const final = this.validate ? await this.validate() : null;
    return { final, artifacts };
  }

  numTensors = liveTensors;

  dispose(): void {
    this.student.dispose();
    for (const n of this.others()) n.dispose();
  }
}
