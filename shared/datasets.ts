// Dataset references, listing entries and check reports: the data the contract carries about datasets.
import { z } from 'zod';
import { classSetIds } from './classes';

export const datasetFormats = ['demo', 'cityscapes', 'gta5', 'synthia', 'folder'] as const;
export const DatasetFormat = z.enum(datasetFormats);
export type DatasetFormat = z.infer<typeof DatasetFormat>;

export const ClassSetIdSchema = z.enum(classSetIds);

export const DatasetRole = z.enum(['source', 'target']);
export type DatasetRole = z.infer<typeof DatasetRole>;

export const DatasetRef = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  format: DatasetFormat,
  /** Absolute path of the dataset root folder. */
  root: z.string().min(1),
  /**
   * Which part to read. cityscapes: 'train' | 'val' | 'test'; gta5: 'all' (default) | 'train' | 'val' | 'test'
   * (needs split.mat); demo: 'source' | 'target-train' | 'target-val'; synthia and folder: ignored.
   */
  split: z.string().optional(),
  role: DatasetRole,
  classSet: ClassSetIdSchema,
});
export type DatasetRef = z.infer<typeof DatasetRef>;

export const ImageEntry = z.object({
  /** Stable id within the dataset: the image path relative to the root, with '/' separators. */
  id: z.string(),
  /** Display name (file basename without the format's suffix). */
  name: z.string(),
  imagePath: z.string(),
  /** Absolute label path, or null where the image has no label (target train without GT, unmatched image). */
  labelPath: z.string().nullable(),
  split: z.string().optional(),
  /** Sub-folder the image lives in (Cityscapes city), if any. */
  group: z.string().optional(),
});
export type ImageEntry = z.infer<typeof ImageEntry>;

export const checkProblemKinds = [
  'missing-folder',
  'missing-file',
  'no-images',
  'unmatched-image',
  'unmatched-label',
  'unreadable',
  'wrong-bit-depth',
  'wrong-channels',
  'size-mismatch',
  'unknown-label-id',
  'bad-manifest',
  'bad-class-list',
] as const;
export const CheckProblemKind = z.enum(checkProblemKinds);
export type CheckProblemKind = z.infer<typeof CheckProblemKind>;

export const CheckProblem = z.object({
  severity: z.enum(['error', 'warning']),
  kind: CheckProblemKind,
  /** The offending file or folder (absolute), when there is one. */
  file: z.string().optional(),
  message: z.string(),
});
export type CheckProblem = z.infer<typeof CheckProblem>;

export const SizeCount = z.object({ width: z.number().int(), height: z.number().int(), count: z.number().int() });

export const ClassHistogram = z.object({
  classNames: z.array(z.string()),
  /** Pixels per train id of the class set, over every readable label. */
  pixels: z.array(z.number()),
  ignore: z.number(),
  total: z.number(),
});
export type ClassHistogram = z.infer<typeof ClassHistogram>;

export const ColorStats = z.object({
  /** Which part of the dataset: 'source', 'target-train', 'target-val' for demo; the split otherwise. */
  domain: z.string(),
  images: z.number().int(),
  /** Per channel R,G,B over all pixels, 0..255. */
  mean: z.tuple([z.number(), z.number(), z.number()]),
  std: z.tuple([z.number(), z.number(), z.number()]),
  /** Mean HSV saturation 0..1 and mean luma 0..255: the two numbers that tell the demo domains apart at a glance. */
  saturation: z.number(),
  luma: z.number(),
  /** Mean absolute horizontal gradient of luma: sharp (source) vs blurred/noisy (target). */
  sharpness: z.number(),
});
export type ColorStats = z.infer<typeof ColorStats>;

export const CheckReport = z.object({
  root: z.string(),
  format: DatasetFormat,
  classSet: ClassSetIdSchema,
  ok: z.boolean(),
  counts: z.object({
    images: z.number().int(),
    labels: z.number().int(),
    pairs: z.number().int(),
    bySplit: z.record(z.string(), z.number().int()),
  }),
  sizes: z.array(SizeCount),
  histogram: ClassHistogram,
  colorStats: z.array(ColorStats),
  problems: z.array(CheckProblem),
  /** Capped: a huge broken dataset reports the first problems and how many more there were. */
  problemsOmitted: z.number().int(),
});
export type CheckReport = z.infer<typeof CheckReport>;

/** One line per problem, naming the file: what the CLI prints and the UI lists. */
export const problemLine = (p: CheckProblem): string =>
  `${p.severity === 'error' ? 'ERROR' : 'warning'} ${p.kind}: ${p.file ? `${p.file}: ` : ''}${p.message}`;

export const demoSplits = ['source', 'target-train', 'target-val'] as const;
export const DemoSplit = z.enum(demoSplits);
export type DemoSplit = z.infer<typeof DemoSplit>;

/** The demo manifest (`demo.json` at a demo dataset root). */
export const DemoManifest = z.object({
  format: z.literal('proda-demo'),
  version: z.literal(1),
  seed: z.number().int(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  /** Generator version: a changed drawing code bumps it, so old folders are recognised as different data. */
  generator: z.string(),
  classSet: z.literal('19'),
  /** Per split: image count, folder (relative to the root, holding images/ and labels/), and who may read the labels. */
  splits: z.record(
    DemoSplit,
    z.object({
      count: z.number().int().nonnegative(),
      dir: z.string(),
      /** 'train': labels are training data (source). 'eval-only': target GT, for evaluation and oracle runs only. */
      labels: z.enum(['train', 'eval-only']),
    }),
  ),
  /** Train ids the generator draws; the others never appear. */
  classesPresent: z.array(z.number().int()),
});
export type DemoManifest = z.infer<typeof DemoManifest>;
