// Inference benchmark: one image through the engine's prediction path (ONNX Runtime session of the
// exported graph + the shared post-processing to full-size labels), against a bare onnxruntime-node
// session of the same exported ONNX (run only), and PyTorch (bench/pytorch_infer.py: forward, upsample,
// argmax). Contenders alternate within each round, so a load change hits all of them; min and median
// per contender, at 1 thread and at every core. The load average is printed before and after: do not
// publish numbers measured on a busy machine.
//
//   npm run bench -- inference [--net resnet101|demo] [--height 512] [--width 1024] [--rounds 3] [--no-pytorch] [--tfjs]
//
// --tfjs adds the old path (the engine's tfjs network on the fastest available tfjs backend), which
// takes minutes per ResNet-101 image on CPU backends.
import { spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { initBackend } from '../main/engine/backend';
import { SegNet, type SegNetConfig } from '../main/engine/nets';
import { buildSegNetGraph } from '../main/engine/nets/deeplab';
import { buildOnnxModel } from '../main/engine/nets/onnx-export';
import { createPredictor, nchwInput, type ModelWeights, type Predictor } from '../main/engine/predict';
import { netConfig } from './engine-step';
import { arg, busyReason, describeLoad, fmtStats, idleProbe, loadRecord, markdownTable, ratio, stats } from './method';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const netKey = arg('net', 'resnet101') as 'resnet101' | 'demo';
const H = Number(arg('height', '512'));
const W = Number(arg('width', '1024'));
const rounds = Number(arg('rounds', '3'));
const withTorch = !process.argv.includes('--no-pytorch');
const withTfjs = process.argv.includes('--tfjs');
const config: SegNetConfig = netConfig(netKey);

async function model(): Promise<ModelWeights> {
  let net: SegNet | undefined;
  tf.tidy(() => {
    net = new SegNet(config, { seed: 1337 });
  });
  const weights = await net!.getWeights();
  net!.dispose();
  return { network: config, weights };
}

const image = { width: W, height: H, data: Uint8Array.from({ length: W * H * 3 }, (_, i) => (i * 2654435761) >>> 24) };

interface Contender {
  name: string;
  threads: number;
  once: () => Promise<number>;
  ms: number[];
  close: () => Promise<void>;
}

const timed = async (f: () => Promise<unknown>) => {
  const t = performance.now();
  await f();
  return performance.now() - t;
};

async function contenders(m: ModelWeights, threads: number): Promise<Contender[]> {
  const out: Contender[] = [];
  const predictor: Predictor = await createPredictor(m, { threads, strict: true });
  out.push({
    name: `engine predict (${predictor.info.engine}, eval-order labels)`,
    threads,
    once: () => timed(() => predictor.predict([image], { order: 'eval' })),
    ms: [],
    close: () => predictor.dispose(),
  });
  const bytes = buildOnnxModel(buildSegNetGraph(m.network), new Map(Object.entries(m.weights).map(([k, v]) => [k, v.data])), { variant: 'heads' });
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  const input = new ort.Tensor('float32', nchwInput([image]), [1, 3, H, W]);
  out.push({ name: 'bare onnxruntime-node session (run only)', threads, once: () => timed(() => session.run({ image: input })), ms: [], close: () => session.release() });
  if (withTorch) {
    out.push({
      name: 'pytorch (forward, upsample, argmax)',
      threads,
      once: async () => {
        const r = spawnSync('/usr/bin/python3', [join(root, 'bench/pytorch_infer.py'), '--net', netKey, '--height', `${H}`, '--width', `${W}`, '--threads', `${threads}`, '--reps', '1'], { encoding: 'utf8', timeout: 900_000 });
        if (r.status !== 0) throw new Error(`pytorch_infer.py failed: ${r.stderr.slice(-500)}`);
        return (JSON.parse(r.stdout.trim().split('\n').pop()!) as { ms: number[] }).ms[0];
      },
      ms: [],
      close: async () => {},
    });
  }
  if (withTfjs) {
    const p = await createPredictor(m, { engine: 'tfjs' });
    out.push({ name: `old path: engine tfjs (${p.info.provider})`, threads, once: () => timed(() => p.predict([image], { order: 'eval' })), ms: [], close: () => p.dispose() });
  }
  return out;
}

async function main(): Promise<void> {
  const backend = await initBackend();
  const cores = availableParallelism();
  console.log(`${netKey} at ${W}×${H}, batch 1, ${rounds} rounds; ${cores} cores; tfjs backend ${backend.name}; onnxruntime-node ${ort.env.versions.node ?? '?'}`);
  const load = loadRecord();
  console.log(`load average before: ${load.before.map((v) => v.toFixed(2)).join(' / ')}`);
  const m = await model();
  const rows: Contender[] = [];
  for (const threads of [...new Set([1, cores])]) {
    const cs = await contenders(m, threads);
    for (const c of cs) await c.once(); // warm-up (PyTorch warms up inside its own process)
    for (let r = 0; r < rounds; r++) {
      // What other processes take while this one idles (bench/method.ts): the publishability gate.
      const probe = await idleProbe();
      if (probe !== null) load.probes.push(probe);
      for (const c of cs) c.ms.push(await c.once());
    }
    for (const c of cs) await c.close();
    rows.push(...cs);
  }
  load.after = loadavg();
  const busy = busyReason(load);
  console.log(markdownTable(['contender', 'threads', 'min / median', 'runs'], rows.map((c) => [c.name, `${c.threads}`, fmtStats(stats(c.ms)), `${c.ms.length}`])));
  const byThreads = new Map<number, Contender[]>();
  for (const c of rows) byThreads.set(c.threads, [...(byThreads.get(c.threads) ?? []), c]);
  for (const [t, cs] of byThreads) {
    const r = ratio(stats(cs[0].ms), stats(cs[1].ms), busy, process.argv.includes('--force'));
    console.log(`\n${t} thread(s): engine path / bare session (medians) = ${r} (acceptance: ≤ 1.5× plus 0.5 s of post-processing)`);
  }
  console.log(`\n${describeLoad(load)}`);
  console.log(busy ? `machine busy: ${busy}; ratios withheld (rerun on a quiet machine, or --force)` : 'machine quiet throughout: ratios printed');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
