// Soak check: many consecutive demo training steps on wasm must leave tf.memory().numTensors
// unchanged and RSS flat. Run by hand (it takes a while on 2 cores):
//   node --import tsx bench/soak.ts [--steps 1000] [--backend wasm] [--batch 2] [--size 64x128]
// RSS is sampled after a forced GC at every tenth of the run (the script re-launches itself with
// --expose-gc when needed), so JS garbage does not read as a leak. Exits 1 if any tensor leaks or
// post-GC RSS grows by more than 10% from the first checkpoint to the last.
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../main/engine/backend';
import type { BackendPreference } from '../main/engine/backend';
import { SegNet, demoConfig } from '../main/engine/nets';
import { Sgd } from '../main/engine/optim/sgd';
import { segmentationLoss } from '../main/engine/parallel/seg-task';
import { lossAndGrads } from '../main/engine/train/grads';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const steps = Number(arg('steps', '1000'));
const backend = arg('backend', 'wasm') as BackendPreference;
const batch = Number(arg('batch', '2'));
const [h, w] = arg('size', '64x128').split('x').map(Number);

const info = await initBackend(backend);
console.log(`backend ${info.name}; ${steps} steps of demo net, batch ${batch}, ${h}×${w}`);
const net = new SegNet(demoConfig(19), { seed: 1 });
const sgd = new Sgd();
const x = tf.randomUniform([batch, h, w, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
const y = tf.randomUniform([batch, h, w], 0, 19, 'int32', 2) as tf.Tensor3D;

function step(i: number): number {
  const { value, grads } = lossAndGrads(net, () => segmentationLoss(net.apply(x, { training: true, dropoutSeed: i }).logits, y));
  sgd.step(net.params, grads, () => 1e-3);
  const loss = value.dataSync()[0];
  tf.dispose([value, ...Object.values(grads)]);
  return loss;
}

step(0); // momentum buffers are created on the first step
const tensors0 = tf.memory().numTensors;
const rss: number[] = [];
const t0 = performance.now();
const tenth = Math.max(1, Math.floor(steps / 10));
let loss = 0;
for (let i = 1; i <= steps; i++) {
  loss = step(i);
  if (i % tenth === 0) {
    gc?.();
    rss.push(process.memoryUsage().rss);
    const ms = (performance.now() - t0) / i;
    console.log(`step ${i}: loss ${loss.toFixed(4)}, tensors ${tf.memory().numTensors}, rss after gc ${(rss[rss.length - 1] / 2 ** 20).toFixed(0)} MiB, ${ms.toFixed(0)} ms/step`);
  }
}
const leaked = tf.memory().numTensors - tensors0;
const growth = rss[rss.length - 1] / rss[0] - 1;
console.log(`tensors: ${tensors0} → ${tf.memory().numTensors} (${leaked >= 0 ? '+' : ''}${leaked}); post-GC RSS ${(rss[0] / 2 ** 20).toFixed(0)} → ${(rss[rss.length - 1] / 2 ** 20).toFixed(0)} MiB (${(growth * 100).toFixed(1)}%)`);
const ok = leaked === 0 && growth < 0.1 && Number.isFinite(loss);
console.log(ok ? 'SOAK OK' : 'SOAK FAILED');
process.exit(ok ? 0 : 1);
