// export.* / import.*: trained models out (ONNX, TF.js, safetensors, each with a sidecar, after a
// parity check), label maps out in the layouts other tools read, and PyTorch checkpoints in.
import { z } from 'zod';
import { event, request } from './define';
import { modelRef, safeId } from './ids';

export const modelExportFormats = ['onnx', 'tfjs', 'safetensors', 'pytorch'] as const;
export const labelExportLayouts = ['cityscapes', 'proda'] as const;
/**
 * How labels are made from logits: 'pseudo-label' = softmax at output resolution, then upsample (the
 * official generate_pseudo_label.py); 'eval' = upsample the logits, then argmax (how validation scores).
 */
export const labelExportOrders = ['pseudo-label', 'eval'] as const;
/** BN statistics for the prediction: as trained ('running'), or re-estimated on target images first. */
export const labelExportBnModes = ['running', 'reestimate'] as const;

const parityEntrySchema = z.object({
  id: z.string(),
  height: z.number().int(),
  width: z.number().int(),
  maxAbsLogitDiff: z.number(),
  argmaxAgreement: z.number(),
});

export const parityReportSchema = z.object({
  images: z.number().int(),
  maxAbsLogitDiff: z.number(),
  argmaxAgreement: z.number(),
  minAgreement: z.number(),
  passed: z.boolean(),
  onnx: z
    .object({ maxAbsLogitDiff: z.number(), argmaxAgreement: z.number(), probsSumError: z.number(), perImage: z.array(parityEntrySchema) })
    .nullable(),
  tfjs: z.object({ maxAbsLogitDiff: z.number(), argmaxAgreement: z.number(), perImage: z.array(parityEntrySchema) }).nullable(),
  /** The safetensors export read back into a fresh engine network. */
  safetensors: z.object({ maxAbsLogitDiff: z.number(), argmaxAgreement: z.number(), perImage: z.array(parityEntrySchema) }).nullable(),
  /** The official-format .pkl read back through the checkpoint importer into a fresh engine network. */
  pytorch: z.object({ maxAbsLogitDiff: z.number(), argmaxAgreement: z.number(), perImage: z.array(parityEntrySchema) }).nullable(),
  backend: z.string(),
  seconds: z.number(),
});
export type ParityReportData = z.infer<typeof parityReportSchema>;

export const importReportSchema = z.object({
  source: z.string(),
  kind: z.enum(['proda', 'wrapped-state-dict', 'state-dict', 'prototypes']),
  path: z.string(),
  strippedPrefix: z.string().nullable(),
  matched: z.array(z.string()),
  missing: z.array(z.string()),
  unexpected: z.array(z.string()),
  ignored: z.array(z.string()),
  shapeMismatched: z.array(z.object({ name: z.string(), expected: z.array(z.number()), found: z.array(z.number()) })),
  iteration: z.number().nullable(),
  bestIou: z.number().nullable(),
  prototypes: z.object({ classes: z.number().int(), dim: z.number().int() }).nullable(),
});
export type ImportReportData = z.infer<typeof importReportSchema>;

export const exportEntrySchema = z.object({
  id: z.string(),
  kind: z.enum(['model', 'labels', 'import']),
  dir: z.string(),
  createdAt: z.string().nullable(),
  runId: z.string().nullable(),
  /** Model exports: formats written; label exports: layouts; imports: the network arch. */
  contents: z.array(z.string()),
  /** Model exports: worst argmax agreement of the parity check. */
  argmaxAgreement: z.number().nullable(),
  /** Imports: one-line key-matching summary. */
  summary: z.string().nullable(),
});
export type ExportEntry = z.infer<typeof exportEntrySchema>;

/** Export and import ids name their folder under exports/ or imports/. */
const jobId = safeId;

