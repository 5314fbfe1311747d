// Stages that run once over a split instead of iterating: pseudo-labelling (soft labels + prototype
// initialisation, or flip-averaged hard labels with confidence) and evaluation.
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { ConfigOf } from '../../../shared/runs-config';
import type { EvalResult } from '../../../shared/contract/runs';
import { writeFileAtomic, writeJsonAtomic } from '../../io/atomic';
import { writeNpy } from '../../io/npy';
import { encodeIndexPng } from '../../io/png';
import type { SegNet } from '../../engine/nets';
import { readData } from '../../engine/read';
import { accumulatePrototypeMean, classCentroids, createPrototypes, type ClassCentroids } from '../../engine/proda/prototypes';
import { readConfig } from '../records';
import type { StageContext, StageProgram } from '../program';
import { ImageSource, inputTensor, type DatasetOpener } from './data';
import { evaluate, reestimateBn } from './evaluate';
import { buildNet, readModel, writePrototypes } from './net';
import { sourceCentroids } from './source-prototypes';

/** A file name for an image id (ids may hold folders). */
export const artifactName = (id: string): string => id.replace(/\.[A-Za-z0-9]+$/, '').replace(/[\\/]/g, '__');

export const PSEUDO_INDEX = path.join('artifacts', 'pseudo.json');
export interface PseudoIndex {
  mode: 'soft' | 'hard';
  ids: string[];
  /** Per image id, files relative to the run folder. */
  files: Record<string, { soft?: string; label?: string; conf?: string }>;
  /** Soft maps: [C, h, w] float32 at network output resolution (ProDA layout). */
  softShape?: number[];
}

/** The model of an upstream run, built with that run's own network config. */
export async function loadUpstreamNet(ctx: StageContext, runId: string): Promise<{ net: SegNet; network: ConfigOf<'warmup'>['network'] }> {
  const dir = ctx.resolveRun(runId);
  const up = await readConfig(dir);
  const { weights } = await readModel(dir);
  return { net: buildNet(up.network, up.seed, weights), network: up.network };
}

const yieldLoop = () => new Promise((r) => setImmediate(r));

export function pseudoProgram(open: DatasetOpener) {
  return async (ctx: StageContext): Promise<StageProgram> => {
    const config = ctx.config as ConfigOf<'pseudo'>;
    const { net } = await loadUpstreamNet(ctx, config.model);
    if (config.mode === 'soft' && config.prototypes.from === 'source' && !config.prototypes.source)
      throw new Error("prototypes.from is 'source' but prototypes.source names no labelled source split");
    const target = await ImageSource.open(open, config.target, 'target', { cacheMb: 64 });
    if (config.bn === 'reestimate') {
      await reestimateBn(net, target, config.bnImages);
      ctx.log(`labelling with BN statistics re-estimated on ${config.bnImages} target images`);
    }
    return {
      iterations: 0,
      snapshot: async () => ({ tensors: {}, state: {} }),
      restore: async () => {},
      step: async () => {
        throw new Error('pseudo-labelling does not iterate');
      },
      async finish() {
        const index: PseudoIndex = { mode: config.mode, ids: target.ids, files: {} };
        const artifacts: string[] = [PSEUDO_INDEX];
        const centroids: ClassCentroids[] = [];
        const n = target.size;
        for (let i = 0; i < n; ) {
          if (ctx.cancelled()) return { final: null, artifacts: [] };
          const batch = await sameSizeBatch(target, i, n, 8);
          if (config.mode === 'soft') {
            const { probs, cent } = await softBatch(net, batch, config.prototypes.minPixels);
            centroids.push(cent);
            const [N, h, w, C] = probs.shape;
            const nhwc = await readData(probs).finally(() => probs.dispose());
            for (let b = 0; b < N; b++) {
              const id = target.ids[i + b];
              const chw = new Float32Array(C * h * w);
              const off = b * h * w * C;
              for (let p = 0; p < h * w; p++) for (let c = 0; c < C; c++) chw[c * h * w + p] = nhwc[off + p * C + c];
              const file = path.join('artifacts', 'soft', `${artifactName(id)}.npy`);
              await writeFileAtomic(path.join(ctx.runDir, file), writeNpy({ dtype: 'float32', shape: [C, h, w], data: chw }));
              index.files[id] = { soft: file };
            }
            index.softShape = [C, h, w];
          } else {
            const { labels, confs } = await hardBatch(net, batch, config.flip);
            const { width, height } = batch[0];
            for (let b = 0; b < batch.length; b++) {
              const id = target.ids[i + b];
              const name = artifactName(id);
              const lf = path.join('artifacts', 'hard', `${name}.png`);
              const cf = path.join('artifacts', 'hard', `${name}_conf.npy`);
              await writeFileAtomic(path.join(ctx.runDir, lf), encodeIndexPng({ width, height, data: labels[b] }));
              await writeFileAtomic(path.join(ctx.runDir, cf), writeNpy({ dtype: 'float16', shape: [height, width], data: confs[b] }));
              index.files[id] = { label: lf, conf: cf };
            }
          }
          i += batch.length;
          ctx.reportItems(i, n);
          await yieldLoop();
        }
        if (config.mode === 'soft') {
          if (config.prototypes.from === 'source') {
            const src = await ImageSource.open(open, config.prototypes.source!, 'source', { cacheMb: 64 });
            const cs = await sourceCentroids(net, src, config.prototypes.minPixels, { cancelled: ctx.cancelled, onImage: (d, t) => ctx.reportItems(d, t) });
            if (!cs) return { final: null, artifacts: [] };
            centroids.splice(0, centroids.length, ...cs);
            ctx.log(`prototypes from ${src.size} source images: ground truth and prediction agreeing (calc_prototype --source)`);
          }
          // calc_prototype makes `epochs` identical passes in eval mode; the centroids do not change
          // between passes, so they are computed once and accumulated `epochs` times.
          const first = centroids[0];
          const protos = createPrototypes(first.numClasses, first.dim);
          for (let e = 0; e < config.prototypes.epochs; e++) for (const c of centroids) accumulatePrototypeMean(protos, c, config.prototypes.cap);
          artifacts.push(await writePrototypes(ctx.runDir, protos));
          ctx.log(`prototypes initialised from ${centroids.length} images × ${config.prototypes.epochs} passes`);
        }
        await writeJsonAtomic(path.join(ctx.runDir, PSEUDO_INDEX), index);
        ctx.log(`${config.mode} pseudo-labels for ${n} images`);
        return { final: null, artifacts };
      },
      dispose: () => net.dispose(),
    };
  };
}

