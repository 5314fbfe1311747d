import { describe, expect, it } from 'vitest';
import type { ImageStats } from '../../../../shared/contract/maps';
import type { ImageEntry } from '../../../../shared/datasets';
import { defaultGridQuery, needsPseudo, needsStats, queryActive, queryGrid } from './grid-query';

const entry = (id: string): ImageEntry => ({ id, name: id.replace('.png', ''), imagePath: `/d/${id}`, labelPath: null });
const stat = (imageId: string, miou: number | null, flipped: number | null, car: number): ImageStats => ({
  imageId,
  miou,
  meanConfidence: 0.5,
  flippedShare: flipped,
  classShare: Array.from({ length: 19 }, (_, k) => (k === 13 ? car : 0)),
  classIou: Array.from({ length: 19 }, () => null),
});
const entries = ['c.png', 'a.png', 'b.png', 'd.png'].map(entry);
const stats = new Map([stat('a.png', 0.5, 0.1, 0.2), stat('b.png', 0.2, null, 0), stat('c.png', null, 0.3, 0.05), stat('d.png', 0.7, 0.05, 0.4)].map((s) => [s.imageId, s]));
const facts = { corrected: new Set(['b.png']), pseudoLabelled: new Set(['a.png', 'c.png', 'd.png']), stats };
const ids = (xs: ImageEntry[]) => xs.map((e) => e.id);

describe('grid query', () => {
  it('keeps the dataset order by default and says when a query is active', () => {
    expect(ids(queryGrid(entries, defaultGridQuery, facts))).toEqual(['c.png', 'a.png', 'b.png', 'd.png']);
    expect(queryActive(defaultGridQuery)).toBe(false);
    expect(queryActive({ ...defaultGridQuery, search: ' a' })).toBe(true);
    expect(needsStats({ ...defaultGridQuery, sort: 'miou' })).toBe(true);
    expect(needsStats({ ...defaultGridQuery, filter: 'corrected' })).toBe(false);
    expect(needsPseudo({ ...defaultGridQuery, filter: 'unlabelled' })).toBe(true);
  });

  it('searches ids and names, case-insensitively', () => {
    expect(ids(queryGrid(entries, { ...defaultGridQuery, search: 'B' }, facts))).toEqual(['b.png']);
    expect(ids(queryGrid(entries, { ...defaultGridQuery, search: '.png' }, facts))).toHaveLength(4);
    expect(queryGrid(entries, { ...defaultGridQuery, search: 'zzz' }, facts)).toEqual([]);
  });

  it('sorts by per-image mIoU and flip share with missing values last either way', () => {
    expect(ids(queryGrid(entries, { ...defaultGridQuery, sort: 'miou' }, facts))).toEqual(['b.png', 'a.png', 'd.png', 'c.png']);
    expect(ids(queryGrid(entries, { ...defaultGridQuery, sort: 'miou', ascending: false }, facts))).toEqual(['d.png', 'a.png', 'b.png', 'c.png']);
    expect(ids(queryGrid(entries, { ...defaultGridQuery, sort: 'flippedShare', ascending: false }, facts))).toEqual(['c.png', 'a.png', 'd.png', 'b.png']);
    expect(ids(queryGrid(entries, { ...defaultGridQuery, sort: 'id' }, facts))).toEqual(['a.png', 'b.png', 'c.png', 'd.png']);
  });

  it('filters by correction, pseudo-labels and class presence', () => {
    expect(ids(queryGrid(entries, { ...defaultGridQuery, filter: 'corrected' }, facts))).toEqual(['b.png']);
    expect(ids(queryGrid(entries, { ...defaultGridQuery, filter: 'uncorrected' }, facts))).toEqual(['c.png', 'a.png', 'd.png']);
    expect(ids(queryGrid(entries, { ...defaultGridQuery, filter: 'unlabelled' }, facts))).toEqual(['b.png']);
    expect(ids(queryGrid(entries, { ...defaultGridQuery, filter: 'pseudo' }, { ...facts, pseudoLabelled: null }))).toEqual([]);
    expect(ids(queryGrid(entries, { ...defaultGridQuery, sort: 'classShare', ascending: false, minPresence: 0.1 }, facts))).toEqual(['d.png', 'a.png']);
  });
});
