// Training stages as run programs: they feed the engine's step functions (main/engine/train) with
// seeded batches, keep everything a resume needs in checkpoints, and write the final model. Every
// random draw of iteration `it` comes from (seed, it, stream), so a resumed run repeats the
// uninterrupted one exactly.
import path from 'node:path';
import { promises as fsp } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { BN_REESTIMATE_IMAGES, type ConfigOf, type TrainingConfig } from '../../../shared/runs-config';
import type { EvalResult } from '../../../shared/contract/runs';
import { Rng } from '../../engine/aug/rng';
import { applyWeakImage, applyWeakLabel, sampleWeakParams, type WeakOptions, type WeakParams } from '../../engine/aug/weak';
import { strongAugment, type StrongOp } from '../../engine/aug/strong';
import { softPseudoToWeak, type StrongAlignOptions } from '../../engine/aug/align';
import { Discriminator, type SegNet } from '../../engine/nets';
import { resizeBilinearAligned } from '../../engine/ops';
import { Adam } from '../../engine/optim/adam';
import { Sgd } from '../../engine/optim/sgd';
import { lrScaleFor, polyLr } from '../../engine/optim/schedule';
import { crossEntropy } from '../../engine/proda/losses';
import type { Prototypes } from '../../engine/proda/prototypes';
import { warmupStep } from '../../engine/train/warmup';
import { stage1Step } from '../../engine/train/stage1';
import { ClassBalancedThresholds, distillStep, thresholdPseudoLabels } from '../../engine/train/distill';
import { selfTrainStep } from '../../engine/train/selftrain';
import { batchNormAffineNames, disposeGrads, dropoutSeed, lossAndGrads } from '../../engine/train/grads';
import { takeNumber } from '../../engine/read';
import { readNpyFile } from '../../io/npy';
import { decodeLabel8 } from '../../io/png';
import { batchIndices } from '../data-order';
import type { Checkpoint } from '../../artifacts/checkpoints';
import type { StageContext, StageProgram, StepResult } from '../program';
import type { TensorMap } from '../../artifacts/safetensors';
import { ImageSource, inputTensor, labelTensor, type DatasetOpener } from './data';
import { reestimateBn, spread } from '../../engine/predict';
import { evaluate } from './evaluate';
import { buildNet } from './net';
import { prototypesToTensors, readModel, readPrototypes, tensorsToPrototypes, tensorsToWeights, weightsToTensors, writeModel } from '../../artifacts/model';
import { readPseudoIndex, type PseudoIndex } from '../../artifacts/pseudo-index';
import { readConfig } from '../../artifacts/records';
import { correctionUses, loadCorrections, mergeCorrection, type Correction } from '../../labels/corrections';
import { IGNORE_LABEL } from '../../../shared/classes';

const STREAM = { source: 1, target: 2, strong: 3, corrected: 4 } as const;

const weakOptions = (c: TrainingConfig): WeakOptions => ({
  resize: c.aug.resizeBase,
  scaleRange: c.aug.resizeRange,
  cropWidth: c.aug.cropWidth,
  cropHeight: c.aug.cropHeight,
  flipProb: c.aug.flip ? 0.5 : 0,
});

interface WeakBatch {
  indices: number[];
  images: { width: number; height: number; data: Uint8Array }[];
  labels: { width: number; height: number; data: Uint8Array }[];
  params: WeakParams[];
}

async function weakBatch(
  src: ImageSource,
  c: TrainingConfig,
  it: number,
  stream: number,
  withLabels: boolean,
  pick: (indices: number[]) => number[] = (i) => i,
): Promise<WeakBatch> {
  const indices = pick(batchIndices(c.seed, it, c.optim.batchSize, src.size, stream));
  const rng = new Rng(c.seed, it, stream);
  const out: WeakBatch = { indices, images: [], labels: [], params: [] };
  for (const i of indices) {
    const img = await src.image(i);
    const p = sampleWeakParams(rng, img.width, img.height, weakOptions(c));
    out.params.push(p);
    out.images.push(applyWeakImage(img, p));
    if (withLabels) out.labels.push(applyWeakLabel(await src.requireLabel(i), p));
  }
  return out;
}

