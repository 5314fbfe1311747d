import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { predictionOf } from '../engine/predict';
import { composeMaps, confusionCounts, iouFromConfusion } from './compose';
import type { LabelLayer, VectorLayer } from '../../shared/contract/maps';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// 2 classes, 2-d features, a 1×2 output grid for a 4×2 image.
// Pixel 0: feature at prototype 0; pixel 1: feature at prototype 1.
const input = () => ({
  imageWidth: 4,
  imageHeight: 2,
  numClasses: 2,
  // logits (channel-first) [2, 0 | 0, 3]: pixel 0 favours class 0, pixel 1 class 1; feat [0, 3 | 0, 4].
  prediction: predictionOf(
    { channels: 2, height: 1, width: 2, data: new Float32Array([2, 0, 0, 3]) },
    { channels: 2, height: 1, width: 2, data: new Float32Array([0, 3, 0, 4]) },
    null,
    { width: 4, height: 2 },
  ),
  prototypes: { classes: 2, dims: 2, data: new Float32Array([0, 0, 3, 4]) },
  // p_t0 says class 1 at pixel 0 (weakly) and class 1 at pixel 1: rectification flips pixel 0 to class 0.
  soft: { channels: 2, height: 1, width: 2, data: new Float32Array([0.4, 0.1, 0.6, 0.9]) },
  gt: { width: 4, height: 2, data: new Uint8Array([0, 0, 1, 1, 0, 1, 1, 250]) },
});

const vec = (layers: Awaited<ReturnType<typeof composeMaps>>['layers'], id: string) => layers.find((l) => l.id === id) as VectorLayer;
const lab = (layers: Awaited<ReturnType<typeof composeMaps>>['layers'], id: string) => layers.find((l) => l.id === id) as LabelLayer;

describe('composeMaps', () => {
  it('computes distances, ω, raw and denoised pseudo-labels channel-first', async () => {
    const before = tf.memory().numTensors;
    const { layers, stats } = await composeMaps(input());
    expect(tf.memory().numTensors).toBe(before);
    const d = vec(layers, 'dist');
    expect([d.channels, d.height, d.width]).toEqual([2, 1, 2]);
    // C×H×W: dist to η0 for both pixels, then dist to η1.
    expect(Array.from(d.data)).toEqual([0, 5, 5, 0]);
    const w = vec(layers, 'omega');
    const w0 = 1 / (1 + Math.exp(-5));
    expect(w.data[0]).toBeCloseTo(w0, 6);
    expect(w.data[2]).toBeCloseTo(1 - w0, 6);
    expect(Array.from(lab(layers, 'raw').data)).toEqual([1, 1]);
    expect(Array.from(lab(layers, 'denoised').data)).toEqual([0, 1]);
    expect(stats.flippedShare).toBe(0.5);
  });

  it('without a stored soft label, rectifies the model\'s own softmax (an import, a warm-up run)', async () => {
    // Pixel 0 weakly favours class 1 (logits 0 vs 0.5) but its feature sits on prototype 0: ω flips it.
    const prediction = predictionOf(
      { channels: 2, height: 1, width: 2, data: new Float32Array([0, 0, 0.5, 3]) },
      { channels: 2, height: 1, width: 2, data: new Float32Array([0, 3, 0, 4]) },
      null,
      { width: 4, height: 2 },
    );
    const { layers, stats } = await composeMaps({ ...input(), prediction, soft: undefined, ownSoftmaxAsP0: true });
    expect(layers.some((l) => l.id === 'soft')).toBe(false);
    expect(Array.from(lab(layers, 'raw').data)).toEqual([1, 1]);
    expect(Array.from(lab(layers, 'denoised').data)).toEqual([0, 1]);
    expect(stats.flippedShare).toBe(0.5);
    // A source whose pseudo-label run skipped this image: distances, but no labels its run never made.
    const skipped = await composeMaps({ ...input(), prediction, soft: undefined });
    expect(skipped.layers.map((l) => l.id).filter((id) => ['dist', 'omega', 'raw', 'denoised'].includes(id))).toEqual(['dist', 'omega']);
    expect(skipped.stats.flippedShare).toBeNull();
  });

  it('predicts at image resolution from upsampled logits and scores against GT', async () => {
    const { layers, stats, confusion } = await composeMaps(input());
    const pred = lab(layers, 'pred');
    expect([pred.width, pred.height]).toEqual([4, 2]);
    // align_corners upsampling of [c0, c1] → columns 0,1 favour class 0, columns 2,3 class 1 (logit diffs 2 vs -3).
    expect(Array.from(pred.data)).toEqual([0, 0, 1, 1, 0, 0, 1, 1]);
    expect(Array.from(confusion!)).toEqual([3, 0, 1, 3]);
    expect(stats.classIou[0]).toBeCloseTo(3 / 4, 9);
    expect(stats.classIou[1]).toBeCloseTo(3 / 4, 9);
    expect(stats.miou).toBeCloseTo(0.75, 9);
    const p = vec(layers, 'probs');
    expect(p.data[0]).toBeCloseTo(1 / (1 + Math.exp(-2)), 6);
    expect(stats.meanConfidence).toBeCloseTo((1 / (1 + Math.exp(-2)) + 1 / (1 + Math.exp(-3))) / 2, 6);
    expect(stats.classShare).toEqual([0.5, 0.5]);
  });

  it('names mismatched inputs', async () => {
    await expect(composeMaps({ ...input(), prototypes: { classes: 2, dims: 3, data: new Float32Array(6) } })).rejects.toThrow(/3-d/);
    await expect(composeMaps({ ...input(), gt: { width: 3, height: 2, data: new Uint8Array(6) } })).rejects.toThrow(/gt is 3×2/);
  });

  it('with only a soft label, the raw pseudo-label is its argmax', async () => {
    const { layers, stats } = await composeMaps({ imageWidth: 4, imageHeight: 2, numClasses: 2, soft: input().soft });
    expect(Array.from(lab(layers, 'raw').data)).toEqual([1, 1]);
    expect(stats.meanConfidence).toBeCloseTo(0.75, 6);
    expect(stats.miou).toBeNull();
  });
});

describe('confusion and IoU', () => {
  it('skips ignore and reports absent classes as null', async () => {
    const m = confusionCounts(new Uint8Array([0, 0, 250, 1]), new Uint8Array([0, 1, 1, 1]), 3);
    expect(Array.from(m)).toEqual([1, 1, 0, 0, 1, 0, 0, 0, 0]);
    expect(iouFromConfusion(m, 3)).toEqual({ perClass: [0.5, 0.5, null], miou: 0.5 });
  });

  it('a class predicted but absent from the GT has IoU 0 and counts in the mean (runningScore)', () => {
    // GT 0 0 1 1, prediction 0 2 1 1: class 2 never in the GT, predicted once
    const m = confusionCounts(new Uint8Array([0, 0, 1, 1]), new Uint8Array([0, 2, 1, 1]), 4);
    const r = iouFromConfusion(m, 4);
    expect(r.perClass).toEqual([0.5, 1, 0, null]);
    expect(r.miou).toBeCloseTo(0.5, 12);
  });
});
