import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { closeViolation, fixture, jsonFixture } from '../../../fixtures/parity/proda_fixtures';
import { ConfusionMatrix, confusionFromCounts, imageMiou, iouWithNulls, miouReport, nanmean, SplitEvaluator } from './confusion';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('confusion matrix and mIoU', () => {
  it('IoU = TP/(TP+FP+FN), 250 excluded, nanmean over present classes', () => {
    const cm = new ConfusionMatrix(3);
    // truth 0 0 1 1 2 250 ; pred 0 1 1 1 0 2
    cm.add([0, 0, 1, 1, 2, 250], [0, 1, 1, 1, 0, 2]);
    const iou = cm.perClassIoU();
    expect(iou[0]).toBeCloseTo(1 / 3, 12); // TP 1, FN 1, FP 1
    expect(iou[1]).toBeCloseTo(2 / 3, 12); // TP 2, FP 1
    expect(iou[2]).toBe(0); // TP 0, FN 1
    const empty = new ConfusionMatrix(4);
    empty.add([0], [0]);
    expect(Number.isNaN(empty.perClassIoU()[3])).toBe(true);
    expect(miouReport(empty).miou).toBe(1);
  });

  it('accumulates over a split rather than averaging images', () => {
    const ev = new SplitEvaluator(2);
    ev.add('a', [0, 0, 0, 0], [0, 0, 0, 1]);
    ev.add('b', [1], [1]);
    const r = ev.report();
    // total: class0 TP3 FN1 → 3/4 ; class1 TP1 FP1 → 1/2
    expect(r.perClassIoU[0]).toBeCloseTo(0.75, 12);
    expect(r.perClassIoU[1]).toBeCloseTo(0.5, 12);
    expect(r.worst.map((w) => w.id)).toEqual(['a', 'b']);
    expect(r.worst[0].miou).toBeCloseTo((0.75 + 0) / 2, 12);
    expect(imageMiou([1], [1], 2)).toBe(1);
  });

  it('mIoU13 of a 16-class model leaves out wall, fence, pole', () => {
    const cm = new ConfusionMatrix(16);
    const truth: number[] = [];
    const pred: number[] = [];
    for (let k = 0; k < 16; k++) {
      truth.push(k);
      pred.push(k === 3 ? 4 : k === 4 ? 5 : k === 5 ? 3 : k); // wall, fence, pole confused among themselves
    }
    cm.add(truth, pred);
    const r = miouReport(cm);
    expect(r.miou13).toBe(1);
    expect(r.miou).toBeLessThan(1);
    expect(nanmean([NaN, 1, 0])).toBe(0.5);
  });

  it('runningScore parity: overall acc, mean acc, mIoU, FWIoU; a class predicted but absent from GT is 0 in the mean', () => {
    const truth = fixture('metrics', 'truth').data;
    const pred = fixture('metrics', 'pred').data;
    const ref = jsonFixture<{ overall_acc: number; mean_acc: number; miou: number; fwiou: number; iou: (number | null)[] }>('metrics');
    const cm = new ConfusionMatrix(6);
    cm.add(truth, pred);
    expect([...cm.counts]).toEqual([...fixture('metrics', 'hist').data]);
    const r = miouReport(cm);
    expect(closeViolation([r.pixelAccuracy, r.meanAccuracy, r.miou, r.frequencyWeightedIoU], [ref.overall_acc, ref.mean_acc, ref.miou, ref.fwiou], 1e-12)).toBe(0);
    const nulls = iouWithNulls(cm);
    expect(nulls.perClass[3]).toBe(0); // predicted, never in the truth
    expect(nulls.perClass[5]).toBeNull(); // in neither
    nulls.perClass.forEach((v, k) => (v === null ? expect(ref.iou[k]).toBeNull() : expect(v).toBeCloseTo(ref.iou[k]!, 12)));
    // the mean over GT-present classes only (what evaluate.ts reported before) is another, larger number
    const gtPresent = [0, 1, 2, 4].map((k) => nulls.perClass[k]!);
    expect(gtPresent.reduce((a, b) => a + b, 0) / 4).toBeGreaterThan(r.miou + 0.05);
    expect([...confusionFromCounts(cm.counts, 6).counts]).toEqual([...cm.counts]);
  });
});
