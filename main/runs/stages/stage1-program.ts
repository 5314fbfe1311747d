// The stage-1 program (prototypical pseudo-label denoising): student, EMA net and prototypes trained on the
// rectified soft pseudo-labels of an upstream soft pseudo-label run.
import type { ConfigOf } from '../../../shared/runs-config';
import { softPseudoToWeak } from '../../engine/aug/align';
import { withTensors } from '../../engine/batch-scope';
import type { SegNet } from '../../engine/nets';
import type { Prototypes } from '../../engine/proda/prototypes';
import { stage1Step } from '../../engine/train/stage1';
import type { Checkpoint } from '../../artifacts/checkpoints';
import type { StageContext, StageProgram, StepResult } from '../program';
import type { TensorMap } from '../../artifacts/safetensors';
import { STREAM, strongAlignOf, strongViews, weakBatch } from './batches';
import { inputTensor, labelTensor, softLabelTensor, type DatasetOpener, type ImageSource } from './data';
import { SoftLabels } from './label-sources';
import { prototypesToTensors, readPrototypes, tensorsToPrototypes, tensorsToWeights, weightsToTensors } from '../../artifacts/model';
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
    const batch = () => {
      const targetFull = inputTensor(fulls);
      const [, fh, fw] = targetFull.shape;
      return {
        source: inputTensor(s.images),
        sourceLabels: labelTensor(s.labels),
        targetWeak: inputTensor(t.images),
        targetStrong: inputTensor(strong.map((x) => x.image)),
        targetFull,
        // p_{t,0}: the saved 1/8 softmax up to the full image, through each weak view's resize, crop and flip, then ×1/4.
        softPseudo: softPseudoToWeak(softLabelTensor(softs), [fh, fw], t.params),
      };
    };
    const r = await withTensors(batch, (b) =>
      stage1Step(
        { student: this.student, ema: this.ema, prototypes: this.protos, optimizer: this.sgd },
        { ...b, weakParams: t.params, strongOps: strong.map((x) => x.ops) },
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
      ),
    );
    this.noteEmpty(it, [...(r.validTargetPixels === 0 ? ['SCE'] : []), ...(r.klElements === 0 ? ['structure KL'] : [])]);
    return {
      losses: { source_ce: r.sourceCe, sce: r.sce, ce: r.ce, rce: r.rce, reg: r.regular, kl: r.structureKl, rectified_changed: r.rectifiedChanged },
      lr: r.lr,
    };
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
