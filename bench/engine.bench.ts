// Engine benchmark: forward and training-step time per tfjs backend for the demo network and for
// DeepLabv2 ResNet-101 (512×896, batch 1), next to the same step in PyTorch (bench/pytorch_step.py,
// 2 threads). Each measurement runs in its own child process under a wall-clock cap, because one
// ResNet-101 step on the cpu backend can take many minutes and cannot be interrupted from inside.
//
//   npm run bench -- engine [--nets demo,resnet101] [--backends tensorflow,webgpu,wasm,cpu] [--cap 600] [--no-pytorch]
//
// Training step = forward in train mode, logits upsampled (bilinear, align_corners) to the input
// size, cross-entropy against fixed random labels, backward, SGD momentum 0.9 / weight decay 2e-4.
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../main/engine/backend';
import type { BackendPreference } from '../main/engine/backend';
import { SegNet, demoConfig } from '../main/engine/nets';
import type { SegNetConfig } from '../main/engine/nets';
import { Sgd } from '../main/engine/optim/sgd';
import { DataParallel } from '../main/engine/parallel/data-parallel';
import { splitBatch } from '../main/engine/parallel/protocol';
import type { HostBatch } from '../main/engine/parallel/protocol';
import { segmentationLoss } from '../main/engine/parallel/seg-task';
import type { SegTaskInit } from '../main/engine/parallel/seg-task';
import { readData } from '../main/engine/read';
import { lossAndGrads } from '../main/engine/train/grads';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

interface NetCase {
  key: 'demo' | 'resnet101';
  config: SegNetConfig;
  batch: number;
  height: number;
  width: number;
  /** Timed repetitions after one warm-up (1 = the first run only, no warm-up). */
  reps: number;
}

const CLASSES = 19;
const nets: Record<NetCase['key'], NetCase> = {
  demo: { key: 'demo', config: demoConfig(CLASSES), batch: 8, height: 128, width: 256, reps: 3 },
  resnet101: { key: 'resnet101', config: { backbone: 'resnet101', numClasses: CLASSES }, batch: 1, height: 512, width: 896, reps: 1 },
};

interface ChildJob {
  net: NetCase['key'];
  backend: BackendPreference;
  mode: 'single' | 'parallel';
  workers?: number;
}

interface ChildResult {
  backend: string;
  forwardMs?: number;
  stepMs?: number;
  note?: string;
}

function hostBatch(c: NetCase): HostBatch {
  let s = 12345;
  const next = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296);
  const image = new Float32Array(c.batch * c.height * c.width * 3).map(() => next());
  const label = new Int32Array(c.batch * c.height * c.width).map(() => Math.floor(next() * CLASSES));
  return { image: { shape: [c.batch, c.height, c.width, 3], data: image }, label: { shape: [c.batch, c.height, c.width], data: label } };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function timed(reps: number, f: () => void | Promise<void>): Promise<number> {
  if (reps > 1) await f();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await f();
    times.push(performance.now() - t);
  }
  return median(times);
}

async function child(job: ChildJob): Promise<ChildResult> {
  const c = nets[job.net];
  const batch = hostBatch(c);
  if (job.mode === 'parallel') {
    const n = job.workers ?? 2;
    const init: SegTaskInit = { config: c.config, seed: 1, lr: 1e-4, dropoutSeed: 1 };
    const dp = await DataParallel.create({ taskUrl: new URL('../main/engine/parallel/seg-task.ts', import.meta.url).href, init, workers: n, backend: job.backend });
    try {
      const shards = splitBatch(batch, n);
      const stepMs = await timed(c.reps, async () => {
        await dp.step(shards);
      });
      return { backend: `${dp.backends[0]} ×${n} workers`, stepMs };
    } finally {
      await dp.close();
    }
  }
  const info = await initBackend(job.backend);
  if (info.name !== job.backend && !(job.backend === 'tensorflow' && info.name === 'tensorflow')) {
    return { backend: job.backend, note: `unavailable: ${info.skipped.map((s) => `${s.provider}: ${s.reason}`).join('; ')}` };
  }
  const net = new SegNet(c.config, { seed: 1 });
  const x = tf.tensor4d(batch.image.data, batch.image.shape as [number, number, number, number]);
  const y = tf.tensor3d(batch.label.data as Int32Array, batch.label.shape as [number, number, number], 'int32');
  // Reads are async (webgpu cannot read synchronously in Node); reading the result is what waits for the device.
  const forwardMs = await timed(c.reps, async () => {
    const logits = tf.tidy(() => net.apply(x, { training: false }).logits);
    await readData(logits);
    logits.dispose();
  });
  // Reported early: if the step later dies (wasm heap), the forward time still reaches the table.
  console.log(JSON.stringify({ backend: info.name, forwardMs }));
  const sgd = new Sgd();
  const stepMs = await timed(c.reps, async () => {
    // ResNet-101 keeps > 4 GB of activations for backprop: recompute blocks instead (wasm32 heap limit).
    const checkpoint = c.key === 'resnet101';
    const { value, grads } = lossAndGrads(net, () => segmentationLoss(net.apply(x, { training: true, dropoutSeed: 1, checkpoint }).logits, y));
    sgd.step(net.params, grads, () => 1e-4);
    await readData(value);
    tf.dispose([value, ...Object.values(grads)]);
  });
  return { backend: info.name, forwardMs, stepMs };
}

