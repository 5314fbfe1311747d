// Messages between main and the compute process (advanced serialization: typed arrays travel as such).
import type { InferenceInfo, Prediction, PredictOptions, PredictorOptions, RgbBytes } from '../engine/predict';

export type ToCompute =
  | { type: 'open'; id: number; workspace: string; ref: string; options?: PredictorOptions }
  | { type: 'predict'; id: number; predictor: number; images: RgbBytes[]; options?: PredictOptions }
  | { type: 'close'; id: number; predictor: number };

export type FromCompute =
  | { type: 'ready'; pid: number }
  | { type: 'opened'; id: number; predictor: number; info: InferenceInfo }
  | { type: 'predicted'; id: number; predictions: Prediction[] }
  | { type: 'closed'; id: number }
  | { type: 'error'; id: number; message: string };
