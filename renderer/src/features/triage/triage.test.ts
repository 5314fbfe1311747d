import { describe, expect, it } from 'vitest';
import type { ImageStats } from '../../../../shared/contract/maps';
import { defaultQuery, iouDiff, nextWorst, noFlipsSummary, rowNormalise, triage, whyNoValue } from './triage';

const img = (imageId: string, miou: number | null, conf: number | null, flipped: number | null, carShare: number, carIou: number | null): ImageStats => ({
  imageId,
  miou,
  meanConfidence: conf,
  flippedShare: flipped,
  classShare: Array.from({ length: 19 }, (_, k) => (k === 13 ? carShare : 0)),
  classIou: Array.from({ length: 19 }, (_, k) => (k === 13 ? carIou : null)),
});

const stats = [img('a', 0.5, 0.9, 0.1, 0.2, 0.4), img('b', 0.2, 0.7, 0.3, 0, null), img('c', null, 0.8, null, 0.05, 0.9), img('d', 0.7, 0.6, 0.05, 0.1, 0.1)];
const ids = (xs: ImageStats[]) => xs.map((s) => s.imageId);

describe('triage', () => {
  it('sorts worst first, with missing values last either way', () => {
    expect(ids(triage(stats, defaultQuery))).toEqual(['b', 'a', 'd', 'c']);
    expect(ids(triage(stats, { ...defaultQuery, ascending: false }))).toEqual(['d', 'a', 'b', 'c']);
    expect(ids(triage(stats, { ...defaultQuery, key: 'flippedShare', ascending: false }))).toEqual(['b', 'a', 'd', 'c']);
    expect(ids(triage(stats, { ...defaultQuery, key: 'meanConfidence' }))).toEqual(['d', 'b', 'c', 'a']);
  });

  it('sorts by a class IoU and filters by its presence', () => {
    expect(ids(triage(stats, { ...defaultQuery, key: 'classIou' }))).toEqual(['d', 'a', 'c', 'b']);
    expect(ids(triage(stats, { ...defaultQuery, key: 'classShare', ascending: false, minPresence: 0.08 }))).toEqual(['a', 'd']);
  });

  it('steps through the worst images, wrapping', () => {
    expect(nextWorst(stats, null)).toBe('b');
    expect(nextWorst(stats, 'b')).toBe('a');
    expect(nextWorst(stats, 'd')).toBe('b');
    expect(nextWorst([], null)).toBeNull();
  });

  it('compares IoU and normalises confusion rows', () => {
    expect(iouDiff([0.5, null, 0.2], [0.7, 0.1, null])).toEqual([
      { a: 0.5, b: 0.7, diff: expect.closeTo(0.2, 9) },
      { a: null, b: 0.1, diff: null },
      { a: 0.2, b: null, diff: null },
    ]);
    expect(rowNormalise([[1, 3], [0, 0]])).toEqual([[0.25, 0.75], [0, 0]]);
  });

  it('says why a cell is "–"', () => {
    const pseudo = { from: 'pseudo-1', covered: 3, images: 4, prototypes: [true, false], ownSoftmax: false };
    const labelled = new Set(['a', 'b', 'd']);
    expect(whyNoValue(stats[2], 'miou', pseudo, labelled)).toBe('no ground truth for this image');
    expect(whyNoValue(stats[0], 'miou', pseudo, labelled)).toBeNull();
    expect(whyNoValue(stats[2], 'flippedShare', pseudo, labelled)).toBe('no pseudo-labels for this image: pseudo-1 covered 3 of 4 images');
    expect(whyNoValue(stats[2], 'flippedShare', { ...pseudo, from: null }, labelled)).toMatch(/no pseudo-label run/);
    // A source with no soft labels but a network and prototypes starts from its own softmax: nothing is missing for that reason.
    expect(whyNoValue(stats[2], 'flippedShare', { ...pseudo, from: null, ownSoftmax: true }, labelled)).toBe('no flips computed for this image');
    expect(noFlipsSummary(stats, pseudo)).toBe('flipped is “–” for 1 of 4 images: pseudo-1 pseudo-labelled 3 of 4 images');
    expect(noFlipsSummary(stats.filter((s) => s.flippedShare !== null), pseudo)).toBeNull();
  });
});