/** The config's strong-view alignment for the 1/4-crop label maps (defaults correct; the reference's quirks selectable). */
export const strongAlignOf = (c: ConfigOf<'stage1' | 'distill'>): StrongAlignOptions => ({ ...c.strongAlign, scale: 4 });

/** The strong views x^S of a target batch, or the weak crops unchanged (no ops) where the config turns them off. */
function strongViews(images: WeakBatch['images'], c: { seed: number; strongAug: boolean }, it: number): { image: WeakBatch['images'][number]; ops: StrongOp[] }[] {
  const rng = new Rng(c.seed, it, STREAM.strong);
  return images.map((img) => (c.strongAug ? strongAugment(img, rng) : { image: img, ops: [] }));
}

/** Nearest ×1/4 as F.interpolate(scale_factor=0.25) does it: the pixel at (4i, 4j). */
function quarterNearest(l: { width: number; height: number; data: Uint8Array }): { width: number; height: number; data: Uint8Array } {
  const w = Math.trunc(l.width / 4);
  const h = Math.trunc(l.height / 4);
  const data = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = l.data[4 * y * l.width + 4 * x];
  return { width: w, height: h, data };
}

/** Everything the training programs share: datasets, validation, the final model. */
abstract class TrainingProgram implements StageProgram {
  readonly iterations: number;
  protected last: StepResult | null = null;
  protected readonly sgd: Sgd;
  constructor(
    protected readonly ctx: StageContext,
    protected readonly cfg: TrainingConfig,
    protected readonly val: ImageSource | null,
    protected readonly bnSource: ImageSource | null,
  ) {
    this.iterations = cfg.optim.iterations;
    this.sgd = sgdFor(cfg);
    if (val)
      this.validate = async () =>
        evaluate({ network: this.student.config, weights: await this.student.getWeights() }, val, { bn: cfg.validation.bn, bnSource: bnSource ?? undefined, limit: cfg.validation.limit, cancelled: ctx.cancelled });
  }
  abstract get student(): SegNet;

  /** Iterations whose target loss had no valid pixel (per term), counted across resumes through the checkpoint state. */
  private empty: Record<string, number> = {};

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
  protected abstract nets(): SegNet[];

  validate?: () => Promise<EvalResult>;

