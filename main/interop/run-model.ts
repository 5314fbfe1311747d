// What an export needs from a run: its network config, the student weights (final model artifact, or
// the newest verified checkpoint while the run has not finished) and the facts the sidecar records.
// Also the engine-side prediction used by label exports.
import { existsSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { ClassSetId } from '../../shared/classes';
import { classSetIds } from '../../shared/classes';
import type { RunConfig } from '../../shared/runs-config';
import type { SegNetConfig } from '../engine/nets/deeplab';
import type { NamedWeights, SegNet } from '../engine/nets/net';
import { readData } from '../engine/read';
import { loadLatestCheckpoint } from '../runs/checkpoints';
import { readConfig, readReport, readStatus, runDir, runPaths } from '../runs/records';
import { MODEL_ARTIFACT, readModel, segNetConfig, tensorsToPrototypes, tensorsToWeights } from '../runs/stages/net';
import type { ExportInfo } from './export-model';

export interface RunModel {
  runDir: string;
  config: RunConfig;
  network: SegNetConfig;
  weights: NamedWeights;
  prototypes: { classes: number; dim: number; data: Float32Array } | null;
  info: ExportInfo;
  /** Where the weights came from, relative to the run folder. */
  from: string;
}

const datasetName = (d: { root: string; format: string; split?: string } | undefined): string | null =>
  d ? `${d.format}:${path.basename(d.root)}${d.split ? `/${d.split}` : ''}` : null;

export async function loadRunModel(workspace: string, runId: string): Promise<RunModel> {
  const dir = runDir(workspace, runId);
  const config = await readConfig(dir);
  const network = segNetConfig(config.network);
  let weights: NamedWeights;
  let prototypes: RunModel['prototypes'] = null;
  let from: string;
  if (existsSync(path.join(dir, MODEL_ARTIFACT))) {
    const m = await readModel(dir);
    weights = m.weights;
    if (m.prototypes) prototypes = { classes: m.prototypes.numClasses, dim: m.prototypes.dim, data: m.prototypes.vectors };
    from = MODEL_ARTIFACT;
  } else {
    const ckpt = await loadLatestCheckpoint(runPaths(dir).checkpoints);
    if (!ckpt) throw new Error(`run ${runId} has neither a final model (${MODEL_ARTIFACT}) nor a readable checkpoint`);
    weights = tensorsToWeights('student.', ckpt.tensors);
    const p = tensorsToPrototypes(ckpt.tensors);
    if (p) prototypes = { classes: p.numClasses, dim: p.dim, data: p.vectors };
    from = `checkpoints (iteration ${ckpt.meta.iteration})`;
  }
  if (Object.keys(weights).length === 0) throw new Error(`run ${runId}: no student weights in ${from}`);
  const report = await readReport(dir);
  const c = config as RunConfig & { source?: { root: string; format: string; split?: string; classSet?: string }; target?: { root: string; format: string; split?: string; classSet?: string }; aug?: { cropHeight: number; cropWidth: number } };
  const setRaw = c.target?.classSet ?? c.source?.classSet ?? String(config.network.classes);
  const classSet: ClassSetId = (classSetIds as readonly string[]).includes(setRaw) ? (setRaw as ClassSetId) : '19';
  return {
    runDir: dir,
    config,
    network,
    weights,
    prototypes,
    from,
    info: {
      runId,
      classSet,
      source: datasetName(c.source),
      target: datasetName(c.target),
      miou: report?.final?.miou ?? null,
      iteration: (await readStatus(dir)).iteration,
      inputSize: c.aug ? [c.aug.cropHeight, c.aug.cropWidth] : null,
      arch: config.network.arch,
    },
  };
}

export interface Prediction {
  width: number;
  height: number;
  /** Full-resolution train ids: argmax of the full-resolution probabilities (see LabelOrder). */
  trainIds: Uint8Array;
  /** Full-resolution max probability (ProDA's `_conf.npy`). */
  confidence: Float32Array;
  /** Softmax at model resolution, channel-first C×h×w (ProDA's soft pseudo-label layout; never flip-averaged). */
  soft: { channels: number; height: number; width: number; data: Float32Array };
}

/**
 * How logits become labels. 'pseudo-label' (generate_pseudo_label.py, `proda pseudo --mode hard`): softmax at model
 * resolution, probabilities upsampled. 'eval' (the validation of train.py/test.py, `proda eval`): logits upsampled,
 * then softmax/argmax. The two give different confidences and, near class boundaries, different labels.
 */
export type LabelOrder = 'pseudo-label' | 'eval';
export const labelOrders: readonly LabelOrder[] = ['pseudo-label', 'eval'];

/**
 * Eval-mode prediction of one RGB image (interleaved bytes) at its own size. In the default 'pseudo-label' order, as
 * generate_pseudo_label.py does it: softmax at model resolution, probabilities upsampled bilinearly (align_corners)
 * to the image; in the 'eval' order the logits are upsampled first, as validation scores them. With `flip` the
 * probabilities are averaged with the mirrored prediction of the mirrored image (the reference validates without).
 */
export async function predictImage(
  net: SegNet,
  img: { width: number; height: number; data: Uint8Array },
  opts: { flip?: boolean; order?: LabelOrder } = {},
): Promise<Prediction> {
  const size: [number, number] = [img.height, img.width];
  const fullProbs = (logits: tf.Tensor4D): tf.Tensor4D =>
    opts.order === 'eval'
      ? (tf.softmax(tf.image.resizeBilinear(logits, size, true), 3) as tf.Tensor4D)
      : tf.image.resizeBilinear(tf.softmax(logits, 3) as tf.Tensor4D, size, true);
  const [labels, conf, soft] = tf.tidy(() => {
    const x = tf.div(tf.tensor4d(img.data, [1, img.height, img.width, 3], 'float32'), 255) as tf.Tensor4D;
    const logits = net.apply(x, { training: false }).logits;
    let full = fullProbs(logits);
    if (opts.flip) full = tf.mul(tf.add(full, tf.reverse(fullProbs(net.apply(tf.reverse(x, 2), { training: false }).logits), 2)), 0.5) as tf.Tensor4D;
    return [tf.argMax(full, 3), tf.max(full, 3), tf.transpose(tf.softmax(logits, 3), [0, 3, 1, 2])];
  });
  const [, c, h, w] = soft.shape;
  const [l, cf, s] = await Promise.all([readData<'int32'>(labels), readData(conf), readData(soft)]).finally(() => tf.dispose([labels, conf, soft]));
  return {
    width: img.width,
    height: img.height,
    trainIds: Uint8Array.from(l),
    confidence: cf,
    soft: { channels: c, height: h, width: w, data: s },
  };
}