type Img = { width: number; height: number; data: Uint8Array };

/** Up to `max` consecutive images of the same size starting at i. */
async function sameSizeBatch(src: ImageSource, i: number, n: number, max: number): Promise<Img[]> {
  const first = await src.image(i);
  const out = [first];
  while (out.length < max && i + out.length < n) {
    const next = await src.image(i + out.length);
    if (next.width !== first.width || next.height !== first.height) break;
    out.push(next);
  }
  return out;
}

/** Eval-mode softmax at output resolution plus each image's class centroids (calc_prototype). */
async function softBatch(net: SegNet, imgs: Img[], minPixels: number) {
  const out = tf.tidy(() => net.apply(inputTensor(imgs), { training: false }));
  const probs = tf.tidy(() => tf.softmax(out.logits, -1));
  const cent = await classCentroids(out.feat, out.logits, minPixels).finally(() => tf.dispose([out.feat, out.logits]));
  return { probs, cent };
}

/** Flip-averaged probabilities upsampled to image size: argmax labels and their confidence. */
async function hardBatch(net: SegNet, imgs: Img[], flip: boolean) {
  const res = tf.tidy(() => {
    const x = inputTensor(imgs);
    const size: [number, number] = [imgs[0].height, imgs[0].width];
    let p = tf.softmax(tf.image.resizeBilinear(net.apply(x, { training: false }).logits, size, true), -1);
    if (flip) {
      const pf = tf.softmax(tf.image.resizeBilinear(net.apply(tf.reverse(x, 2), { training: false }).logits, size, true), -1);
      p = tf.mul(tf.add(p, tf.reverse(pf, 2)), 0.5);
    }
    return { label: tf.argMax(p, -1).toInt(), conf: tf.max(p, -1) };
  });
  const [label, conf] = await Promise.all([readData<'int32'>(res.label), readData(res.conf)]).finally(() => tf.dispose([res.label, res.conf]));
  const hw = imgs[0].width * imgs[0].height;
  const labels = imgs.map((_, b) => Uint8Array.from(label.subarray(b * hw, (b + 1) * hw)));
  const confs = imgs.map((_, b) => conf.slice(b * hw, (b + 1) * hw));
  return { labels, confs };
}

export function evalProgram(open: DatasetOpener) {
  return async (ctx: StageContext): Promise<StageProgram> => {
    const config = ctx.config as ConfigOf<'eval'>;
    const { net } = await loadUpstreamNet(ctx, config.model);
    const val = await ImageSource.open(open, config.val, 'target', { evalLabels: true, cacheMb: 64 });
    // Re-estimation without bnData uses the scored split's images (never its labels): the default of
    // `proda eval --bn both`, so a plain command works; bnData names other target images (e.g. target-train).
    const bnData = config.bnData ?? (config.bn === 'running' ? undefined : config.val);
    const bnSource = bnData ? await ImageSource.open(open, bnData, 'target', { cacheMb: 64 }) : undefined;
    if (!config.bnData && bnData) ctx.log(`BN re-estimation images: the scored split itself (${bnData.split ?? bnData.root}); set bnData for other target images`);
    const modes = config.bn === 'both' ? (['running', 'reestimate'] as const) : ([config.bn] as const);
    return {
      iterations: 0,
      snapshot: async () => ({ tensors: {}, state: {} }),
      restore: async () => {},
      step: async () => {
        throw new Error('evaluation does not iterate');
      },
      async finish() {
        const evals: EvalResult[] = [];
        for (const bn of modes) {
          const r = await evaluate(net, val, {
            bn,
            bnSource,
            bnImages: config.bnImages,
            onImage: (d, t) => ctx.reportItems(d, t),
            cancelled: ctx.cancelled,
          });
          ctx.log(`mIoU ${(r.miou * 100).toFixed(2)} with BN ${bn === 'running' ? 'running statistics' : `re-estimated on ${config.bnImages} target images`}`);
          evals.push(r);
        }
        await writeJsonAtomic(path.join(ctx.runDir, 'artifacts', 'eval.json'), evals);
        return { final: evals[0], evals, artifacts: [path.join('artifacts', 'eval.json')] };
      },
      dispose: () => net.dispose(),
    };
  };
}