  async finish() {
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

  numTensors = (): number => tf.memory().numTensors;

  dispose(): void {
    for (const n of this.nets()) n.dispose();
  }
}

async function valSources(open: DatasetOpener, c: TrainingConfig): Promise<[ImageSource | null, ImageSource | null]> {
  const val = c.val ? await ImageSource.open(open, c.val, 'target', { evalLabels: true, cacheMb: 64 }) : null;
  const bn = c.validation.bn === 'reestimate' && c.target ? await ImageSource.open(open, c.target, 'target') : null;
  return [val, bn];
}

const sgdFor = (c: TrainingConfig) => new Sgd({ momentum: c.optim.momentum, weightDecay: c.optim.weightDecay });

function optimToTensors(prefix: string, state: Record<string, { shape: number[]; data: Float32Array }>, out: TensorMap): void {
  for (const [k, v] of Object.entries(state)) out[`${prefix}${k}`] = { shape: v.shape, data: v.data };
}
function tensorsToOptim(prefix: string, t: TensorMap): Record<string, { shape: number[]; data: Float32Array }> {
  const out: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [k, v] of Object.entries(t)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = { shape: v.shape, data: v.data as Float32Array };
  return out;
}

/** Warm-up: source CE plus the output-space LS-GAN; with adversarialWeight 0 plain source-only training (also the oracle). */
class WarmupProgram extends TrainingProgram {
  private readonly c: ConfigOf<'warmup'>;
  private readonly disc: Discriminator | null;
  private readonly optD: Adam | null;
  constructor(
    ctx: StageContext,
    private readonly net: SegNet,
    private readonly source: ImageSource,
    private readonly target: ImageSource | null,
    val: ImageSource | null,
    bn: ImageSource | null,
  ) {
    super(ctx, ctx.config as TrainingConfig, val, bn);
    this.c = ctx.config as ConfigOf<'warmup'>;
    const adversarial = this.c.adversarialWeight > 0;
    if (adversarial && !target) throw new Error('adversarial warm-up needs a target dataset (config.target)');
    this.disc = adversarial ? new Discriminator(this.c.network.classes, { seed: this.c.seed + 1 }) : null;
    this.optD = adversarial ? new Adam({ beta1: 0.9, beta2: 0.99 }) : null;
  }
  get student() {
    return this.net;
  }
  protected nets() {
    return [this.net, ...(this.disc ? [this.disc as unknown as SegNet] : [])];
  }
  protected override async snapshotMore(t: TensorMap) {
    if (this.disc && this.optD) {
      weightsToTensors('disc.', await this.disc.getWeights(), t);
      optimToTensors('optimD.', await this.optD.exportState(), t);
    }
  }
  protected override restoreMore(ckpt: Checkpoint) {
    if (this.disc && this.optD) {
      this.disc.setWeights(tensorsToWeights('disc.', ckpt.tensors));
      this.optD.importState(tensorsToOptim('optimD.', ckpt.tensors));
    }
  }
  async step(it: number): Promise<StepResult> {
    const c = this.c;
    const s = await weakBatch(this.source, c, it, STREAM.source, true);
    const source = inputTensor(s.images);
    const sourceLabels = labelTensor(s.labels);
    try {
      if (this.disc && this.optD && this.target) {
        const t = await weakBatch(this.target, c, it, STREAM.target, false);
        const target = inputTensor(t.images);
        try {
          const r = await warmupStep(
            { net: this.net, discriminator: this.disc, optimizer: this.sgd, optimizerD: this.optD },
            { source, sourceLabels, target },
            {
              iteration: it,
              maxIterations: c.optim.polyHorizon,
              polyPower: c.optim.power,
              lr: c.optim.lr,
              lrGroups: c.optim.lrGroups,
              lrD: c.discriminatorLr,
              adv: c.adversarialWeight,
              freezeBn: c.freezeBn,
              seed: c.seed,
              dropout: true,
            },
          );
          return { losses: { source_ce: r.sourceCe, adv_g: r.advG, disc: r.discriminator }, lr: r.lr };
        } finally {
          target.dispose();
        }
      }
      // Source-only: the warm-up's generator loss without the adversarial term (no discriminator to run).
      const lr = polyLr(c.optim.lr, it, c.optim.polyHorizon, c.optim.power);
      const frozen = c.freezeBn ? batchNormAffineNames(this.net) : undefined;
      const g = lossAndGrads(
        this.net,
        () => {
          const [, H, W] = sourceLabels.shape;
          const out = this.net.apply(source, { training: true, bnTraining: !c.freezeBn, dropout: true, dropoutSeed: dropoutSeed(c.seed, it, 0) });
          return crossEntropy(resizeBilinearAligned(out.logits, [H, W]), sourceLabels);
        },
        frozen,
      );
      this.sgd.step(this.net.params, g.grads, (name) => lr * lrScaleFor(c.optim.lrGroups, name));
      disposeGrads(g.grads);
      return { losses: { source_ce: await takeNumber(g.value) }, lr };
    } finally {
      tf.dispose([source, sourceLabels]);
    }
  }
}

/** Soft pseudo-labels of an upstream pseudo run, read per image as [1, h, w, C]. */
class SoftLabels {
  private constructor(
    private readonly dir: string,
    private readonly index: PseudoIndex,
  ) {}
  static async open(dir: string): Promise<SoftLabels> {
    return new SoftLabels(dir, await readPseudoIndex(dir, 'soft', 'stage 1'));
  }
  async get(id: string): Promise<tf.Tensor4D> {
    const f = this.index.files[id]?.soft;
    if (!f) throw new Error(`${this.dir}: no soft pseudo-label for image ${id}`);
    const a = await readNpyFile(path.join(this.dir, f));
    const [C, h, w] = a.shape;
    return tf.tidy(() => tf.tensor3d(a.data as Float32Array, [C, h, w]).transpose([1, 2, 0]).expandDims(0) as tf.Tensor4D);
  }
}

class Stage1Program extends TrainingProgram {
  private readonly c: ConfigOf<'stage1'>;
  constructor(
    ctx: StageContext,
    private readonly net: SegNet,
    private readonly ema: SegNet,
    private protos: Prototypes,
    private readonly soft: SoftLabels,
    private readonly source: ImageSource,
    private readonly target: ImageSource,
    val: ImageSource | null,
    bn: ImageSource | null,
  ) {
    super(ctx, ctx.config as TrainingConfig, val, bn);
    this.c = ctx.config as ConfigOf<'stage1'>;
  }
  get student() {
    return this.net;
  }
  protected nets() {
    return [this.net, this.ema];
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
    const s = await weakBatch(this.source, c, it, STREAM.source, true);
    const t = await weakBatch(this.target, c, it, STREAM.target, false);
    const strong = strongViews(t.images, c, it);
    const fulls = await Promise.all(t.indices.map((i) => this.target.image(i)));
    const softs = await Promise.all(t.indices.map((i) => this.soft.get(this.target.ids[i])));
    const tensors: tf.Tensor[] = [...softs];
    try {
      const source = inputTensor(s.images);
      const sourceLabels = labelTensor(s.labels);
      const targetWeak = inputTensor(t.images);
      const targetStrong = inputTensor(strong.map((x) => x.image));
      const targetFull = inputTensor(fulls);
      tensors.push(source, sourceLabels, targetWeak, targetStrong, targetFull);
      const [, fh, fw] = targetFull.shape;
      // p_{t,0}: the saved 1/8 softmax up to the full image, through each weak view's resize, crop and flip, then ×1/4.
      const stored = tf.concat(softs, 0) as tf.Tensor4D;
      tensors.push(stored);
      const softPseudo = softPseudoToWeak(stored, [fh, fw], t.params);
      tensors.push(softPseudo);
      const r = await stage1Step(
        { student: this.net, ema: this.ema, prototypes: this.protos, optimizer: this.sgd },
        { source, sourceLabels, targetWeak, targetStrong, targetFull, softPseudo, weakParams: t.params, strongOps: strong.map((x) => x.ops) },
        {
          iteration: it,
          maxIterations: c.optim.polyHorizon,
          lr: c.optim.lr,
          lrGroups: c.optim.lrGroups,
          polyPower: c.optim.power,
          rceAlpha: c.rceAlpha,
          rceBeta: c.rceBeta,
          regularW: c.regularWeight,
          regularType: c.regularType,
          protoConsistW: c.protoConsistWeight,
          protoTemperature: c.protoTemperature,
          protoMomentum: c.protoMomentum,
          emaDecay: c.emaDecay,
          trainThred: c.trainThreshold,
          minPixels: 10,
          align: strongAlignOf(c),
          seed: c.seed,
          dropout: true,
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

/** Hard pseudo-labels of an upstream pseudo run, thresholded on confidence as stages 2/3 load them. */
class HardLabels {
  private constructor(
    private readonly dir: string,
    private readonly index: PseudoIndex,
    /** The global threshold, or per-class thresholds (classBalance). */
    readonly threshold: number | Float32Array,
  ) {}
  static async open(dir: string, c: { threshold: number; classBalance?: number; network: { classes: number } }): Promise<HardLabels> {
    const index = await readPseudoIndex(dir, 'hard', 'distillation');
    const raw = new HardLabels(dir, index, c.threshold);
    if (c.classBalance === undefined) return raw;
    // Quantiles from at most 500 images spread over the set and about 4M of their pixels: the start of a
    // Cityscapes-sized run reads 500 label files, not all 2975 (the demo's 400 are all read).
    const all = Object.keys(index.files);
    const ids = spread(all.length, 500).map((i) => all[i]);
    const acc = new ClassBalancedThresholds(c.network.classes);
    for (const id of ids) {
      const r = await raw.read(id);
      acc.add(r.labels, r.conf, Math.max(1, Math.floor((ids.length * r.labels.length) / 4e6)));
    }
    return new HardLabels(dir, index, acc.thresholds(c.classBalance, c.threshold));
  }
  private async read(id: string): Promise<{ width: number; height: number; labels: Uint8Array; conf: Float32Array }> {
    const f = this.index.files[id];
    if (!f?.label || !f.conf) throw new Error(`${this.dir}: no hard pseudo-label for image ${id}`);
    const file = path.join(this.dir, f.label);
    const label = decodeLabel8(new Uint8Array(await fsp.readFile(file)), file);
    const conf = await readNpyFile(path.join(this.dir, f.conf));
    return { width: label.width, height: label.height, labels: label.data, conf: conf.data as Float32Array };
  }
  async get(id: string): Promise<{ width: number; height: number; data: Uint8Array }> {
    const r = await this.read(id);
    return { width: r.width, height: r.height, data: thresholdPseudoLabels(r.labels, r.conf, this.threshold) };
  }
}

type LabelRaster = { width: number; height: number; data: Uint8Array };

/**
 * The target labels of one image with its hand correction merged in (main/labels/corrections): the person's label
 * on touched pixels, the thresholded pseudo-label elsewhere. Merging happens at full image size, before any
 * augmentation, so corrections follow the pseudo-label through the weak and strong geometry. `touched` marks the
 * pixels whose loss weight differs from 1 (only built when the weight is not 1: with weight 1 the labels say all).
 */
export function correctedTarget(pseudo: LabelRaster, c: Correction | undefined, weight: number): { labels: LabelRaster; touched: LabelRaster | null } {
  if (!c) return { labels: pseudo, touched: weight === 1 ? null : { ...pseudo, data: new Uint8Array(pseudo.data.length) } };
  const m = mergeCorrection(pseudo, c, { weight });
  const labels = { width: pseudo.width, height: pseudo.height, data: m.labels };
  if (weight === 1) return { labels, touched: null };
  const t = new Uint8Array(m.labels.length);
  for (let i = 0; i < t.length; i++) t[i] = m.labels[i] !== IGNORE_LABEL && m.weights[i] !== 1 ? 1 : 0;
  return { labels, touched: { width: pseudo.width, height: pseudo.height, data: t } };
}

/**
 * The batch with its last `perBatch` slots given to corrected images, drawn in their own seeded epoch order,
 * so ten corrected images among hundreds are seen every iteration rather than once per epoch. Deterministic
 * in (seed, iteration), so a resumed run sees the same batches.
 */
export function withCorrectedSlots(indices: number[], corrected: readonly number[], perBatch: number, seed: number, it: number): number[] {
  const k = Math.min(perBatch, indices.length);
  if (!corrected.length || k === 0) return indices;
  const picked = batchIndices(seed, it, k, corrected.length, STREAM.corrected).map((j) => corrected[j]);
  return [...indices.slice(0, indices.length - k), ...picked];
}

class DistillProgram extends TrainingProgram {
  private readonly c: ConfigOf<'distill'>;
  private readonly correctedIndices: number[];
  constructor(
    ctx: StageContext,
    private readonly net: SegNet,
    private readonly teacher: SegNet,
    private readonly labels: HardLabels,
    private readonly source: ImageSource,
    private readonly target: ImageSource,
    val: ImageSource | null,
    bn: ImageSource | null,
    private readonly corrections: Map<string, Correction> | null = null,
  ) {
    super(ctx, ctx.config as TrainingConfig, val, bn);
    this.c = ctx.config as ConfigOf<'distill'>;
    this.correctedIndices = corrections ? target.ids.flatMap((id, i) => (corrections.has(id) ? [i] : [])) : [];
  }
  override async finish() {
    const fin = await super.finish();
    return this.corrections ? { ...fin, corrections: correctionUses(this.corrections) } : fin;
  }
  get student() {
    return this.net;
  }
  protected nets() {
    return [this.net, this.teacher];
  }
  private withCorrected(indices: number[], it: number): number[] {
    return withCorrectedSlots(indices, this.correctedIndices, this.c.corrections?.perBatch ?? 0, this.c.seed, it);
  }
  async step(it: number): Promise<StepResult> {
    const c = this.c;
    const s = await weakBatch(this.source, c, it, STREAM.source, true);
    const t = await weakBatch(this.target, c, it, STREAM.target, false, (i) => this.withCorrected(i, it));
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
    const source = inputTensor(s.images);
    const sourceLabels = labelTensor(s.labels);
    const targetStrong = inputTensor(strong.map((x) => x.image));
    const pseudoLabels = labelTensor(pl);
    const pseudoWeights = touched.every((x) => x !== null) ? weightTensor(touched as LabelRaster[], weight) : undefined;
    try {
      const r = await distillStep(
        { student: this.net, teacher: this.teacher, optimizer: this.sgd },
        { source, sourceLabels, targetStrong, pseudoLabels, pseudoWeights, strongOps: strong.map((x) => x.ops) },
        {
          iteration: it,
          maxIterations: c.optim.polyHorizon,
          polyPower: c.optim.power,
          lr: c.optim.lr,
          lrGroups: c.optim.lrGroups,
          weight: c.kdWeight,
          kdStudent: c.kdFaithfulBug ? 'softmax-reference-bug' : 'log_softmax',
          align: strongAlignOf(c),
          seed: c.seed,
          dropout: true,
        },
      );
      if (r.labelledFraction === 0) this.noteEmpty(it, ['target CE']);
      return { losses: { source_ce: r.sourceCe, target_ce: r.targetCe, kd: r.kd, labelled: r.labelledFraction }, lr: r.lr };
    } finally {
      tf.dispose([source, sourceLabels, targetStrong, pseudoLabels, ...(pseudoWeights ? [pseudoWeights] : [])]);
    }
  }
}

/** Per-pixel CE weights [N,h,w]: `weight` where the touched map is 1, 1 elsewhere. */
function weightTensor(touched: LabelRaster[], weight: number): tf.Tensor3D {
  const { width: w, height: h } = touched[0];
  const data = new Float32Array(touched.length * w * h);
  touched.forEach((t, n) => {
    for (let i = 0; i < w * h; i++) data[n * w * h + i] = t.data[i] ? weight : 1;
  });
  return tf.tensor3d(data, [touched.length, h, w]);
}

class SelfTrainProgram extends TrainingProgram {
  private readonly c: ConfigOf<'selftrain'>;
  constructor(
    ctx: StageContext,
    private readonly net: SegNet,
    private readonly labeller: SegNet,
    private readonly source: ImageSource,
    private readonly target: ImageSource,
    val: ImageSource | null,
    bn: ImageSource | null,
  ) {
    super(ctx, ctx.config as TrainingConfig, val, bn);
    this.c = ctx.config as ConfigOf<'selftrain'>;
  }
  get student() {
    return this.net;
  }
  protected nets() {
    return [this.net, this.labeller];
  }
  async step(it: number): Promise<StepResult> {
    const c = this.c;
    const s = await weakBatch(this.source, c, it, STREAM.source, true);
    const t = await weakBatch(this.target, c, it, STREAM.target, false);
    const source = inputTensor(s.images);
    const sourceLabels = labelTensor(s.labels);
    const target = inputTensor(t.images);
    try {
      const r = await selfTrainStep(
        { student: this.net, labeller: this.labeller, optimizer: this.sgd },
        { source, sourceLabels, target },
        { iteration: it, maxIterations: c.optim.polyHorizon, polyPower: c.optim.power, lr: c.optim.lr, threshold: c.threshold, groups: c.optim.lrGroups, seed: c.seed, dropout: true },
      );
      if (r.labelledFraction === 0) this.noteEmpty(it, ['target CE']);
      return { losses: { source_ce: r.sourceCe, target_ce: r.targetCe, labelled: r.labelledFraction }, lr: r.lr };
    } finally {
      tf.dispose([source, sourceLabels, target]);
    }
  }
}

async function initialWeights(ctx: StageContext, runId: string) {
  const dir = ctx.resolveRun(runId);
  const up = await readConfig(dir);
  if (JSON.stringify(up.network) !== JSON.stringify(ctx.config.network))
    throw new Error(`run ${runId} has network ${JSON.stringify(up.network)}, this run ${JSON.stringify(ctx.config.network)}`);
  return readModel(dir);
}

export function trainingPrograms(open: DatasetOpener) {
  return {
    warmup: async (ctx: StageContext): Promise<StageProgram> => {
      const c = ctx.config as ConfigOf<'warmup'>;
      const net = buildNet(c.network, c.seed, c.init ? (await initialWeights(ctx, c.init)).weights : undefined);
      const source = await ImageSource.open(open, c.source, c.targetLabels ? 'target' : 'source', { evalLabels: c.targetLabels });
      const target = c.target && c.adversarialWeight > 0 ? await ImageSource.open(open, c.target, 'target') : null;
      const [val, bn] = await valSources(open, c);
      return new WarmupProgram(ctx, net, source, target, val, bn);
    },
    stage1: async (ctx: StageContext): Promise<StageProgram> => {
      const c = ctx.config as ConfigOf<'stage1'>;
      const init = await initialWeights(ctx, c.init);
      const net = buildNet(c.network, c.seed, init.weights);
      const ema = buildNet(c.network, c.seed, init.weights);
      const protos = await readPrototypes(ctx.resolveRun(c.pseudo));
      const soft = await SoftLabels.open(ctx.resolveRun(c.pseudo));
      const source = await ImageSource.open(open, c.source, 'source');
      const target = await ImageSource.open(open, c.target, 'target');
      const [val, bn] = await valSources(open, c);
      return new Stage1Program(ctx, net, ema, protos, soft, source, target, val, bn);
    },
    distill: async (ctx: StageContext): Promise<StageProgram> => {
      const c = ctx.config as ConfigOf<'distill'>;
      const tdir = ctx.resolveRun(c.teacher);
      const tcfg = await readConfig(tdir);
      const teacher = buildNet(tcfg.network, tcfg.seed, (await readModel(tdir)).weights);
      const net = buildNet(c.network, c.seed, c.studentInit === 'fresh' ? undefined : (await initialWeights(ctx, c.studentInit)).weights);
      const labels = await HardLabels.open(ctx.resolveRun(c.labels), c);
      if (typeof labels.threshold !== 'number') ctx.log(`class-balanced thresholds (keep ${c.classBalance} of each class): ${[...labels.threshold].map((t) => t.toFixed(3)).join(' ')}`);
      const source = await ImageSource.open(open, c.source, 'source');
      const target = await ImageSource.open(open, c.target, 'target');
      if (c.teacherBn === 'reestimate') await reestimateBn(teacher, target, BN_REESTIMATE_IMAGES);
      const [val, bn] = await valSources(open, c);
      const corrections = c.corrections ? await loadCorrections(ctx.workspace, c.corrections.dataset, { minTouched: c.corrections.minTouched }) : null;
      if (corrections) {
        const known = new Set(target.ids);
        const unknown = [...corrections.keys()].filter((id) => !known.has(id));
        if (unknown.length) throw new Error(`corrections.dataset '${c.corrections!.dataset}': images ${unknown.slice(0, 3).join(', ')} are not in the target split`);
        ctx.log(`corrections: ${corrections.size} images, ${correctionUses(corrections).reduce((a, u) => a + u.touchedPixels, 0)} touched pixels, weight ${c.corrections!.weight}`);
      }
      return new DistillProgram(ctx, net, teacher, labels, source, target, val, bn, corrections);
    },
    selftrain: async (ctx: StageContext): Promise<StageProgram> => {
      const c = ctx.config as ConfigOf<'selftrain'>;
      const init = await initialWeights(ctx, c.init);
      const net = buildNet(c.network, c.seed, init.weights);
      const labeller = buildNet(c.network, c.seed, init.weights);
      const source = await ImageSource.open(open, c.source, 'source');
      const target = await ImageSource.open(open, c.target, 'target');
      if (c.labellerBn === 'reestimate') await reestimateBn(labeller, target, BN_REESTIMATE_IMAGES);
      const [val, bn] = await valSources(open, c);
      return new SelfTrainProgram(ctx, net, labeller, source, target, val, bn);
    },
  };
}
