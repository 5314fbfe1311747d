// Engine benchmark: forward and training-step time of the engine's tfjs backends for the demo network
// and DeepLabv2 ResNet-101, next to the tools a researcher would use instead: PyTorch (forward and
// step, bench/pytorch_step.py) and ONNX Runtime (forward of the engine's own ONNX export), each with one
// thread and with every core. The method is bench/method.ts: contenders alternate over several rounds in
// one run (each measurement in its own child process under a wall-clock cap, since one ResNet-101 step
// on wasm can take many minutes and cannot be interrupted from inside), min and median are reported, the
// load average is printed, and ratios are withheld when other processes were using the machine.
//
//   npm run bench -- engine [--nets demo,resnet101] [--rounds 3] [--backends wasm,tensorflow,webgpu,cpu]
//                           [--threads N] [--cap 600] [--no-pytorch] [--no-onnx] [--force]
//
// Training step = forward in train mode, logits upsampled (bilinear, align_corners) to the input size,
// cross-entropy against fixed random labels, backward, SGD momentum 0.9 / weight decay 2e-4 (the same in
// PyTorch). tfjs's wasm backend is single-threaded in Node: its all-core figure is the data-parallel
// trainer (one replica per core, gradients averaged), which has no forward of its own.
import * as ort from 'onnxruntime-node';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../main/engine/backend';
import type { BackendPreference } from '../main/engine/backend';
import { SegNet } from '../main/engine/nets';
import type { SegNetConfig } from '../main/engine/nets';
import { DataParallel } from '../main/engine/parallel/data-parallel';
import { splitBatch } from '../main/engine/parallel/protocol';
import type { SegTaskInit } from '../main/engine/parallel/seg-task';
import { CLASSES, engineBench, hostBatch, netConfig } from './engine-step';
import { buildOnnxModel } from '../main/engine/nets/onnx-export';
import { arg, busyReason, describeLoad, fmtStats, idleProbe, loadRecord, markdownTable, ratio, stats } from './method';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

interface NetCase {
  key: 'demo' | 'resnet101';
  config: SegNetConfig;
  batch: number;
  height: number;
  width: number;
  /** Timed repetitions per round, after one untimed warm-up. */
  reps: number;
  /** Default number of alternating rounds. */
  rounds: number;
}

const nets: Record<NetCase['key'], NetCase> = {
  demo: { key: 'demo', config: netConfig('demo'), batch: 8, height: 128, width: 256, reps: 3, rounds: 3 },
  resnet101: { key: 'resnet101', config: netConfig('resnet101'), batch: 1, height: 512, width: 896, reps: 1, rounds: 2 },
};

type Contender =
  | { kind: 'tfjs'; backend: BackendPreference; threads: number }
  | { kind: 'tfjs-parallel'; backend: 'wasm'; threads: number }
  | { kind: 'pytorch'; threads: number }
  | { kind: 'onnx'; threads: number };

interface Job {
  net: NetCase['key'];
  contender: Contender;
  reps: number;
}

interface Sample {
  label?: string;
  forwardMs: number[];
  stepMs: number[];
  /** Set when the contender cannot run here (not installed, time cap, out of memory): not retried. */
  note?: string;
}

/** One untimed warm-up, then `reps` timed calls; results are printed as they come so a later crash keeps them. */
async function timed(reps: number, f: () => Promise<void>, report: (ms: number[]) => void): Promise<number[]> {
  await f();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await f();
    times.push(performance.now() - t);
    report(times);
  }
  return times;
}

function emit(s: Sample): void {
  console.log(JSON.stringify(s));
}

