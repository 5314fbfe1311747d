// The one interface every dataset format implements; the UI, the CLI and the engine read data only through it.
import type { ClassSet } from '../../shared/classes';
import type { DatasetRef, ImageEntry } from '../../shared/datasets';

import type { IndexImage, RgbImage } from '../io/png';

/** Interleaved RGB, 8 bits per channel, row-major. */
export type { RgbImage };

/** Train ids of the dataset's class set, row-major; IGNORE_LABEL (250) = void. */
export type LabelMap = IndexImage;

export interface EncodedImage {
  mime: string;
  bytes: Uint8Array;
}

export interface OpenDatasetOptions {
  /** Workspace cache folder for thumbnails and downsampled copies; no caching without it. */
  cacheDir?: string;
  /**
   * Demo 'target-train' ground truth exists for evaluation and oracle runs only: readLabel returns null
   * for it unless this is set, so adaptation code cannot read target labels by accident.
   */
  evalLabels?: boolean;
}

export interface Dataset {
  readonly ref: DatasetRef;
  readonly classSet: ClassSet;
  /** Sorted, stable listing. Never throws for a single bad file; check reports those. */
  list(): Promise<ImageEntry[]>;
  /** Decoded RGB; resized (bilinear) when width/height are given. */
  readImage(id: string, opts?: { width?: number; height?: number }): Promise<RgbImage>;
  /** Train ids in the dataset's class set, or null when the image has no (readable-by-policy) label. */
  readLabel(id: string): Promise<LabelMap | null>;
  /** The file as stored (PNG/JPEG bytes), for the viewer. */
  encodedImage(id: string): Promise<EncodedImage>;
  /** A small PNG/JPEG whose longer side is at most maxSide, cached under cacheDir when given. */
  thumbnail(id: string, maxSide: number): Promise<EncodedImage>;
}
