// Triage ordering: sort and filter images by their per-image statistics. Images without a value for
// the chosen key (no GT, no soft label) always sort last, whatever the direction.
import { pseudoLayersMissing } from '../../../../shared/contract/maps';
import type { ImageStats, PseudoCoverage } from '../../../../shared/contract/maps';

export const sortKeys = ['miou', 'meanConfidence', 'flippedShare', 'classShare', 'classIou'] as const;
export type SortKey = (typeof sortKeys)[number];

export const sortKeyTitles: Record<SortKey, string> = {
  miou: 'mIoU',
  meanConfidence: 'mean confidence',
  flippedShare: 'flipped share',
  classShare: 'class presence',
  classIou: 'class IoU',
};

export interface TriageQuery {
  key: SortKey;
  /** The class for classShare / classIou and the presence filter. */
  cls: number;
  ascending: boolean;
  /** Keep only images where the class covers at least this share of predicted pixels (0 = no filter). */
  minPresence: number;
}

export const defaultQuery: TriageQuery = { key: 'miou', cls: 13, ascending: true, minPresence: 0 };

export function valueOf(s: ImageStats, key: SortKey, cls: number): number | null {
  switch (key) {
    case 'miou':
      return s.miou;
    case 'meanConfidence':
      return s.meanConfidence;
    case 'flippedShare':
      return s.flippedShare;
    case 'classShare':
      return s.classShare[cls] ?? null;
    case 'classIou':
      return s.classIou[cls] ?? null;
  }
}

export function triage(stats: readonly ImageStats[], q: TriageQuery): ImageStats[] {
  const kept = q.minPresence > 0 ? stats.filter((s) => (s.classShare[q.cls] ?? 0) >= q.minPresence) : [...stats];
  return kept.sort((a, b) => compareValues(valueOf(a, q.key, q.cls), valueOf(b, q.key, q.cls), q.ascending) || a.imageId.localeCompare(b.imageId));
}

/** The triage order of two values: missing ones last whatever the direction; 0 on a tie (the caller breaks it by id). */
export function compareValues(va: number | null, vb: number | null, ascending: boolean): number {
  if (va === null || vb === null) return va === vb ? 0 : va === null ? 1 : -1;
  return ascending ? va - vb : vb - va;
}

/** The next image in the worst-first (lowest mIoU) order after `current`, wrapping round. */
export function nextWorst(stats: readonly ImageStats[], current: string | null): string | null {
  const order = triage(stats, { ...defaultQuery, key: 'miou', ascending: true }).filter((s) => s.miou !== null);
  if (order.length === 0) return null;
  const i = current === null ? -1 : order.findIndex((s) => s.imageId === current);
  return order[(i + 1) % order.length].imageId;
}

/** Per-class IoU of two sources side by side, with the difference b − a (null where either is missing). */
export function iouDiff(a: readonly (number | null)[], b: readonly (number | null)[]): { a: number | null; b: number | null; diff: number | null }[] {
  return a.map((x, k) => {
    const y = b[k] ?? null;
    return { a: x, b: y, diff: x !== null && y !== null ? y - x : null };
  });
}

/** Row-normalised confusion (each GT row sums to 1): what the matrix cells are coloured by. */
export function rowNormalise(m: readonly (readonly number[])[]): number[][] {
  return m.map((row) => {
    const s = row.reduce((a, b) => a + b, 0);
    return row.map((v) => (s > 0 ? v / s : 0));
  });
}

/**
 * Why a triage cell shows "–": mIoU needs ground truth; the flipped share needs a soft pseudo-label and
 * prototypes (the same wording as the inspector's missing layers). Null where the value exists.
 */
export function whyNoValue(s: ImageStats, column: 'miou' | 'flippedShare', pseudo: PseudoCoverage, pseudoLabelled: ReadonlySet<string>): string | null {
  if (column === 'miou') return s.miou === null ? 'no ground truth for this image' : null;
  if (s.flippedShare !== null) return null;
  return pseudoLayersMissing(pseudo, pseudoLabelled.has(s.imageId)) ?? 'no flips computed for this image';
}

/** One line under the triage controls: how many flipped shares are "–" and why, or null when none is. */
export function noFlipsSummary(stats: readonly ImageStats[], pseudo: PseudoCoverage): string | null {
  const missing = stats.filter((s) => s.flippedShare === null).length;
  if (missing === 0) return null;
  const why = !pseudo.from
    ? pseudoLayersMissing(pseudo, false)
    : pseudo.covered < pseudo.images
      ? `${pseudo.from} pseudo-labelled ${pseudo.covered} of ${pseudo.images} images`
      : pseudoLayersMissing(pseudo, true);
  return `flipped is “–” for ${missing} of ${stats.length} images${why ? `: ${why}` : ''}`;
}
