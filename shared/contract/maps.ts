// Per-image maps for the inspector: label layers, per-class vector layers and per-image statistics,
// computed by main from a run's final model and prototypes, or read from official ProDA artifacts.
// Maps cross the contract as typed arrays plus shape; vector layers are channel-first (C×H×W, the
// layout of ProDA's soft-label .npy files), at their own resolution (the network's 1/8 output for
// probabilities, distances and ω). `layerCell` says how any layer's grid maps to image pixels.
import { z } from 'zod';
import { bytesSchema, float32Schema } from './codec';
import { modelRef } from './ids';
import { event, request } from './define';

export const labelLayerIds = [
  'gt', // ground truth (where the dataset has labels)
  'pred', // argmax of the model's logits, bilinearly upsampled to the image (the evaluation protocol)
  'raw', // argmax of the soft pseudo-label p_t0 (before rectification)
  'denoised', // argmax(ω ⊙ p_t0): the prototype-rectified pseudo-label
  'hard', // an official hard pseudo-label PNG (stage 2/3 input), where one was read
] as const;
export type LabelLayerId = (typeof labelLayerIds)[number];

export const vectorLayerIds = [
  'probs', // softmax of the model's logits at output resolution
  'soft', // the soft pseudo-label p_t0 at its stored resolution
  'dist', // ‖f − η_k‖₂: distance of the feature to each class prototype
  'omega', // ω_k = softmax_k(−d_k / τ): the rectification weight
] as const;
export type VectorLayerId = (typeof vectorLayerIds)[number];

export const scalarLayerIds = [
  'conf', // an official `_conf.npy` (max of the flip-averaged softmax)
] as const;
export type ScalarLayerId = (typeof scalarLayerIds)[number];

export const mapLayerIds = [...labelLayerIds, ...vectorLayerIds, ...scalarLayerIds] as const;
export const MapLayerId = z.enum(mapLayerIds);
export type MapLayerId = z.infer<typeof MapLayerId>;

const dims = { width: z.number().int().positive(), height: z.number().int().positive() };

export const LabelLayer = z.object({ kind: z.literal('label'), id: z.enum(labelLayerIds), ...dims, data: bytesSchema });
export const VectorLayer = z.object({
  kind: z.literal('vector'),
  id: z.enum(vectorLayerIds),
  ...dims,
  channels: z.number().int().positive(),
  data: float32Schema,
});
export const ScalarLayer = z.object({ kind: z.literal('scalar'), id: z.enum(scalarLayerIds), ...dims, data: float32Schema });
export const MapLayer = z.discriminatedUnion('kind', [LabelLayer, VectorLayer, ScalarLayer]);
export type LabelLayer = z.infer<typeof LabelLayer>;
export type VectorLayer = z.infer<typeof VectorLayer>;
export type ScalarLayer = z.infer<typeof ScalarLayer>;
export type MapLayer = z.infer<typeof MapLayer>;

/** Where maps come from: a workspace run (its final model artifact), or a folder of official artifacts. */
export const MapSource = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('run'), runId: modelRef }).strict(),
  z.object({
    kind: z.literal('artifacts'),
    /** Folder holding `<basename>.npy` (soft), `<basename>.png` (hard) and/or `<basename>_conf.npy`. */
    dir: z.string().min(1),
    /** Optional C×D prototypes as .npy (the official file is a torch pickle; convert it once). */
    prototypes: z.string().optional(),
  }),
]);
export type MapSource = z.infer<typeof MapSource>;

export const ImageRef = z.object({ datasetId: z.string().min(1), imageId: z.string().min(1) });
export type ImageRef = z.infer<typeof ImageRef>;

export const ImageStats = z.object({
  imageId: z.string(),
  /** mIoU of the prediction against GT over classes present in either; null without GT. */
  miou: z.number().nullable(),
  /** Mean of the max class probability of the prediction (or of the soft label for artifacts). */
  meanConfidence: z.number().nullable(),
  /** Share of pixels whose pseudo-label rectification changed (raw ≠ denoised); null without both. */
  flippedShare: z.number().nullable(),
  /** Predicted pixel share per class (presence). */
  classShare: z.array(z.number()),
  /** Per-class IoU of the prediction against GT; null where the class is absent from both, or without GT. */
  classIou: z.array(z.number().nullable()),
});
export type ImageStats = z.infer<typeof ImageStats>;

/**
 * What a source knows about pseudo-labels and prototypes, so a view can say why the raw / denoised /
 * flips layers or a class's distance and ω are missing instead of hiding them.
 */
export const PseudoCoverage = z.object({
  /** Where the soft pseudo-labels come from: a run id, an artifacts folder, or null when the source has none to read. */
  from: z.string().nullable(),
  /** Images of this dataset with a soft pseudo-label, and the dataset's size. */
  covered: z.number().int().min(0),
  images: z.number().int().min(0),
  /** Per class: whether its prototype was ever initialised (a prototype never updated stays all zero); null without prototypes. */
  prototypes: z.array(z.boolean()).nullable(),
  /**
   * The source keeps no soft pseudo-labels but has a network and prototypes (an import, a warm-up run):
   * raw, denoised and flips then start from the network's own softmax on each image.
   */
  ownSoftmax: z.boolean(),
});
export type PseudoCoverage = z.infer<typeof PseudoCoverage>;

