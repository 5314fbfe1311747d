// Hand corrections of target labels: open an image's corrected raster (starting from a chosen layer),
// apply edits, undo/redo, export/import, and counts for training. Edits travel as ops (a few hundred
// bytes), not rasters: main re-runs the same platform-free op (shared/annotation) on its stored copy,
// and `seq` (the number of effective steps) keeps client and main in step.
import { z } from 'zod';
import { editOpSchema } from '../annotation/ops';
import { bytesSchema } from './codec';
import { event, request } from './define';

const datasetId = z.string().min(1, 'a dataset id is required');
const imageId = z.string().min(1, 'an image id is required');
const seq = z.number().int().nonnegative().describe('The step the client last saw; a stale one is refused with a conflict');

export const labelStartSchema = z.discriminatedUnion('source', [
  /** Every pixel ignore (250): label only what you paint. */
  z.object({ source: z.literal('empty') }),
  /** The dataset's ground truth (where the dataset policy lets it be read). */
  z.object({ source: z.literal('ground-truth') }),
  /** Any label layer the client already has (prediction, raw or denoised pseudo-label, ...), at image size. */
  z.object({
    source: z.literal('layer'),
    label: z.string().min(1).describe('What the layer is, for the log, e.g. "run r3: denoised pseudo-label"'),
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    data: bytesSchema,
  }),
]);
export type LabelStart = z.infer<typeof labelStartSchema>;

export const labelHistoryInfoSchema = z.object({
  /** Oldest first; the last one is what undo reverts. */
  undo: z.array(z.object({ seq: z.number().int(), summary: z.string() })),
  /** The last one is what redo re-applies. */
  redo: z.array(z.object({ seq: z.number().int(), summary: z.string() })),
  bytes: z.number().int(),
  /** Steps dropped from the bottom to stay within the memory budget. */
  dropped: z.number().int(),
});

export const labelStateSchema = z.object({
  datasetId: z.string(),
  imageId: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  /** Current corrected trainIds (250 = ignore). */
  labels: bytesSchema,
  /** 1 where a person decided the label. */
  touched: bytesSchema,
  /** The starting layer (what the eraser restores). */
  base: bytesSchema,
  seq: z.number().int(),
  generation: z.number().int(),
  start: z.object({ source: z.enum(['empty', 'ground-truth', 'layer', 'import']), label: z.string() }),
  touchedPixels: z.number().int(),
  history: labelHistoryInfoSchema,
});
export type LabelState = z.infer<typeof labelStateSchema>;

export const labelExportFormats = ['trainId', 'labelId', 'color'] as const;
export const LabelExportFormat = z.enum(labelExportFormats);
export type LabelExportFormat = z.infer<typeof LabelExportFormat>;

const stepResult = z.object({
  seq: z.number().int(),
  /** Pixels whose label or touched state changed. */
  pixels: z.number().int(),
  touchedPixels: z.number().int(),
  /** For undo/redo: the step's diff (shared/annotation encodeDiff) and which way to apply it; null if nothing to do. */
  diff: bytesSchema.nullable(),
  direction: z.enum(['forward', 'backward']),
  history: labelHistoryInfoSchema,
});

export const correctionCountsSchema = z.object({
  datasetId: z.string(),
  images: z.number().int(),
  touchedPixels: z.number().int(),
  items: z.array(z.object({ imageId: z.string(), touchedPixels: z.number().int(), seq: z.number().int(), updatedAt: z.string() })),
});

export const labelsRequests = {
  'labels.get': request(
    "An image's corrections, restored from disk; when none exist yet, started from `start` (default: ground truth where readable, else empty)",
    z.object({ datasetId, imageId, start: labelStartSchema.optional() }).strict(),
    labelStateSchema,
  ),
  'labels.reset': request(
    'Start an image over from another layer: a new generation, empty history, nothing touched',
    z.object({ datasetId, imageId, start: labelStartSchema }).strict(),
    labelStateSchema,
  ),
  'labels.applyEdit': request(
    'Apply one edit op (brush, eraser, ignore, replace, fill, polygon); logged at once, saved within a second',
    z.object({ datasetId, imageId, seq, op: editOpSchema }).strict(),
    stepResult,
  ),
  'labels.undo': request('Undo the last step of the image', z.object({ datasetId, imageId, seq }).strict(), stepResult),
  'labels.redo': request('Redo the last undone step of the image', z.object({ datasetId, imageId, seq }).strict(), stepResult),
  'labels.save': request(
    'Write pending snapshots now (also happens by itself within a second of an edit)',
    z.object({ datasetId: datasetId.optional(), imageId: imageId.optional() }).strict(),
    z.object({ saved: z.number().int() }),
  ),
  'labels.export': request(
    "One image's corrected labels as a PNG: trainIds (grey), Cityscapes labelIds (grey, ignore → 0) or palette colours",
    z.object({ datasetId, imageId, format: LabelExportFormat.default('trainId') }).strict(),
    z.object({ fileName: z.string(), mime: z.literal('image/png'), bytes: bytesSchema }),
  ),
  'labels.exportAll': request(
    "Write every corrected image of a dataset into a folder (default: the workspace's exports/labels-<dataset>-<format>/); a folder you name that holds files is refused unless force",
    z
      .object({
        datasetId,
        format: LabelExportFormat.default('trainId'),
        dir: z.string().min(1).optional(),
        /** Write into a named folder that already holds files (same-named files are replaced, others left alone). */
        force: z.boolean().default(false),
      })
      .strict(),
    z.object({ dir: z.string(), files: z.array(z.object({ imageId: z.string(), path: z.string() })) }),
  ),
  'labels.import': request(
    "Replace an image's corrections by a label PNG (trainId, labelId or colour); every labelled pixel counts as touched",
    z.object({ datasetId, imageId, format: LabelExportFormat.default('trainId'), bytes: bytesSchema, name: z.string().default('imported.png') }).strict(),
    labelStateSchema,
  ),
  'labels.counts': request(
    'How many images and pixels were corrected in a dataset (what a run with corrections would use)',
    z.object({ datasetId }).strict(),
    correctionCountsSchema,
  ),
};

export const labelsEvents = {
  'labels.saved': event(
    'An image’s corrections reached disk',
    z.object({ datasetId: z.string(), imageId: z.string(), seq: z.number().int(), touchedPixels: z.number().int() }),
  ),
};
