import { MIOU13_OF_16 } from '../../../shared/classes';

/**
 * Confusion matrix accumulated over a split (row = ground truth, column = prediction), `metrics.py:runningScore`
 * semantics: ground-truth values outside [0, C) (250) are excluded. Counts are float64 so whole splits at full
 * resolution never overflow.
 */
export class ConfusionMatrix {
  readonly numClasses: number;
  readonly counts: Float64Array;

  constructor(numClasses: number) {
    if (!Number.isInteger(numClasses) || numClasses < 1) throw new Error(`ConfusionMatrix: bad class count ${numClasses}`);
    this.numClasses = numClasses;
    this.counts = new Float64Array(numClasses * numClasses);
  }

  /** Adds one label map / prediction pair of equal length (row-major H×W). */
  add(truth: ArrayLike<number>, pred: ArrayLike<number>): void {
    if (truth.length !== pred.length) throw new Error(`ConfusionMatrix.add: ${truth.length} labels vs ${pred.length} predictions`);
    const C = this.numClasses;
    for (let i = 0; i < truth.length; i++) {
      const t = truth[i];
      const p = pred[i];
      if (t < 0 || t >= C) continue;
      if (p < 0 || p >= C) throw new Error(`ConfusionMatrix.add: prediction ${p} at ${i} outside [0, ${C})`);
      this.counts[t * C + p] += 1;
    }
  }

  merge(other: ConfusionMatrix): void {
    if (other.numClasses !== this.numClasses) throw new Error('ConfusionMatrix.merge: class counts differ');
    for (let i = 0; i < this.counts.length; i++) this.counts[i] += other.counts[i];
  }

  /** IoU_k = TP/(TP+FP+FN); NaN for a class absent from both truth and prediction. */
  perClassIoU(): Float64Array {
    const C = this.numClasses;
    const iou = new Float64Array(C);
    for (let k = 0; k < C; k++) {
      let row = 0;
      let col = 0;
      for (let j = 0; j < C; j++) {
        row += this.counts[k * C + j];
        col += this.counts[j * C + k];
      }
      const tp = this.counts[k * C + k];
      const denom = row + col - tp;
      iou[k] = denom > 0 ? tp / denom : NaN;
    }
    return iou;
  }

  /** Mean over classes of TP/(TP+FN), classes absent from the truth left out (runningScore's "Mean Acc"). */
  meanAccuracy(): number {
    const C = this.numClasses;
    const acc = new Float64Array(C);
    for (let k = 0; k < C; k++) {
      let row = 0;
      for (let j = 0; j < C; j++) row += this.counts[k * C + j];
      acc[k] = row > 0 ? this.counts[k * C + k] / row : NaN;
    }
    return nanmean(acc);
  }

  /** Σ_k freq_k·IoU_k over the classes present in the truth, freq_k = their share of the truth (runningScore's "FreqW Acc"). */
  frequencyWeightedIoU(): number {
    const C = this.numClasses;
    const iou = this.perClassIoU();
    let all = 0;
    for (const c of this.counts) all += c;
    if (!(all > 0)) return NaN;
    let s = 0;
    for (let k = 0; k < C; k++) {
      let row = 0;
      for (let j = 0; j < C; j++) row += this.counts[k * C + j];
      if (row > 0) s += (row / all) * iou[k];
    }
    return s;
  }

  /** Overall (pixel) accuracy, runningScore's "Overall Acc". */
  pixelAccuracy(): number {
    let tp = 0;
    let all = 0;
    for (let k = 0; k < this.numClasses; k++) tp += this.counts[k * this.numClasses + k];
    for (const c of this.counts) all += c;
    return all > 0 ? tp / all : NaN;
  }
}

/** Mean over the non-NaN entries (numpy nanmean); NaN when all are NaN. */
export function nanmean(values: ArrayLike<number>, indices?: readonly number[]): number {
  let s = 0;
  let n = 0;
  const idx = indices ?? Array.from({ length: values.length }, (_, i) => i);
  for (const i of idx) {
    const v = values[i];
    if (!Number.isNaN(v)) {
      s += v;
      n++;
    }
  }
  return n > 0 ? s / n : NaN;
}

