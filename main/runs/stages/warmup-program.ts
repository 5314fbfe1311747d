// The warm-up program: source CE plus the output-space LS-GAN; with adversarialWeight 0 plain source-only
// training (also the target oracle, with targetLabels).
import type { ConfigOf } from '../../../shared/runs-config';
import { Discriminator, type SegNet } from '../../engine/nets';
import { Adam } from '../../engine/optim/adam';
import { withTensors } from '../../engine/batch-scope';
import { sourceOnlyStep, warmupStep, type WarmupOptions } from '../../engine/train/warmup';
import type { Checkpoint } from '../../artifacts/checkpoints';
import type { StageContext, StageProgram, StepResult } from '../program';
import type { TensorMap } from '../../artifacts/safetensors';
import { STREAM, weakBatch } from './batches';
import { inputTensor, labelTensor, type DatasetOpener } from './data';
import { buildNet } from './net';
import { tensorsToWeights, weightsToTensors } from '../../artifacts/model';
import { initialWeights, openTrainingData, optimToTensors, stepOptions, tensorsToOptim, TrainingProgram, type TrainingData } from './training-program';

type Config = ConfigOf<'warmup'>;

class WarmupProgram extends TrainingProgram<Config> {
  /** The discriminator and its Adam, when the warm-up is adversarial. */
  private readonly adversary: { disc: Discriminator; optD: Adam } | null;
  constructor(ctx: StageContext<Config>, data: TrainingData, net: SegNet) {
    super(ctx, data, net);
    const c = this.c;
    if (c.adversarialWeight > 0 && !data.target) throw new Error('adversarial warm-up needs a target dataset (config.target)');
    this.adversary = c.adversarialWeight > 0 ? { disc: new Discriminator(c.network.classes, { seed: c.seed + 1 }), optD: new Adam({ beta1: 0.9, beta2: 0.99 }) } : null;
  }
  protected others() {
    return this.adversary ? [this.adversary.disc] : [];
  }
  protected override async snapshotMore(t: TensorMap) {
    if (!this.adversary) return;
    weightsToTensors('disc.', await this.adversary.disc.getWeights(), t);
    optimToTensors('optimD.', await this.adversary.optD.exportState(), t);
  }
  protected override restoreMore(ckpt: Checkpoint) {
    if (!this.adversary) return;
    this.adversary.disc.setWeights(tensorsToWeights('disc.', ckpt.tensors));
    this.adversary.optD.importState(tensorsToOptim('optimD.', ckpt.tensors));
  }
  async step(it: number): Promise<StepResult> {
    const c = this.c;
    const s = await weakBatch(this.data.source, c, it, STREAM.source, true);
    const o: WarmupOptions = { ...stepOptions(c, it), discriminatorLr: c.discriminatorLr, adversarialWeight: c.adversarialWeight, freezeBn: c.freezeBn };
    if (this.adversary && this.data.target) {
      const { disc, optD } = this.adversary;
      const t = await weakBatch(this.data.target, c, it, STREAM.target, false);
      const batch = () => ({ source: inputTensor(s.images), sourceLabels: labelTensor(s.labels), target: inputTensor(t.images) });
      const r = await withTensors(batch, (b) => warmupStep({ net: this.student, discriminator: disc, optimizer: this.sgd, optimizerD: optD }, b, o));
      return { losses: { source_ce: r.sourceCe, adv_g: r.advG, disc: r.discriminator }, lr: r.lr };
    }
    const batch = () => ({ source: inputTensor(s.images), sourceLabels: labelTensor(s.labels) });
    const r = await withTensors(batch, (b) => sourceOnlyStep({ net: this.student, optimizer: this.sgd }, b, o));
    return { losses: { source_ce: r.sourceCe }, lr: r.lr };
  }
}

export const warmupProgram =
  (open: DatasetOpener) =>
  async (ctx: StageContext<Config>): Promise<StageProgram> => {
    const c = ctx.config;
    const net = buildNet(c.network, c.seed, c.init ? (await initialWeights(ctx, c.init)).weights : undefined);
    const data = await openTrainingData(open, c, c.adversarialWeight > 0 ? c.target : undefined, { role: c.targetLabels ? 'target' : 'source', evalLabels: c.targetLabels });
    return new WarmupProgram(ctx, data, net);
  };