export const exportRequests = {
  'export.model': request(
    'Export a run’s student as ONNX / TF.js / safetensors / official ProDA checkpoint, with sidecars; succeeds only after the parity check',
    z
      .object({
        runId: modelRef,
        formats: z.array(z.enum(modelExportFormats)).min(1).default(['onnx', 'tfjs', 'safetensors', 'pytorch']),
        /** Target images for the parity check, from this dataset (default: the first target dataset of the workspace). */
        datasetId: z.string().optional(),
        parityImages: z.number().int().min(1).max(100).default(4),
        /** Parity images are downscaled so their longer side is at most this (engine and runtimes see the same pixels). */
        paritySide: z.number().int().min(16).max(4096).default(512),
        minAgreement: z.number().min(0).max(1).default(0.999),
        /** Progress events carry this id; also the export folder name (default: <runId>-<timestamp>). */
        exportId: jobId.optional(),
      })
      .strict(),
    z.object({ exportId: z.string(), dir: z.string(), files: z.array(z.string()), parity: parityReportSchema }),
  ),
  'export.labels': request(
    'Write label maps (Cityscapes trainId/labelId/colour/confidence, ProDA pseudo-label layout) from a run’s predictions or from hand corrections',
    z
      .object({
        datasetId: z.string().min(1),
        source: z.discriminatedUnion('kind', [z.object({ kind: z.literal('run'), runId: modelRef }), z.object({ kind: z.literal('corrections') })]),
        layouts: z.array(z.enum(labelExportLayouts)).min(1).default(['cityscapes', 'proda']),
        /** Only these images (default: every image of the dataset, or every corrected one). */
        imageIds: z.array(z.string()).optional(),
        /** Also write ProDA soft labels (C×h×w float32 .npy) for run predictions. */
        soft: z.boolean().default(false),
        /** Run predictions averaged with the mirrored image's, as ProDA's hard pseudo-labels (--flip); default: on for the pseudo-label order, off for eval (validation scores without flip). */
        flip: z.boolean().optional(),
        order: z.enum(labelExportOrders).default('pseudo-label'),
        bn: z.enum(labelExportBnModes).default('running'),
        /** With bn 'reestimate': the dataset whose images re-estimate BN (default: the exported dataset). */
        bnDatasetId: z.string().min(1).optional(),
        exportId: jobId.optional(),
      })
      .strict(),
    z.object({ exportId: z.string(), dir: z.string(), images: z.number().int(), files: z.number().int() }),
  ),
  'export.list': request(
    'Finished model and label exports (exports/) and checkpoint imports (imports/) of the workspace, newest first',
    z.object({}).strict(),
    z.object({ entries: z.array(exportEntrySchema) }),
  ),
  'export.files': request(
    'The files of one export folder (exports/<exportId>/), by path relative to it, for download in browser mode (GET /download/<exportId>/<path>)',
    z.object({ exportId: jobId }).strict(),
    z.object({ exportId: z.string(), files: z.array(z.object({ path: z.string(), bytes: z.number().int() })), truncated: z.boolean() }),
  ),
  'import.checkpoint': request(
    'Import a PyTorch checkpoint (official ProDA, torchvision, SimCLRv2, prototypes file) onto a network; reports matched, missing, unexpected and mismatched keys',
    z
      .object({
        /** Absolute path of the .pkl / .pth file. */
        path: z.string().min(1),
        network: z
          .object({ arch: z.string().default('resnet101'), classes: z.number().int().min(2).max(256).default(19), bnPretrain: z.boolean().default(false) })
          .strict()
          .prefault({}),
        /** Refuse (and write nothing) when any key is missing, unexpected or mismatched. */
        strict: z.boolean().default(false),
        importId: jobId.optional(),
      })
      .strict(),
    z.object({ importId: z.string(), dir: z.string(), report: importReportSchema, summary: z.string() }),
  ),
};

export const exportEvents = {
  'export.progress': event(
    'Progress of an export or import job',
    z.object({ jobId: z.string(), step: z.string(), done: z.number().int(), total: z.number().int(), message: z.string() }),
  ),
};