async function tfjsChild(c: NetCase, backend: BackendPreference, reps: number): Promise<Sample> {
  const info = await initBackend(backend);
  if (info.name !== backend) {
    return { forwardMs: [], stepMs: [], note: `unavailable here: ${info.skipped.map((s) => `${s.provider}: ${s.reason}`).join('; ')}` };
  }
  const label = `tfjs ${info.name}${info.gpu ? ' (GPU)' : ''}`;
  const net = new SegNet(c.config, { seed: 1 });
  // ResNet-101 keeps > 4 GB of activations for backprop: recompute blocks instead (wasm32 heap limit).
  const bench = engineBench(net, hostBatch(c.batch, c.height, c.width), c.key === 'resnet101');
  const out: Sample = { label, forwardMs: [], stepMs: [] };
  out.forwardMs = await timed(reps, bench.forward, (ms) => emit({ ...out, forwardMs: ms }));
  out.stepMs = await timed(reps, bench.step, (ms) => emit({ ...out, stepMs: ms }));
  return out;
}

async function parallelChild(c: NetCase, workers: number, reps: number): Promise<Sample> {
  const init: SegTaskInit = { config: c.config, seed: 1, lr: 1e-4, dropoutSeed: 1 };
  const dp = await DataParallel.create({ taskUrl: new URL('../main/engine/parallel/seg-task.ts', import.meta.url).href, init, workers, backend: 'wasm' });
  try {
    const shards = splitBatch(hostBatch(c.batch, c.height, c.width), workers);
    const label = `tfjs ${dp.backends[0]}, ${workers} replicas`;
    const stepMs = await timed(reps, () => dp.step(shards).then(() => undefined), (ms) => emit({ label, forwardMs: [], stepMs: ms }));
    return { label, forwardMs: [], stepMs };
  } finally {
    await dp.close();
  }
}

/** ONNX Runtime CPU forward of the engine's own export (the graph the app ships), logits only. */
async function onnxChild(c: NetCase, threads: number, reps: number): Promise<Sample> {
  await initBackend('cpu');
  const net = new SegNet(c.config, { seed: 1 });
  const weights = await net.getWeights();
  const params = new Map(Object.entries(weights).map(([k, v]) => [k, v.data]));
  const model = buildOnnxModel(net.graph, params, { variant: 'probs' });
  net.dispose();
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
  const input = new ort.Tensor('float32', new Float32Array(c.batch * 3 * c.height * c.width).fill(0.5), [c.batch, 3, c.height, c.width]);
  const label = `ONNX Runtime ${ort.env.versions?.common ?? ''} CPU`.trim();
  const forwardMs = await timed(
    reps,
    async () => {
      // Fetching only `logits` lets ORT skip the full-size upsample and softmax, like the tfjs forward.
      await session.run({ [net.graph.input]: input }, ['logits']);
    },
    (ms) => emit({ label, forwardMs: ms, stepMs: [] }),
  );
  await session.release();
  return { label, forwardMs, stepMs: [] };
}

async function child(job: Job): Promise<Sample> {
  const c = nets[job.net];
  const k = job.contender;
  if (k.kind === 'tfjs') return tfjsChild(c, k.backend, job.reps);
  if (k.kind === 'tfjs-parallel') return parallelChild(c, k.threads, job.reps);
  if (k.kind === 'onnx') return onnxChild(c, k.threads, job.reps);
  throw new Error(`child cannot run ${k.kind}`);
}

interface Proc {
  status: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** spawn (not spawnSync) so the parent's event loop stays free; each child gets `threads` via the env. */
function runProcess(cmd: string, args: string[], capS: number, threads: number): Promise<Proc> {
  return new Promise((resolve) => {
    const env = { ...process.env, OMP_NUM_THREADS: `${threads}`, MKL_NUM_THREADS: `${threads}` };
    const p = spawn(cmd, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr = (stderr + d).slice(-8000)));
    const timer = setTimeout(() => {
      timedOut = true;
      p.kill('SIGKILL');
    }, capS * 1000);
    p.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr, timedOut });
    });
  });
}

