// Messages between main and the compute process (advanced serialization: typed arrays travel as such).
import type { DatasetRef } from '../../shared/datasets';
import type { InferenceInfo, Prediction, PredictOptions, PredictorOptions, RgbBytes } from '../engine/predict';
import type { ExportFormat } from '../interop/export-model';
import type { LabelLayout } from '../interop/labels-export';
import type { LabelOrder } from '../engine/predict';
import type { labelExportBnModes } from '../../shared/contract/export';

/** The dataset a job reads, opened in the compute process itself. */
export interface DatasetArg {
  ref: DatasetRef;
  cacheDir?: string;
}

/** Export jobs (interop/jobs.ts) with plain, serialisable arguments. */
export type ComputeJob =
  | {
      kind: 'export-model';
      workspace: string;
      runId: string;
      dataset: DatasetArg | null;
      formats: ExportFormat[];
      parityImages: number;
      paritySide: number;
      minAgreement?: number;
      outDir: string;
    }
  | {
      kind: 'export-labels';
      workspace: string;
      runId: string;
      dataset: DatasetArg;
      layouts: LabelLayout[];
      imageIds?: string[];
      soft: boolean;
      flip: boolean;
      order: LabelOrder;
      bn: (typeof labelExportBnModes)[number];
      /** Images that re-estimate BN (default: `dataset`). */
      bnData: DatasetArg | null;
      outDir: string;
    };

export type ToCompute =
  | { type: 'open'; id: number; workspace: string; ref: string; options?: PredictorOptions }
  | { type: 'predict'; id: number; predictor: number; images: RgbBytes[]; options?: PredictOptions }
  | { type: 'close'; id: number; predictor: number }
  | { type: 'job'; id: number; job: ComputeJob };

export type FromCompute =
  | { type: 'ready'; pid: number }
  | { type: 'opened'; id: number; predictor: number; info: InferenceInfo }
  | { type: 'predicted'; id: number; predictions: Prediction[] }
  | { type: 'closed'; id: number }
  | { type: 'progress'; id: number; step: string; done: number; total: number; message: string }
  | { type: 'done'; id: number; result: unknown }
  /** name and code let the caller rebuild AppError / ParityError. */
  | { type: 'error'; id: number; message: string; name?: string; code?: string; where?: string; details?: unknown };
