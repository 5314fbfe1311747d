// Corrections as training data. The merge rule (what a run with corrections trains on, per target pixel):
//   touched pixel   → the person's label, supervised cross-entropy with weight `weight` (default 1; ignore
//                     label 250 means "learn nothing here", overriding the pseudo-label);
//   untouched pixel → the run's own (denoised) pseudo-label with weight 1, as without corrections.
// Corrections are stored at image resolution; a run training at another size resizes them nearest-neighbour
// (floor sampling, like PyTorch's default 'nearest'), touched mask included.
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { IGNORE_LABEL } from '../../shared/classes';
import { imageFolderName, LABELS_DIR, readCorrection, type StoredCorrection } from './store';

/** A stored correction as training reads it (trainIds with 250 = ignore; touched = 1 where a person decided). */
export type Correction = Omit<StoredCorrection, 'imageId'>;

/** What a run record lists: which corrections, in which state, it trained on. */
export interface CorrectionUse {
  imageId: string;
  touchedPixels: number;
  seq: number;
  generation: number;
  /** sha256 over labels and touched bytes: the exact pixels used. */
  sha256: string;
}

/**
 * Every image of `datasetId` in the workspace with at least `minTouched` touched pixels (default 1), as of
 * its last logged edit. Writes nothing, so a run may read while the app edits.
 */
export async function loadCorrections(workspace: string, datasetId: string, opts: { minTouched?: number } = {}): Promise<Map<string, Correction>> {
  const dir = path.join(workspace, LABELS_DIR, imageFolderName(datasetId));
  const names = await fsp.readdir(dir).catch(() => [] as string[]);
  const out = new Map<string, Correction>();
  for (const name of names.sort()) {
    const c = await readCorrection(path.join(dir, name));
    if (!c || c.touchedPixels < (opts.minTouched ?? 1)) continue;
    const { imageId, ...rest } = c;
    out.set(imageId, rest);
  }
  return out;
}

export function correctionUses(corrections: Map<string, Correction>): CorrectionUse[] {
  return [...corrections].map(([imageId, c]) => ({
    imageId,
    touchedPixels: c.touchedPixels,
    seq: c.seq,
    generation: c.generation,
    sha256: createHash('sha256').update(c.labels).update(c.touched).digest('hex'),
  }));
}

export interface MergedTarget {
  /** Training labels: corrected on touched pixels, pseudo-label elsewhere. */
  labels: Uint8Array;
  /** Per-pixel loss weight: `weight` on touched pixels, 1 elsewhere, 0 where the label is ignore. */
  weights: Float32Array;
  touchedPixels: number;
}

/**
 * Applies the merge rule to one image. `pseudo` is the run's pseudo-label at training resolution; the
 * correction is resized to it when the sizes differ.
 */
export function mergeCorrection(pseudo: { width: number; height: number; data: Uint8Array }, c: Correction, opts: { weight?: number } = {}): MergedTarget {
  const weight = opts.weight ?? 1;
  if (!(weight >= 0)) throw new RangeError(`corrections weight must be ≥ 0, got ${weight}`);
  const { width, height } = pseudo;
  const labels = new Uint8Array(width * height);
  const weights = new Float32Array(width * height);
  let touchedPixels = 0;
  for (let y = 0; y < height; y++) {
    const sy = Math.min(c.height - 1, Math.floor((y * c.height) / height));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(c.width - 1, Math.floor((x * c.width) / width));
      const s = sy * c.width + sx;
      const i = y * width + x;
      if (c.touched[s]) {
        labels[i] = c.labels[s];
        weights[i] = c.labels[s] === IGNORE_LABEL ? 0 : weight;
        touchedPixels++;
      } else {
        labels[i] = pseudo.data[i];
        weights[i] = pseudo.data[i] === IGNORE_LABEL ? 0 : 1;
      }
    }
  }
  return { labels, weights, touchedPixels };
}