/**
 * Why an image lacks the pseudo-label layers (raw, denoised, flips), or null when it has them all. One
 * wording for the inspector and triage.
 */
export function pseudoLayersMissing(c: PseudoCoverage, imageHasPseudo: boolean): string | null {
  if (!c.from) return c.ownSoftmax ? null : 'this source has no pseudo-label run with soft labels: raw, denoised and flips need them';
  if (!imageHasPseudo) {
    return c.covered === 0
      ? `no pseudo-labels for this dataset: ${c.from} covered none of its ${c.images} images`
      : `no pseudo-labels for this image: ${c.from} covered ${c.covered} of ${c.images} images`;
  }
  if (!c.prototypes) return `${c.from} has no prototypes: denoised labels and flips need them`;
  return null;
}

export const ConfusionResult = z.object({
  numClasses: z.number().int(),
  classNames: z.array(z.string()),
  /** rows = GT class, cols = predicted class, pixel counts. */
  matrix: z.array(z.array(z.number())),
  iou: z.array(z.number().nullable()),
  miou: z.number().nullable(),
  /** For each off- or on-diagonal cell "gt,pred", the images contributing most pixels, most first. */
  topImages: z.record(z.string(), z.array(z.object({ imageId: z.string(), pixels: z.number() }))),
  images: z.number().int(),
});
export type ConfusionResult = z.infer<typeof ConfusionResult>;

export const PixelValues = z.object({
  x: z.number().int(),
  y: z.number().int(),
  /** Label of each label layer at the pixel (250 = ignore). */
  labels: z.record(z.string(), z.number().int()),
  /** Each vector layer's C values at the pixel. */
  vectors: z.record(z.string(), z.array(z.number())),
  scalars: z.record(z.string(), z.number()),
});
export type PixelValues = z.infer<typeof PixelValues>;

const jobId = z.string().min(1).optional().describe('Caller-chosen id: progress events carry it and maps.cancel stops it');

export const mapsRequests = {
  'maps.get': request(
    'Maps of one image: label, vector and scalar layers plus its statistics',
    z.object({ source: MapSource, image: ImageRef, layers: z.array(MapLayerId).optional(), jobId }).strict(),
    z.object({
      imageId: z.string(),
      width: z.number().int(),
      height: z.number().int(),
      numClasses: z.number().int(),
      classNames: z.array(z.string()),
      layers: z.array(MapLayer),
      stats: ImageStats,
      /** Whether this image has a soft pseudo-label, and the source's coverage (why layers may be missing). */
      hasPseudo: z.boolean(),
      pseudo: PseudoCoverage,
      /** ProDA's τ (proto_temperature) the ω layer was computed with. */
      temperature: z.number(),
      cached: z.boolean(),
    }),
  ),
  'maps.pixel': request(
    'Every layer\'s value at one image pixel (the pixel inspector\'s reference)',
    z.object({ source: MapSource, image: ImageRef, x: z.number().int().min(0), y: z.number().int().min(0) }).strict(),
    PixelValues,
  ),
  'maps.stats': request(
    'Per-image statistics for triage, batched and cached per run',
    z.object({ source: MapSource, datasetId: z.string().min(1), imageIds: z.array(z.string()).optional(), jobId }).strict(),
    z.object({
      images: z.array(ImageStats),
      classNames: z.array(z.string()),
      pseudo: PseudoCoverage,
      /** Ids of the images with a soft pseudo-label (the grid's badge and filter). */
      pseudoLabelled: z.array(z.string()),
    }),
  ),
  'maps.confusion': request(
    'Confusion matrix and per-class IoU of a source over a dataset, with the images behind each cell',
    z.object({ source: MapSource, datasetId: z.string().min(1), top: z.number().int().min(1).max(50).default(8), jobId }).strict(),
    ConfusionResult,
  ),
  'maps.cancel': request('Stops a maps job between images', z.object({ jobId: z.string().min(1) }).strict(), z.object({ cancelled: z.boolean() })),
};

export const mapsEvents = {
  'maps.progress': event(
    'Progress of a batched maps job',
    z.object({ jobId: z.string(), done: z.number().int(), total: z.number().int(), message: z.string() }),
  ),
};

/** The cell of a layer of size lw×lh under image pixel (x, y) of an image of size w×h: nearest, by area. */
export function layerCell(x: number, y: number, w: number, h: number, lw: number, lh: number): { cx: number; cy: number } {
  return {
    cx: Math.min(lw - 1, Math.max(0, Math.floor(((x + 0.5) * lw) / w))),
    cy: Math.min(lh - 1, Math.max(0, Math.floor(((y + 0.5) * lh) / h))),
  };
}
