// What the grid lists: the dataset's order, or its images searched by id, filtered (hand-corrected or
// not, pseudo-labelled or not, a class present) and sorted by a per-image statistic from maps.stats.
// The values and their order are triage's (valueOf, compareValues): one definition of "worst first".
import type { ImageStats } from '../../../../shared/contract/maps';
import type { ImageEntry } from '../../../../shared/datasets';
import { compareValues, valueOf } from '../triage/triage';

export const gridSorts = ['dataset', 'id', 'miou', 'flippedShare', 'classShare'] as const;
export type GridSort = (typeof gridSorts)[number];
export const gridSortTitles: Record<GridSort, string> = {
  dataset: 'dataset order',
  id: 'image id',
  miou: 'per-image mIoU',
  flippedShare: 'flip share',
  classShare: 'class presence',
};

export const gridFilters = ['all', 'corrected', 'uncorrected', 'pseudo', 'unlabelled'] as const;
export type GridFilter = (typeof gridFilters)[number];
export const gridFilterTitles: Record<GridFilter, string> = {
  all: 'all images',
  corrected: 'corrected',
  uncorrected: 'not corrected',
  pseudo: 'pseudo-labelled',
  unlabelled: 'no pseudo-label',
};

export interface GridQuery {
  /** Case-insensitive substring of the image id or name. */
  search: string;
  sort: GridSort;
  ascending: boolean;
  filter: GridFilter;
  /** The class for the class-presence sort and filter. */
  cls: number;
  /** Keep images whose prediction gives the class at least this share of pixels (0 = no filter). */
  minPresence: number;
}

export const defaultGridQuery: GridQuery = { search: '', sort: 'dataset', ascending: true, filter: 'all', cls: 13, minPresence: 0 };

/** Whether the grid must list a query's result instead of paging through the dataset. */
export const queryActive = (q: GridQuery): boolean =>
  q.search.trim() !== '' || q.sort !== 'dataset' || !q.ascending || q.filter !== 'all' || q.minPresence > 0;

/** Whether the query reads per-image statistics (a network pass per image the first time). */
export const needsStats = (q: GridQuery): boolean => q.sort === 'miou' || q.sort === 'flippedShare' || q.sort === 'classShare' || q.minPresence > 0;

/** Whether it reads which images are pseudo-labelled (cheap: the source's index, no forward pass). */
export const needsPseudo = (q: GridQuery): boolean => q.filter === 'pseudo' || q.filter === 'unlabelled';

export interface GridFacts {
  corrected: ReadonlySet<string>;
  /** Null until loaded; filters that need it then keep nothing. */
  pseudoLabelled: ReadonlySet<string> | null;
  stats: ReadonlyMap<string, ImageStats> | null;
}

export function queryGrid(entries: readonly ImageEntry[], q: GridQuery, facts: GridFacts): ImageEntry[] {
  const needle = q.search.trim().toLowerCase();
  const stat = (e: ImageEntry) => facts.stats?.get(e.id) ?? null;
  const kept = entries.filter((e) => {
    if (needle && !e.id.toLowerCase().includes(needle) && !e.name.toLowerCase().includes(needle)) return false;
    switch (q.filter) {
      case 'corrected':
        if (!facts.corrected.has(e.id)) return false;
        break;
      case 'uncorrected':
        if (facts.corrected.has(e.id)) return false;
        break;
      case 'pseudo':
        if (!facts.pseudoLabelled?.has(e.id)) return false;
        break;
      case 'unlabelled':
        if (!facts.pseudoLabelled || facts.pseudoLabelled.has(e.id)) return false;
        break;
    }
    if (q.minPresence > 0 && ((stat(e)?.classShare[q.cls] ?? 0) < q.minPresence)) return false;
    return true;
  });
  if (q.sort === 'dataset') return q.ascending ? kept : kept.reverse();
  if (q.sort === 'id') return kept.sort((a, b) => (q.ascending ? 1 : -1) * a.id.localeCompare(b.id));
  const key = q.sort;
  const value = (e: ImageEntry) => {
    const s = stat(e);
    return s ? valueOf(s, key, q.cls) : null;
  };
  return kept.sort((a, b) => compareValues(value(a), value(b), q.ascending) || a.id.localeCompare(b.id));
}
