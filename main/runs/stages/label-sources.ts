// Where the adaptation stages' target labels come from: the soft and hard pseudo-labels of an upstream
// pseudo-label run (hard ones thresholded on confidence, globally or per class), and hand corrections merged
// over them.
import { promises as fsp } from 'node:fs';
import type { ConfigOf } from '../../../shared/runs-config';
import { IGNORE_LABEL } from '../../../shared/classes';
import { ClassBalancedThresholds, thresholdPseudoLabels } from '../../engine/train/distill';
import { spread } from '../../engine/predict';
import { readNpyFile } from '../../io/npy';
import { decodeLabel8 } from '../../io/png';
import { mergeCorrection, type Correction } from '../../labels/corrections';
import { batchIndices } from '../data-order';
import { STREAM, type LabelRaster } from './batches';
import { inFolder } from '../../artifacts/layout';
import { readPseudoIndex, type PseudoIndex } from '../../artifacts/pseudo-index';

/** Soft pseudo-labels of an upstream pseudo run, read per image as stored: [C, h, w] float32 (engine/predict's softLabelTensor batches them). */
export class SoftLabels {
  private constructor(
    private readonly dir: string,
    private readonly index: PseudoIndex,
  ) {}
  static async open(dir: string): Promise<SoftLabels> {
    return new SoftLabels(dir, await readPseudoIndex(dir, 'soft', 'stage 1'));
  }
  async get(id: string): Promise<{ shape: number[]; data: Float32Array }> {
    const f = this.index.files[id]?.soft;
    if (!f) throw new Error(`${this.dir}: no soft pseudo-label for image ${id}`);
    const a = await readNpyFile(inFolder(this.dir, f));
    if (a.shape.length !== 3 || !(a.data instanceof Float32Array)) throw new Error(`${this.dir}: soft pseudo-label of image ${id} is not a float32 [C, h, w] array`);
    return { shape: a.shape, data: a.data };
  }
}

/** Hard pseudo-labels of an upstream pseudo run, thresholded on confidence as stages 2/3 load them. */
export class HardLabels {
  private constructor(
    private readonly dir: string,
    private readonly index: PseudoIndex,
    /** The global threshold, or per-class thresholds (classBalance). */
    readonly threshold: number | Float32Array,
  ) {}
  static async open(dir: string, c: Pick<ConfigOf<'distill'>, 'threshold' | 'classBalance' | 'network'>): Promise<HardLabels> {
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
    const file = inFolder(this.dir, f.label);
    const label = decodeLabel8(new Uint8Array(await fsp.readFile(file)), file);
    const conf = await readNpyFile(inFolder(this.dir, f.conf));
    return { width: label.width, height: label.height, labels: label.data, conf: conf.data as Float32Array };
  }
  async get(id: string): Promise<LabelRaster> {
    const r = await this.read(id);
    return { width: r.width, height: r.height, data: thresholdPseudoLabels(r.labels, r.conf, this.threshold) };
  }
}

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
