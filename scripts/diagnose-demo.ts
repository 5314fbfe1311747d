// Diagnostics behind the demo preset's choices (README, "The built-in benchmark"): where a model's target
// pixels go, and how good stage 1's rectified labels are. They read the demo's evaluation labels, which no
// run may train on, so they live here and not in the engine.
//
//   npx tsx scripts/diagnose-demo.ts confusion WORKSPACE RUN [RUN ...]
//       per-class share of target-val pixels by predicted class (BN re-estimated on 64 target-train images)
//   npx tsx scripts/diagnose-demo.ts rectify WORKSPACE MODEL_RUN SOFT_PL_RUN [PROTOTYPES_RUN] [--images 100]
//       on target-train at the output resolution: pixel accuracy and per-class recall of the soft pseudo-label's
//       argmax, of the prototype-rectified label (ProDA's denoising with MODEL_RUN's features) and of the nearest
//       prototype alone. Prototypes come from SOFT_PL_RUN (the initial ones) or from PROTOTYPES_RUN's model.
import * as tf from '@tensorflow/tfjs';
import { parseArgs } from 'node:util';
import { openDataset } from '../main/datasets';
import { initBackend } from '../main/engine/backend';
import { ConfusionMatrix } from '../main/engine/eval/confusion';
import { createPredictor } from '../main/engine/predict';
import { prototypeDistances } from '../main/engine/proda/distance';
import { prototypesTensor } from '../main/engine/proda/prototypes';
import { prototypeWeights, rectifiedLabels } from '../main/engine/proda/rectify';
import { readNpyFile } from '../main/io/npy';
import { readConfig } from '../main/artifacts/records';
import { ImageSource, inputTensor } from '../main/runs/stages/data';
import { reestimateBn } from '../main/engine/predict';
import { buildNet } from '../main/runs/stages/net';
import { readModel, readPrototypes } from '../main/artifacts/model';
import { CLASS_NAMES_19 } from '../shared/classes';
import { BN_REESTIMATE_IMAGES } from '../shared/runs-config';

const { positionals, values } = parseArgs({ allowPositionals: true, options: { images: { type: 'string', default: '100' } } });
const [command, ws, ...runs] = positionals;
if (!['confusion', 'rectify'].includes(command) || !ws || runs.length === 0) {
  console.error('usage: diagnose-demo.ts confusion WS RUN [RUN ...] | rectify WS MODEL_RUN SOFT_PL_RUN [PROTOTYPES_RUN] [--images N]');
  process.exit(2);
}
await initBackend('wasm');
const names = CLASS_NAMES_19;
const C = names.length;
const split = (s: string) => ({ root: `${ws}/datasets/demo`, format: 'demo' as const, split: s, classSet: '19' as const });
const train = await ImageSource.open(openDataset, split('target-train'), 'target', { evalLabels: true });
const pct = (a: number, b: number) => (b ? ((100 * a) / b).toFixed(0) : '-');

async function model(run: string) {
  const dir = `${ws}/runs/${run}`;
  const net = buildNet((await readConfig(dir)).network, 1, (await readModel(dir)).weights);
  await reestimateBn(net, train, BN_REESTIMATE_IMAGES);
  return net;
}

if (command === 'confusion') {
  const val = await ImageSource.open(openDataset, split('target-val'), 'target', { evalLabels: true });
  for (const run of runs) {
    const net = await model(run);
    // Scored as evaluation runs score: the prediction module's eval order at the label's size.
    const predictor = await createPredictor({ network: net.config, weights: await net.getWeights() });
    const cm = new ConfusionMatrix(C);
    for (let i = 0; i < val.size; i++) {
      const img = await val.image(i);
      const label = await val.requireLabel(i);
      const [p] = await predictor.predict([img], { order: 'eval', size: { width: label.width, height: label.height } });
      cm.add(label.data, p.labels!);
    }
    await predictor.dispose();
    console.log(run);
    for (let g = 0; g < C; g++) {
      const row = cm.counts.slice(g * C, (g + 1) * C);
      const total = row.reduce((a, b) => a + b, 0);
      if (!total) continue;
      const parts = [...row].map((v, p) => ({ v, p })).filter((x) => x.v / total > 0.03).sort((a, b) => b.v - a.v);
      console.log(`  ${names[g].padEnd(14)} → ${parts.map((x) => `${names[x.p]} ${pct(x.v, total)}%`).join(', ')}`);
    }
    net.dispose();
  }
} else {
  const [modelRun, softRun, protoRun] = runs;
  const net = await model(modelRun);
  const protos = prototypesTensor(protoRun ? ((await readModel(`${ws}/runs/${protoRun}`)).prototypes ?? fail(`${protoRun} has no prototypes`)) : await readPrototypes(`${ws}/runs/${softRun}`));
  const kinds = ['soft argmax', 'rectified', 'nearest prototype'] as const;
  const hits = kinds.map(() => new Float64Array(C));
  const seen = new Float64Array(C);
  const n = Math.min(Number(values.images), train.size);
  for (let i = 0; i < n; i++) {
    const id = train.ids[i];
    const soft = await readNpyFile(`${ws}/runs/${softRun}/artifacts/soft/${id.replace(/[/\\]/g, '__').replace(/\.png$/, '')}.npy`);
    const [sc, h, w] = soft.shape;
    const img = await train.image(i);
    const preds = tf.tidy(() => {
      const p0 = tf.tensor3d(soft.data as Float32Array, [sc, h, w]).transpose([1, 2, 0]).expandDims(0) as tf.Tensor4D;
      const feat = net.apply(inputTensor([img]), { training: false }).feat;
      if (feat.shape[1] !== h || feat.shape[2] !== w) throw new Error(`features ${feat.shape[1]}×${feat.shape[2]} vs soft labels ${h}×${w}`);
      const dist = prototypeDistances(feat, protos);
      return [p0.argMax(-1), rectifiedLabels(prototypeWeights(dist, 1), p0, 0), dist.argMin(-1)].map((t) => t.dataSync());
    });
    const gt = await train.requireLabel(i);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const g = gt.data[Math.floor((y * gt.height) / h) * gt.width + Math.floor((x * gt.width) / w)];
        if (g >= C) continue;
        seen[g] += 1;
        preds.forEach((p, k) => (hits[k][g] += p[y * w + x] === g ? 1 : 0));
      }
    }
  }
  const shown = [...seen].map((v, g) => ({ v, g })).filter((x) => x.v > 0).sort((a, b) => b.v - a.v).slice(0, 8);
  const total = seen.reduce((a, b) => a + b, 0);
  kinds.forEach((k, j) => {
    const acc = hits[j].reduce((a, b) => a + b, 0);
    console.log(`${k.padEnd(18)} accuracy ${pct(acc, total)}%  recall: ${shown.map((x) => `${names[x.g]} ${pct(hits[j][x.g], x.v)}`).join(', ')}`);
  });
}

function fail(message: string): never {
  throw new Error(message);
}