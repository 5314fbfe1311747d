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
  /** Full-resolution train ids: argmax of the upsampled probabilities. */
  trainIds: Uint8Array;
  /** Full-resolution max probability (ProDA's `_conf.npy`). */
  confidence: Float32Array;
  /** Softmax at model resolution, channel-first C×h×w (ProDA's soft pseudo-label layout; never flip-averaged). */
  soft: { channels: number; height: number; width: number; data: Float32Array };
}

/**
 * Eval-mode prediction of one RGB image (interleaved bytes) at its own size, as generate_pseudo_label.py
 * does it: softmax at model resolution, probabilities upsampled bilinearly (align_corners) to the image,
 * and with `flip` averaged with the mirrored prediction of the mirrored image.
 */
export async function predictImage(net: SegNet, img: { width: number; height: number; data: Uint8Array }, opts: { flip?: boolean } = {}): Promise<Prediction> {
  const [labels, conf, soft] = tf.tidy(() => {
    const x = tf.div(tf.tensor4d(img.data, [1, img.height, img.width, 3], 'float32'), 255) as tf.Tensor4D;
    const probs = tf.softmax(net.apply(x, { training: false }).logits, 3) as tf.Tensor4D;
    let full: tf.Tensor4D = tf.image.resizeBilinear(probs, [img.height, img.width], true);
    if (opts.flip) {
      const flipped = tf.softmax(net.apply(tf.reverse(x, 2), { training: false }).logits, 3) as tf.Tensor4D;
      full = tf.mul(tf.add(full, tf.reverse(tf.image.resizeBilinear(flipped, [img.height, img.width], true), 2)), 0.5) as tf.Tensor4D;
    }
    return [tf.argMax(full, 3), tf.max(full, 3), tf.transpose(probs, [0, 3, 1, 2])];
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
