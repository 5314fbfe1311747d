// Datasets registered in the open workspace, their images (paged) and image bytes.
import { z } from 'zod';
import { CheckReport, DatasetRef, ImageEntry } from '../datasets';
import { bytesSchema } from './codec';
import { request } from './define';
import { safeId } from './ids';

const datasetId = z.string().min(1, 'a dataset id is required');
const imageId = z.string().min(1, 'an image id is required');

/** Encoded image file bytes as stored (PNG/JPEG), ready for an <img> or createImageBitmap. */
export const encodedImageSchema = z.object({ mime: z.string(), bytes: bytesSchema });
export type EncodedImage = z.infer<typeof encodedImageSchema>;

export const MAX_PAGE = 5000;

export const datasetRequests = {
  'datasets.list': request(
    'Datasets registered in the open workspace',
    z.object({}).strict(),
    z.object({ datasets: z.array(DatasetRef) }),
  ),
  'datasets.add': request(
    'Register a dataset folder in the open workspace (the id is derived from the name when omitted)',
    z
      .object({
        dataset: DatasetRef.extend({
          id: safeId.optional(),
          root: z.string().min(1).max(4096).refine((r) => !r.includes('\0'), 'a folder path cannot contain a NUL character'),
        }),
      })
      .strict(),
    DatasetRef,
  ),
  'datasets.check': request(
    'Check a registered dataset: counts, sizes, class histogram, one problem line per bad file',
    z.object({ datasetId }).strict(),
    CheckReport,
  ),
  'images.list': request(
    'One page of a dataset\'s images in its stable order',
    z
      .object({
        datasetId,
        offset: z.number().int().min(0).default(0),
        limit: z.number().int().min(1).max(MAX_PAGE).default(500),
      })
      .strict(),
    z.object({ total: z.number().int(), offset: z.number().int(), items: z.array(ImageEntry) }),
  ),
  'images.get': request('The encoded image file', z.object({ datasetId, imageId }).strict(), encodedImageSchema),
  'images.thumbnail': request(
    'A small encoded preview, longest side at most maxSide (cached in the workspace)',
    z.object({ datasetId, imageId, maxSide: z.number().int().min(16).max(1024).default(192) }).strict(),
    encodedImageSchema,
  ),
  'images.label': request(
    'The ground-truth label map in train ids (250 = ignore), or null where the image has none',
    z.object({ datasetId, imageId }).strict(),
    z.object({ width: z.number().int(), height: z.number().int(), data: bytesSchema }).nullable(),
  ),
};

