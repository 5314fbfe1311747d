// The self-training program: the baseline ProDA is compared against, a student trained on the confident
// argmax of a frozen labeller (the initial model).
import { BN_REESTIMATE_IMAGES, type ConfigOf } from '../../../shared/runs-config';
import { withTensors } from '../../engine/batch-scope';
import type { SegNet } from '../../engine/nets';
import { reestimateBn } from '../../engine/predict';
import { selfTrainStep } from '../../engine/train/selftrain';
import type { StageContext, StageProgram, StepResult } from '../program';
import { STREAM, weakBatch } from './batches';
import { inputTensor, labelTensor, type DatasetOpener } from './data';
import { openTrainingData, requireTarget, stepOptions, studentAndCopy, TrainingProgram, type TrainingData } from './training-program';

type Config = ConfigOf<'selftrain'>;

class SelfTrainProgram extends TrainingProgram<Config> {
  constructor(
    ctx: StageContext<Config>,
    data: TrainingData,
    net: SegNet,
    private readonly labeller: SegNet,
  ) {
    super(ctx, data, net);
  }
  protected others() {
    return [this.labeller];
  }
  async step(it: number): Promise<StepResult> {
    const c = this.c;
    const s = await weakBatch(this.data.source, c, it, STREAM.source, true);
    const t = await weakBatch(requireTarget(this.data), c, it, STREAM.target, false);
    const batch = () => ({ source: inputTensor(s.images), sourceLabels: labelTensor(s.labels), target: inputTensor(t.images) });
    const r = await withTensors(batch, (b) => selfTrainStep({ student: this.student, labeller: this.labeller, optimizer: this.sgd }, b, { ...stepOptions(c, it), threshold: c.threshold }));
    if (r.labelledFraction === 0) this.noteEmpty(it, ['target CE']);
    return { losses: { source_ce: r.sourceCe, target_ce: r.targetCe, labelled: r.labelledFraction }, lr: r.lr };
  }
}

export const selftrainProgram =
  (open: DatasetOpener) =>
  async (ctx: StageContext<Config>): Promise<StageProgram> => {
    const c = ctx.config;
    const [net, labeller] = await studentAndCopy(ctx, c.init);
    const data = await openTrainingData(open, c, c.target);
    if (c.labellerBn === 'reestimate') await reestimateBn(labeller, requireTarget(data), BN_REESTIMATE_IMAGES);
    return new SelfTrainProgram(ctx, data, net, labeller);
  };