async function measure(job: Job, capS: number): Promise<Sample> {
  const c = nets[job.net];
  const k = job.contender;
  if (k.kind === 'pytorch') {
    const args = [join(root, 'bench/pytorch_step.py'), '--net', c.key, '--height', `${c.height}`, '--width', `${c.width}`, '--batch', `${c.batch}`, '--classes', `${CLASSES}`, '--threads', `${k.threads}`, '--steps', `${job.reps}`, '--time-cap', `${capS / 3}`];
    const r = await runProcess('/usr/bin/python3', args, capS, k.threads);
    const line = r.stdout.trim().split('\n').pop();
    if (r.timedOut) return { forwardMs: [], stepMs: [], note: `> ${capS} s (time cap, killed)` };
    if (r.status !== 0 || !line?.startsWith('{')) return { forwardMs: [], stepMs: [], note: `unavailable: ${r.stderr.trim().split('\n').pop() ?? ''}`.slice(0, 200) };
    const p = JSON.parse(line) as { forward_times_ms: number[]; step_times_ms: number[]; torch: string };
    return { label: `PyTorch ${p.torch} CPU`, forwardMs: p.forward_times_ms, stepMs: p.step_times_ms };
  }
  const r = await runProcess(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', JSON.stringify(job)], capS, k.threads);
  const line = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  const partial: Sample = line ? (JSON.parse(line) as Sample) : { forwardMs: [], stepMs: [] };
  if (r.timedOut) return { ...partial, note: `> ${capS} s (time cap, killed)` };
  if (r.status !== 0) {
    // An allocation failure inside the wasm module surfaces as an emscripten abort.
    if (r.stderr.includes('Aborted()')) return { ...partial, note: 'ran out of memory: the wasm heap is capped at 4 GB' };
    return { ...partial, note: `failed: ${r.stderr.trim().split('\n').slice(-2).join(' ')}`.slice(0, 200) };
  }
  return partial;
}

const contenderKey = (k: Contender): string => `${k.kind}:${'backend' in k ? k.backend : ''}:${k.threads}`;
/** Name for a contender that never reported its own (it could not start). */
const fallbackLabel = (k: Contender): string => (k.kind === 'tfjs' ? `tfjs ${k.backend === 'tensorflow' ? 'tfjs-node' : k.backend}` : k.kind === 'tfjs-parallel' ? 'tfjs wasm replicas' : k.kind === 'onnx' ? 'ONNX Runtime CPU' : 'PyTorch CPU');

function contenders(backends: BackendPreference[], all: number, withTorch: boolean, withOnnx: boolean, batch: number): Contender[] {
  const list: Contender[] = [];
  for (const b of backends) {
    // libtensorflow and the GPU backends use their own thread pools or the device: one "all" row.
    list.push({ kind: 'tfjs', backend: b, threads: b === 'wasm' || b === 'cpu' ? 1 : all });
    if (b === 'wasm' && all > 1 && batch >= all) list.push({ kind: 'tfjs-parallel', backend: 'wasm', threads: all });
  }
  for (const t of all > 1 ? [1, all] : [1]) {
    if (withTorch) list.push({ kind: 'pytorch', threads: t });
    if (withOnnx) list.push({ kind: 'onnx', threads: t });
  }
  return list;
}

async function main(): Promise<void> {
  const childIdx = process.argv.indexOf('--child');
  if (childIdx >= 0) {
    emit(await child(JSON.parse(process.argv[childIdx + 1]) as Job));
    return;
  }
  const capS = Number(arg('cap', '600'));
  const all = Number(arg('threads', `${cpus().length}`));
  const force = process.argv.includes('--force');
  const wanted = arg('nets', 'demo,resnet101').split(',') as NetCase['key'][];
  const backends = arg('backends', 'wasm,tensorflow').split(',') as BackendPreference[];
  const roundsArg = process.argv.includes('--rounds') ? Number(arg('rounds', '3')) : undefined;
  const load = loadRecord();
  console.log(`machine: ${cpus().length}× ${cpus()[0]?.model ?? 'cpu'}; all threads = ${all}; cap ${capS} s per measurement`);
  console.log(`load average before: ${load.before.map((x) => x.toFixed(2)).join(' / ')}\n`);

  const results: Record<string, unknown>[] = [];
  const tables: string[] = [];
  for (const key of wanted) {
    const c = nets[key];
    const rounds = roundsArg ?? c.rounds;
    const list = contenders(backends, all, !process.argv.includes('--no-pytorch'), !process.argv.includes('--no-onnx'), c.batch);
    const samples = new Map<string, Sample>(list.map((k) => [contenderKey(k), { forwardMs: [], stepMs: [] }]));
    for (let round = 0; round < rounds; round++) {
      // Rotate the order every round so no contender always runs first (cold caches) or last.
      const order = list.map((_, i) => list[(i + round) % list.length]);
      for (const k of order) {
        const acc = samples.get(contenderKey(k)) as Sample;
        if (acc.note) continue;
        const probe = await idleProbe();
        if (probe !== null) load.probes.push(probe);
        const s = await measure({ net: key, contender: k, reps: c.reps }, capS);
        acc.label ??= s.label;
        acc.forwardMs.push(...s.forwardMs);
        acc.stepMs.push(...s.stepMs);
        if (s.note) acc.note = s.note;
        console.log(`${key} round ${round + 1}/${rounds} ${s.label ?? fallbackLabel(k)} ${k.threads} thread(s): forward ${s.forwardMs.map((v) => v.toFixed(0)).join(', ') || '–'} ms; step ${s.stepMs.map((v) => v.toFixed(0)).join(', ') || '–'} ms ${s.note ?? ''}`);
      }
    }
    const busy = busyReason(load);
    const torchOf = (threads: number) => samples.get(contenderKey({ kind: 'pytorch', threads }));
    const rows = list.map((k) => {
      const s = samples.get(contenderKey(k)) as Sample;
      const fwd = stats(s.forwardMs);
      const step = stats(s.stepMs);
      const torch = torchOf(k.threads);
      const isTorch = k.kind === 'pytorch';
      const label = s.label ?? fallbackLabel(k);
      results.push({ net: key, contender: k, label, forward: fwd, step, forwardMs: s.forwardMs, stepMs: s.stepMs, note: s.note });
      return [
        label,
        `${k.threads}`,
        fmtStats(fwd),
        fmtStats(step),
        isTorch ? '1.00×' : ratio(fwd, stats(torch?.forwardMs ?? []), busy, force),
        isTorch ? '1.00×' : ratio(step, stats(torch?.stepMs ?? []), busy, force),
        s.note ?? '',
      ];
    });
    const header = ['contender', 'threads', 'forward min / median', 'train step min / median', 'forward vs PyTorch (same threads)', 'step vs PyTorch (same threads)', 'note'];
    const title = `${key}, input ${c.batch}×${c.height}×${c.width}, ${rounds} alternating rounds × ${c.reps} timed reps${busy ? `\nratios withheld: ${busy}${force ? ' (printed anyway: --force)' : ' (rerun on a quiet machine, or --force)'}` : ''}`;
    const table = `${title}\n\n${markdownTable(header, rows)}`;
    tables.push(table);
    results.push({ net: key, busy });
  }
  load.after = (await import('node:os')).loadavg();
  for (const t of tables) console.log(`\n${t}`);
  console.log(`\n${describeLoad(load)}`);
  const busy = busyReason(load);
  console.log(busy ? `machine busy: ${busy}` : 'machine quiet throughout: ratios printed');
  console.log('tfjs-node / tfjs-node-gpu rows read "unavailable here" where libtensorflow cannot be installed: they were never measured there.');
  console.log('Ratios compare medians at the same thread count: the 1-thread rows are per-thread speed; tfjs wasm has no multi-threaded forward in Node.');
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  writeFileSync(join(root, 'bench/results/engine.json'), JSON.stringify({ date: new Date().toISOString(), capS, load, busy, results }, null, 1));
}

await main();