function runChild(job: ChildJob, capS: number): ChildResult {
  const res = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', JSON.stringify(job)], {
    cwd: root,
    timeout: capS * 1000,
    encoding: 'utf8',
    maxBuffer: 16 << 20,
  });
  const line = (res.stdout ?? '').trim().split('\n').filter((l) => l.startsWith('{')).pop();
  const partial: ChildResult = line ? (JSON.parse(line) as ChildResult) : { backend: job.backend };
  if (res.error && (res.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') return { ...partial, note: `> ${capS} s (time cap, killed)` };
  if (res.status !== 0) {
    const err = (res.stderr ?? '').trim();
    // An allocation failure inside the wasm module surfaces as an emscripten abort.
    if (err.includes('Aborted()')) return { ...partial, note: 'training step ran out of memory: the wasm heap is capped at 4 GB' };
    return { ...partial, note: `failed: ${err.split('\n').slice(-2).join(' ')}`.slice(0, 200) };
  }
  return partial;
}

function pytorch(c: NetCase, capS: number): { forwardMs?: number; stepMs?: number; note?: string } {
  const res = spawnSync(
    '/usr/bin/python3',
    [join(root, 'bench/pytorch_step.py'), '--net', c.key, '--height', `${c.height}`, '--width', `${c.width}`, '--batch', `${c.batch}`, '--classes', `${CLASSES}`, '--threads', '2', '--steps', `${c.reps}`, '--time-cap', `${capS / 3}`],
    { cwd: root, timeout: capS * 1000, encoding: 'utf8' },
  );
  const line = (res.stdout ?? '').trim().split('\n').pop();
  if (res.status !== 0 || !line?.startsWith('{')) return { note: `unavailable: ${(res.stderr ?? res.error?.message ?? '').trim().split('\n').pop()}` };
  const r = JSON.parse(line) as { forward_ms: number; step_ms: number };
  return { forwardMs: r.forward_ms, stepMs: r.step_ms };
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  const childIdx = process.argv.indexOf('--child');
  if (childIdx >= 0) {
    const r = await child(JSON.parse(process.argv[childIdx + 1]) as ChildJob);
    console.log(JSON.stringify(r));
    return;
  }
  const capS = Number(arg('cap', '600'));
  const wanted = arg('nets', 'demo,resnet101').split(',') as NetCase['key'][];
  const backends = arg('backends', 'tensorflow,wasm,cpu').split(',') as BackendPreference[];
  const withTorch = !process.argv.includes('--no-pytorch');
  const fmt = (v?: number) => (v === undefined ? '–' : v >= 10000 ? `${(v / 1000).toFixed(1)} s` : `${v.toFixed(0)} ms`);
  const rows: string[][] = [];
  const results: unknown[] = [];
  console.log(`machine: ${cpus().length}× ${cpus()[0]?.model ?? 'cpu'}; cap ${capS} s per measurement\n`);
  for (const key of wanted) {
    const c = nets[key];
    const torch = withTorch ? pytorch(c, capS) : { note: 'skipped' };
    const input = `${c.batch}×${c.height}×${c.width}`;
    const jobs: ChildJob[] = backends.map((b) => ({ net: key, backend: b, mode: 'single' }));
    if (backends.includes('wasm') && c.batch >= 2) jobs.push({ net: key, backend: 'wasm', mode: 'parallel', workers: 2 });
    for (const job of jobs) {
      const r = runChild(job, capS);
      const ratio = r.stepMs !== undefined && torch.stepMs ? `${(r.stepMs / torch.stepMs).toFixed(2)}×` : '–';
      rows.push([key, input, r.backend, fmt(r.forwardMs), fmt(r.stepMs), ratio, r.note ?? '']);
      results.push({ ...job, ...r, input, torchStepMs: torch.stepMs });
      console.log(`${key} ${r.backend}: forward ${fmt(r.forwardMs)}, step ${fmt(r.stepMs)} ${r.note ?? ''}`);
    }
    rows.push([key, input, 'PyTorch 1.13 CPU, 2 threads', fmt(torch.forwardMs), fmt(torch.stepMs), '1.00×', torch.note ?? '']);
    results.push({ net: key, input, backend: 'pytorch-2-threads', ...torch });
  }
  const header = ['net', 'input (N×H×W)', 'backend', 'forward', 'train step', 'step vs PyTorch', 'note'];
  console.log(`\n| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  writeFileSync(join(root, 'bench/results/engine.json'), JSON.stringify({ date: new Date().toISOString(), capS, results }, null, 1));
}

await main();
