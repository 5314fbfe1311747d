import { describe, expect, it } from 'vitest';
import { ConfusionMatrix } from '../../engine/eval/confusion';
import { evalNumbers } from './evaluate';

describe('evaluation numbers', () => {
  it("use runningScore's mIoU: a class predicted but absent from the ground truth is 0 and in the mean", () => {
    const cm = new ConfusionMatrix(4);
    // truth 0 0 1 1 ; prediction 0 2 1 1 ; class 3 in neither
    cm.add([0, 0, 1, 1], [0, 2, 1, 1]);
    const r = evalNumbers(cm);
    expect(r.perClass).toEqual([0.5, 1, 0, null]);
    expect(r.miou).toBeCloseTo(0.5, 12); // the GT-only mean would say 0.75
    expect(r.pixelAccuracy).toBeCloseTo(0.75, 12);
    expect(r.meanAccuracy).toBeCloseTo(0.75, 12);
    expect(r.frequencyWeightedIoU).toBeCloseTo(0.75, 12);
    const empty = evalNumbers(new ConfusionMatrix(3));
    expect(empty).toEqual({ miou: 0, perClass: [null, null, null], pixelAccuracy: null, meanAccuracy: null, frequencyWeightedIoU: null });
  });
});
