// The stage-1 program (prototypical pseudo-label denoising): student, EMA net and prototypes trained on the
// rectified soft pseudo-labels of an upstream soft pseudo-label run.
import * as tf from '@tensorflow/tfjs';
import type { ConfigOf } from '../../../shared/runs-config';
import { softPseudoToWeak } from '../../engine/aug/align';
import type { SegNet } from '../../engine/nets';
import type { Prototypes } from '../../engine/proda/prototypes';
import { stage1Step } from '../../engine/train/stage1';
import type { Checkpoint } from '../checkpoints';
import type { StageContext, StageProgram, StepResult } from '../program';
import type { TensorMap } from '../tensor-file';
import { STREAM, strongAlignOf, strongViews, weakBatch } from './batches';
import { inputTensor, labelTensor, softLabelTensor, type DatasetOpener, type ImageSource } from './data';
import { SoftLabels } from './label-sources';
import { prototypesToTensors, readPrototypes, tensorsToPrototypes, tensorsToWeights, weightsToTensors } from './net';
import { openTrainingData, requireTarget, stepOptions, studentAndCopy, TrainingProgram, type TrainingData } from './training-program';

type Config = ConfigOf<'stage1'>;

class Stage1Program extends TrainingProgram<Config> {
  private readonly target: ImageSource;
  constructor(
    ctx: StageContext<Config>,
    data: TrainingData,
    net: SegNet,
    private readonly ema: SegNet,
    private protos: Prototypes,
    private readonly soft: SoftLabels,
  ) {
    super(ctx, data, net);
    this.target = requireTarget(data);
  }
  protected others() {
    return [this.ema];
  }
  protected override prototypes() {
    return this.protos;
  }
  protected override async snapshotMore(t: TensorMap) {
    weightsToTensors('ema.', await this.ema.getWeights(), t);
    prototypesToTensors(this.protos, t);
  }
  protected override restoreMore(ckpt: Checkpoint) {
    this.ema.setWeights(tensorsToWeights('ema.', ckpt.tensors));
    const p = tensorsToPrototypes(ckpt.tensors);
    if (!p) throw new Error('stage-1 checkpoint without prototypes');
    this.protos = p;
  }
  async step(it: number): Promise<StepResult> {
    const c = this.c;
    const s = await weakBatch(this.data.source, c, it, STREAM.source, true);
    const t = await weakBatch(this.target, c, it, STREAM.target, false);
    const strong = strongViews(t.images, c, it);
    const fulls = await Promise.all(t.indices.map((i) => this.target.image(i)));
    const softs = await Promise.all(t.indices.map((i) => this.soft.get(this.target.ids[i])));
    const tensors: tf.Tensor[] = [];
    try {
      const source = inputTensor(s.images);
      const sourceLabels = labelTensor(s.labels);
      const targetWeak = inputTensor(t.images);
      const targetStrong = inputTensor(strong.map((x) => x.image));
      const targetFull = inputTensor(fulls);
      tensors.push(source, sourceLabels, targetWeak, targetStrong, targetFull);
      const [, fh, fw] = targetFull.shape;
      // p_{t,0}: the saved 1/8 softmax up to the full image, through each weak view's resize, crop and flip, then ×1/4.
      const stored = softLabelTensor(softs);
      tensors.push(stored);
      const softPseudo = softPseudoToWeak(stored, [fh, fw], t.params);
      tensors.push(softPseudo);
      const r = await stage1Step(
        { student: this.student, ema: this.ema, prototypes: this.protos, optimizer: this.sgd },
        { source, sourceLabels, targetWeak, targetStrong, targetFull, softPseudo, weakParams: t.params, strongOps: strong.map((x) => x.ops) },
        {
          ...stepOptions(c, it),
          rceAlpha: c.rceAlpha,
          rceBeta: c.rceBeta,
          regularWeight: c.regularWeight,
          regularType: c.regularType,
          protoConsistWeight: c.protoConsistWeight,
          protoTemperature: c.protoTemperature,
          protoMomentum: c.protoMomentum,
          emaDecay: c.emaDecay,
          trainThreshold: c.trainThreshold,
          minPixels: 10,
          align: strongAlignOf(c),
        },
      );
      this.noteEmpty(it, [...(r.validTargetPixels === 0 ? ['SCE'] : []), ...(r.klElements === 0 ? ['structure KL'] : [])]);
      return {
        losses: { source_ce: r.sourceCe, sce: r.sce, ce: r.ce, rce: r.rce, reg: r.regular, kl: r.structureKl, rectified_changed: r.rectifiedChanged },
        lr: r.lr,
      };
    } finally {
      tf.dispose(tensors);
    }
  }
}

export const stage1Program =
  (open: DatasetOpener) =>
  async (ctx: StageContext<Config>): Promise<StageProgram> => {
    const c = ctx.config;
    const [net, ema] = await studentAndCopy(ctx, c.init);
    const protos = await readPrototypes(ctx.resolveRun(c.pseudo));
    const soft = await SoftLabels.open(ctx.resolveRun(c.pseudo));
    const data = await openTrainingData(open, c, c.target);
    return new Stage1Program(ctx, data, net, ema, protos, soft);
  };