/**
 * What runningScore reports, with its definitions (the one mIoU of the project): a class predicted but absent from
 * the truth has IoU 0 and counts in the mean; only a class absent from both is NaN and left out.
 */
export interface MiouReport {
  numClasses: number;
  /** NaN for a class absent from both truth and prediction */
  perClassIoU: number[];
  /** nanmean of all classes (mIoU19 for 19 classes, mIoU16 for 16) */
  miou: number;
  /** 16-class models only: nanmean over the 13 classes of the SYNTHIA protocol (no wall, fence, pole) */
  miou13?: number;
  pixelAccuracy: number;
  meanAccuracy: number;
  frequencyWeightedIoU: number;
}

export function miouReport(cm: ConfusionMatrix): MiouReport {
  const iou = cm.perClassIoU();
  const report: MiouReport = {
    numClasses: cm.numClasses,
    perClassIoU: [...iou],
    miou: nanmean(iou),
    pixelAccuracy: cm.pixelAccuracy(),
    meanAccuracy: cm.meanAccuracy(),
    frequencyWeightedIoU: cm.frequencyWeightedIoU(),
  };
  if (cm.numClasses === 16) report.miou13 = nanmean(iou, MIOU13_OF_16);
  return report;
}

/** C×C counts (row-major, rows = truth) as a matrix, for the callers that hold plain counts (maps, triage). */
export function confusionFromCounts(counts: ArrayLike<number>, numClasses: number): ConfusionMatrix {
  if (counts.length !== numClasses * numClasses) throw new Error(`confusionFromCounts: ${counts.length} counts for ${numClasses} classes`);
  const cm = new ConfusionMatrix(numClasses);
  cm.counts.set(Array.from(counts));
  return cm;
}

/** Per-class IoU with null for a class absent from both truth and prediction (JSON-safe), and their mean (null if all are). */
export function iouWithNulls(cm: ConfusionMatrix): { perClass: (number | null)[]; miou: number | null } {
  const iou = cm.perClassIoU();
  const m = nanmean(iou);
  return { perClass: Array.from(iou, (v) => (Number.isNaN(v) ? null : v)), miou: Number.isNaN(m) ? null : m };
}

/** One image's mIoU (nanmean over classes present in its truth or prediction), for "worst images first". */
export function imageMiou(truth: ArrayLike<number>, pred: ArrayLike<number>, numClasses: number): number {
  const cm = new ConfusionMatrix(numClasses);
  cm.add(truth, pred);
  return nanmean(cm.perClassIoU());
}

/** Image ids sorted by ascending mIoU (NaN, i.e. nothing labelled, last). */
export function worstFirst(scores: ReadonlyMap<string, number>): { id: string; miou: number }[] {
  return [...scores.entries()]
    .map(([id, miou]) => ({ id, miou }))
    .sort((a, b) => (Number.isNaN(a.miou) ? 1 : Number.isNaN(b.miou) ? -1 : a.miou - b.miou || (a.id < b.id ? -1 : 1)));
}

/** Accumulating evaluator over a split: keeps the split's confusion matrix and each image's mIoU. */
export class SplitEvaluator {
  readonly total: ConfusionMatrix;
  readonly perImage = new Map<string, number>();

  constructor(readonly numClasses: number) {
    this.total = new ConfusionMatrix(numClasses);
  }

  add(id: string, truth: ArrayLike<number>, pred: ArrayLike<number>): number {
    const cm = new ConfusionMatrix(this.numClasses);
    cm.add(truth, pred);
    this.total.merge(cm);
    const m = nanmean(cm.perClassIoU());
    this.perImage.set(id, m);
    return m;
  }

  report(): MiouReport & { worst: { id: string; miou: number }[] } {
    return { ...miouReport(this.total), worst: worstFirst(this.perImage) };
  }
}
