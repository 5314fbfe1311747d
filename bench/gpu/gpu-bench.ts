// GPU benchmark that travels: DeepLabv2 forward and training step on the webgpu backend (Dawn), next to
// PyTorch on the same GPU in the same run when python3 with CUDA torch is there. Built by
// make-bundle.mjs into a self-contained Linux bundle (Node binary, Dawn, this file bundled) and run by
// run.sh on a machine without network or Node.
//
//   node gpu-bench.mjs [--net resnet101|demo] [--size 512x896] [--batches 1,2] [--steps 3] [--no-pytorch]
//
// Per batch size: first forward and first step (shader compilation included), then the median of
// --steps more; peak GPU bytes as tfjs's webgpu backend allocates them (its buffer pool included),
// sampled after each forward/step (PyTorch: torch.cuda.max_memory_allocated).
// Training step = the engine bench's: train-mode forward, logits upsampled to the input, cross-entropy
// against fixed random labels, backward, SGD momentum 0.9 / weight decay 2e-4.
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { backendSummary, initBackend } from '../../main/engine/backend';
import { SegNet, demoConfig } from '../../main/engine/nets';
import type { SegNetConfig } from '../../main/engine/nets';
import { Sgd } from '../../main/engine/optim/sgd';
import { segmentationLoss } from '../../main/engine/parallel/seg-task';
import { readData } from '../../main/engine/read';
import { lossAndGrads } from '../../main/engine/train/grads';

const argv = process.argv.slice(2);
const arg = (name: string, dflt: string): string => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : dflt);
const netKey = arg('net', 'resnet101');
const [height, width] = arg('size', '512x896').split('x').map(Number);
const batches = arg('batches', '1,2').split(',').map(Number);
const steps = Number(arg('steps', '3'));
const CLASSES = 19;
const configs: Record<string, SegNetConfig> = { resnet101: { backbone: 'resnet101', numClasses: CLASSES }, demo: demoConfig(CLASSES) };
if (!configs[netKey] || !(height > 0 && width > 0) || batches.some((b) => !(b > 0))) {
  console.error('usage: gpu-bench [--net resnet101|demo] [--size HxW] [--batches 1,2] [--steps K] [--no-pytorch]');
  process.exit(2);
}

interface Row {
  runtime: string;
  batch: number;
  firstForwardMs: number;
  forwardMs: number;
  firstStepMs: number;
  stepMs: number;
  peakBytes: number | null;
  note?: string;
}

const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
// tfjs-webgpu pools freed buffers: the bytes it has allocated (pool included) are what the GPU holds.
const gpuBytes = (): number => (tf.memory() as { numBytesAllocatedInGPU?: number }).numBytesAllocatedInGPU ?? 0;

async function webgpu(batch: number): Promise<Row> {
  const net = new SegNet(configs[netKey], { seed: 1 });
  const x = tf.randomUniform([batch, height, width, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const y = tf.randomUniform([batch, height, width], 0, CLASSES, 'int32', 2) as tf.Tensor3D;
  const sgd = new Sgd();
  let peak = gpuBytes();
  const forward = async () => {
    const t = performance.now();
    const logits = tf.tidy(() => net.apply(x, { training: false }).logits);
    await readData(logits);
    peak = Math.max(peak, gpuBytes());
    logits.dispose();
    return performance.now() - t;
  };
  const step = async () => {
    const t = performance.now();
    const { value, grads } = lossAndGrads(net, () => segmentationLoss(net.apply(x, { training: true, dropoutSeed: 1 }).logits, y));
    sgd.step(net.params, grads, () => 1e-4);
    await readData(value);
    peak = Math.max(peak, gpuBytes());
    tf.dispose([value, ...Object.values(grads)]);
    return performance.now() - t;
  };
  try {
    const firstForwardMs = await forward();
    const f: number[] = [];
    for (let i = 0; i < steps; i++) f.push(await forward());
    const firstStepMs = await step();
    const s: number[] = [];
    for (let i = 0; i < steps; i++) s.push(await step());
    return { runtime: 'tfjs webgpu', batch, firstForwardMs, forwardMs: median(f), firstStepMs, stepMs: median(s), peakBytes: peak };
  } finally {
    tf.dispose([x, y]);
    net.dispose();
    sgd.dispose();
  }
}

function pytorch(batch: number): Row | null {
  const script = [path.join(import.meta.dirname ?? '.', 'pytorch_step.py'), path.join(import.meta.dirname ?? '.', '..', 'pytorch_step.py')].find((p) => existsSync(p));
  if (!script || argv.includes('--no-pytorch')) return null;
  const args = [script, '--net', netKey, '--height', String(height), '--width', String(width), '--batch', String(batch), '--steps', String(steps), '--device', 'cuda'];
  const r = spawnSync('python3', args, { encoding: 'utf8', timeout: 300_000 });
  const line = (r.stdout ?? '').trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (!line) return { runtime: 'pytorch cuda', batch, firstForwardMs: NaN, forwardMs: NaN, firstStepMs: NaN, stepMs: NaN, peakBytes: null, note: (r.stderr || r.error?.message || 'no output').trim().split('\n').pop() };
  const j = JSON.parse(line) as Record<string, number | string>;
  return {
    runtime: `pytorch ${j.torch} ${j.gpu ?? ''}`.trim(),
    batch,
    firstForwardMs: Number(j.first_forward_ms),
    forwardMs: Number(j.forward_ms),
    firstStepMs: Number(j.first_step_ms),
    stepMs: Number(j.step_ms),
    peakBytes: Number(j.peak_bytes ?? NaN),
  };
}

const info = await initBackend('webgpu');
console.log(`backend: ${backendSummary(info)}`);
console.log(`net ${netKey} ${height}x${width}, batches ${batches.join(',')}, ${steps} timed runs after the first`);
const rows: Row[] = [];
for (const b of batches) {
  // Alternated per batch size, so both runtimes see the same machine state.
  rows.push(await webgpu(b));
  const p = pytorch(b);
  if (p) rows.push(p);
}
const ms = (v: number): string => (Number.isFinite(v) ? v.toFixed(0) : '-');
const mib = (v: number | null): string => (v !== null && Number.isFinite(v) ? (v / 2 ** 20).toFixed(0) : '-');
console.log(['runtime', 'batch', 'first fwd ms', 'fwd ms', 'first step ms', 'step ms', 'peak MiB'].join('\t'));
for (const r of rows) console.log([r.runtime, r.batch, ms(r.firstForwardMs), ms(r.forwardMs), ms(r.firstStepMs), ms(r.stepMs), mib(r.peakBytes), r.note ?? ''].join('\t'));
console.log(JSON.stringify({ adapter: info.adapter, rows }));
