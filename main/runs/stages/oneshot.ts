// Stages that run once over a split instead of iterating: pseudo-labelling (soft labels + prototype
// initialisation, or flip-averaged hard labels with confidence) and evaluation.
import type { ConfigOf } from '../../../shared/runs-config';
import type { EvalResult } from '../../../shared/contract/runs';
import { writeFileAtomic, writeJsonAtomic } from '../../io/atomic';
import { writeNpy } from '../../io/npy';
import { encodeIndexPng } from '../../io/png';
import { createPredictor, predictionCentroids, reestimatedWeights, type Predictor } from '../../engine/predict';
import { loadRunModel, type RunModel } from '../../artifacts/run-model';
import { parseModelRef } from '../../models/refs';
import { accumulatePrototypeMean, createPrototypes, type ClassCentroids } from '../../engine/proda/prototypes';
import type { StageContext, StageProgram } from '../program';
import { ImageSource, type DatasetOpener } from './data';
import { evaluate } from './evaluate';
import { writePrototypes } from '../../artifacts/model';
import { EVAL_ARTIFACT, inFolder, PSEUDO_INDEX, pseudoFiles } from '../../artifacts/layout';
import { writePseudoIndex, type PseudoIndex } from '../../artifacts/pseudo-index';
import { sourceCentroids } from './source-prototypes';

/** The labelling / scored model: an upstream run's final student, or an imported checkpoint. */
export async function loadUpstreamModel(ctx: StageContext, ref: string): Promise<RunModel> {
  const m = await loadRunModel(ctx.workspace, parseModelRef(ref));
  ctx.log(`model: ${m.describe}`);
  return m;
}

const yieldLoop = () => new Promise((r) => setImmediate(r));

export function pseudoProgram(open: DatasetOpener) {
  return async (ctx: StageContext<ConfigOf<'pseudo'>>): Promise<StageProgram> => {
    const config = ctx.config;
    if (config.mode === 'soft' && config.prototypes.from === 'source' && !config.prototypes.source)
      throw new Error("prototypes.from is 'source' but prototypes.source names no labelled source split");
    const model = await loadUpstreamModel(ctx, config.model);
    const target = await ImageSource.open(open, config.target, 'target', { cacheMb: 64 });
    if (config.bn === 'reestimate') {
      model.weights = await reestimatedWeights(model, target, config.bnImages);
      ctx.log(`labelling with BN statistics re-estimated on ${config.bnImages} target images`);
    }
    const predictor = await createPredictor(model);
    logInference(ctx, predictor);
    return {
      iterations: 0,
      snapshot: async () => ({ tensors: {}, state: {} }),
      restore: async () => {},
      step: async () => {
        throw new Error('pseudo-labelling does not iterate');
      },
      async finish() {
        const index: Omit<PseudoIndex, 'schemaVersion'> = { mode: config.mode, ids: target.ids, files: {} };
        const artifacts: string[] = [PSEUDO_INDEX];
        const centroids: ClassCentroids[] = [];
        const n = target.size;
        for (let i = 0; i < n; ) {
          if (ctx.cancelled()) return { final: null, artifacts: [] };
          const batch = await sameSizeBatch(target, i, n, 8);
          if (config.mode === 'soft') {
            // Eval-mode softmax at output resolution plus each image's class centroids (calc_prototype).
            const preds = await predictor.predict(batch, { labels: false });
            centroids.push(await predictionCentroids(preds, config.prototypes.minPixels));
            for (let b = 0; b < preds.length; b++) {
              const id = target.ids[i + b];
              const { channels: C, height: h, width: w, data } = preds[b].soft;
              const file = pseudoFiles(id).soft;
              await writeFileAtomic(inFolder(ctx.runDir, file), writeNpy({ dtype: 'float32', shape: [C, h, w], data }));
              index.files[id] = { soft: file };
              index.softShape = [C, h, w];
            }
          } else {
            // generate_pseudo_label.py: softmax at model resolution, probabilities upsampled, flip-averaged.
            const preds = await predictor.predict(batch, { order: 'pseudo-label', flip: config.flip });
            const { width, height } = batch[0];
            for (let b = 0; b < batch.length; b++) {
              const { labels, conf } = preds[b];
              const id = target.ids[i + b];
              const { label: lf, conf: cf } = pseudoFiles(id);
              await writeFileAtomic(inFolder(ctx.runDir, lf), encodeIndexPng({ width, height, data: labels! }));
              await writeFileAtomic(inFolder(ctx.runDir, cf), writeNpy({ dtype: 'float16', shape: [height, width], data: conf! }));
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
            const cs = await sourceCentroids(predictor, src, config.prototypes.minPixels, { cancelled: ctx.cancelled, onImage: (d, t) => ctx.reportItems(d, t) });
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
        await writePseudoIndex(ctx.runDir, index);
        ctx.log(`${config.mode} pseudo-labels for ${n} images`);
        return { final: null, artifacts };
      },
      dispose: () => predictor.dispose(),
    };
  };
}

function logInference(ctx: StageContext, p: Predictor): void {
  const i = p.info;
  ctx.log(`inference: ${i.engine} (${i.provider}${i.threads ? `, ${i.threads} threads` : ''})${i.fallback ? `; ${i.fallback}` : ''}`);
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

export function evalProgram(open: DatasetOpener) {
  return async (ctx: StageContext<ConfigOf<'eval'>>): Promise<StageProgram> => {
    const config = ctx.config;
    const model = await loadUpstreamModel(ctx, config.model);
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
          const r = await evaluate(model, val, {
            bn,
            bnSource,
            bnImages: config.bnImages,
            onImage: (d, t) => ctx.reportItems(d, t),
            cancelled: ctx.cancelled,
          });
          if (r.inference) ctx.log(`inference: ${r.inference.engine} (${r.inference.provider}), ${r.inference.secondsPerImage?.toFixed(3)} s per image`);
          ctx.log(`mIoU ${(r.miou * 100).toFixed(2)} with BN ${bn === 'running' ? 'running statistics' : `re-estimated on ${config.bnImages} target images`}`);
          evals.push(r);
        }
        await writeJsonAtomic(inFolder(ctx.runDir, EVAL_ARTIFACT), evals);
        return { final: evals[0], evals, artifacts: [EVAL_ARTIFACT] };
      },
      dispose: () => {},
    };
  };
}
