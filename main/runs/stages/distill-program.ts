// The distillation program (stages 2 and 3): a student trained on thresholded hard pseudo-labels, optionally
// with hand corrections merged in, and on KD to a frozen teacher.
import { BN_REESTIMATE_IMAGES, type ConfigOf } from '../../../shared/runs-config';
import { applyWeakLabel } from '../../engine/aug/weak';
import { withTensors } from '../../engine/batch-scope';
import type { SegNet } from '../../engine/nets';
import { reestimateBn } from '../../engine/predict';
import { distillStep } from '../../engine/train/distill';
import { correctionUses, loadCorrections, type Correction } from '../../labels/corrections';
import type { StageContext, StageProgram, StepResult } from '../program';
import { readConfig } from '../../artifacts/records';
import { quarterNearest, STREAM, strongAlignOf, strongViews, weakBatch, type LabelRaster } from './batches';
import { inputTensor, labelTensor, pixelWeightTensor, type DatasetOpener, type ImageSource } from './data';
import { correctedTarget, HardLabels, withCorrectedSlots } from './label-sources';
import { buildNet } from './net';
import { readModel } from '../../artifacts/model';
import { initialWeights, openTrainingData, requireTarget, stepOptions, TrainingProgram, type TrainingData } from './training-program';

type Config = ConfigOf<'distill'>;

class DistillProgram extends TrainingProgram<Config> {
  private readonly target: ImageSource;
  private readonly correctedIndices: number[];
  constructor(
    ctx: StageContext<Config>,
    data: TrainingData,
    net: SegNet,
    private readonly teacher: SegNet,
    private readonly labels: HardLabels,
    private readonly corrections: Map<string, Correction> | null,
  ) {
    super(ctx, data, net);
    const target = requireTarget(data);
    this.target = target;
    this.correctedIndices = corrections ? target.ids.flatMap((id, i) => (corrections.has(id) ? [i] : [])) : [];
  }
  override async finish() {
    const fin = await super.finish();
    return this.corrections ? { ...fin, corrections: correctionUses(this.corrections) } : fin;
  }
  protected others() {
    return [this.teacher];
  }
  async step(it: number): Promise<StepResult> {
    const c = this.c;
    const s = await weakBatch(this.data.source, c, it, STREAM.source, true);
    const pick = (indices: number[]) => withCorrectedSlots(indices, this.correctedIndices, c.corrections?.perBatch ?? 0, c.seed, it);
    const t = await weakBatch(this.target, c, it, STREAM.target, false, pick);
    const strong = strongViews(t.images, c, it);
    const weight = c.corrections?.weight ?? 1;
    const merged = await Promise.all(
      t.indices.map(async (i) => {
        const id = this.target.ids[i];
        const pseudo = await this.labels.get(id);
        return this.corrections ? correctedTarget(pseudo, this.corrections.get(id), weight) : { labels: pseudo, touched: null };
      }),
    );
    const pl = merged.map((m, n) => quarterNearest(applyWeakLabel(m.labels, t.params[n])));
    const touched = merged.map((m, n) => (m.touched ? quarterNearest(applyWeakLabel(m.touched, t.params[n])) : null));
    const batch = () => ({
      source: inputTensor(s.images),
      sourceLabels: labelTensor(s.labels),
      targetStrong: inputTensor(strong.map((x) => x.image)),
      pseudoLabels: labelTensor(pl),
      pseudoWeights: touched.every((x) => x !== null) ? pixelWeightTensor(touched as LabelRaster[], weight) : undefined,
    });
    const r = await withTensors(batch, (b) =>
      distillStep(
        { student: this.student, teacher: this.teacher, optimizer: this.sgd },
        { ...b, strongOps: strong.map((x) => x.ops) },
        { ...stepOptions(c, it), weight: c.kdWeight, kdStudent: c.kdFaithfulBug ? 'softmax-reference-bug' : 'log_softmax', align: strongAlignOf(c) },
      ),
    );
    if (r.labelledFraction === 0) this.noteEmpty(it, ['target CE']);
    return { losses: { source_ce: r.sourceCe, target_ce: r.targetCe, kd: r.kd, labelled: r.labelledFraction }, lr: r.lr };
  }
}

/** The hand corrections a distillation trains on, checked to name images of its target split. */
async function openCorrections(ctx: StageContext<Config>, target: ImageSource): Promise<Map<string, Correction> | null> {
  const o = ctx.config.corrections;
  if (!o) return null;
  const corrections = await loadCorrections(ctx.workspace, o.dataset, { minTouched: o.minTouched });
  const known = new Set(target.ids);
  const unknown = [...corrections.keys()].filter((id) => !known.has(id));
  if (unknown.length) throw new Error(`corrections.dataset '${o.dataset}': images ${unknown.slice(0, 3).join(', ')} are not in the target split`);
  ctx.log(`corrections: ${corrections.size} images, ${correctionUses(corrections).reduce((a, u) => a + u.touchedPixels, 0)} touched pixels, weight ${o.weight}`);
  return corrections;
}

export const distillProgram =
  (open: DatasetOpener) =>
  async (ctx: StageContext<Config>): Promise<StageProgram> => {
    const c = ctx.config;
    const tdir = ctx.resolveRun(c.teacher);
    const tcfg = await readConfig(tdir);
    const teacher = buildNet(tcfg.network, tcfg.seed, (await readModel(tdir)).weights);
    const net = buildNet(c.network, c.seed, c.studentInit === 'fresh' ? undefined : (await initialWeights(ctx, c.studentInit)).weights);
    const labels = await HardLabels.open(ctx.resolveRun(c.labels), c);
    if (typeof labels.threshold !== 'number') ctx.log(`class-balanced thresholds (keep ${c.classBalance} of each class): ${[...labels.threshold].map((t) => t.toFixed(3)).join(' ')}`);
    const data = await openTrainingData(open, c, c.target);
    const target = requireTarget(data);
    if (c.teacherBn === 'reestimate') await reestimateBn(teacher, target, BN_REESTIMATE_IMAGES);
    return new DistillProgram(ctx, data, net, teacher, labels, await openCorrections(ctx, target));
  };
