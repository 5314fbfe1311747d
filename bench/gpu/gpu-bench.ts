// The engine's side of the GPU benchmark (bench/gpu/run.sh): forward and training step of the engine's
// network on the webgpu backend (Dawn), per batch size, with the first call timed on its own (it compiles
// the WGSL shaders), min and median of the next repetitions, and peak memory. Runs as a bundled script
// under a plain Node binary on a machine that has neither Node nor network (bench/gpu/make-bundle.mjs).
//
//   node gpu-bench.mjs [--net resnet101|demo] [--height 512] [--width 896] [--batches 1,2] [--reps 5]
//                      [--backend webgpu] [--json FILE]
//   node gpu-bench.mjs --report webgpu.json pytorch-1.json pytorch-2.json …   (the comparison table)
import * as tf from '@tensorflow/tfjs';
import { readFileSync, writeFileSync } from 'node:fs';
import { initBackend } from '../../main/engine/backend';
import type { BackendPreference } from '../../main/engine/backend';
import { SegNet } from '../../main/engine/nets';
import { arg, fmtMs, fmtStats, markdownTable, stats } from '../method';
import type { Stats } from '../method';
import { engineBench, hostBatch, netConfig } from '../engine-step';
import type { NetKey } from '../engine-step';

export interface GpuResult {
  tool: string;
  device: string;
  net: string;
  batch: number;
  height: number;
  width: number;
  firstForwardMs?: number;
  forward?: Stats;
  firstStepMs?: number;
  step?: Stats;
  /** Largest memory in use during one step, bytes (how each tool counts it is in `memoryNote`). */
  peakBytes?: number;
  memoryNote?: string;
  error?: string;
}

async function time(f: () => Promise<void>): Promise<number> {
  const t = performance.now();
  await f();
  return performance.now() - t;
}

async function measure(key: NetKey, batch: number, height: number, width: number, reps: number, device: string): Promise<GpuResult> {
  const base: GpuResult = { tool: `tfjs ${tf.getBackend()} (engine)`, device, net: key, batch, height, width };
  const net = new SegNet(netConfig(key), { seed: 1 });
  const bench = engineBench(net, hostBatch(batch, height, width));
  const r: GpuResult = { ...base };
  try {
    r.firstForwardMs = await time(bench.forward);
    const fwd: number[] = [];
    for (let i = 0; i < reps; i++) fwd.push(await time(bench.forward));
    r.forward = stats(fwd);
    r.firstStepMs = await time(bench.step);
    const steps: number[] = [];
    let peak = 0;
    for (let i = 0; i < reps; i++) {
      // tf.profile's peakBytes: the most tensor bytes alive at once during the step (tfjs's own count).
      let ms = 0;
      const info = await tf.profile(async () => {
        ms = await time(bench.step);
      });
      steps.push(ms);
      peak = Math.max(peak, info.peakBytes);
    }
    r.step = stats(steps);
    const mem = tf.memory() as tf.MemoryInfo & { numBytesAllocatedInGPU?: number };
    r.peakBytes = peak;
    r.memoryNote = `tensor bytes alive at the step's peak (tf.profile)${mem.numBytesAllocatedInGPU ? `; ${(mem.numBytesAllocatedInGPU / 2 ** 20).toFixed(0)} MiB held by the backend's buffer pool after the run` : ''}`;
  } catch (err) {
    r.error = (err as Error).message.split('\n')[0].slice(0, 300);
  } finally {
    bench.dispose();
    net.dispose();
  }
  return r;
}

const mib = (b?: number) => (b === undefined ? '–' : `${(b / 2 ** 20).toFixed(0)} MiB`);

/** The comparison table of every result file given (the engine's and PyTorch's). */
export function report(results: GpuResult[]): string {
  const rows = results.map((r) => {
    const torch = results.find((t) => t.tool.startsWith('PyTorch') && t.batch === r.batch && t.net === r.net && !t.error);
    const vs = (a?: Stats, b?: Stats) => (a && b && !r.tool.startsWith('PyTorch') ? `${(a.median / b.median).toFixed(2)}×` : r.tool.startsWith('PyTorch') ? '1.00×' : '–');
    return [
      r.tool,
      r.device,
      `${r.net} ${r.batch}×${r.height}×${r.width}`,
      fmtMs(r.firstForwardMs),
      fmtStats(r.forward),
      fmtMs(r.firstStepMs),
      fmtStats(r.step),
      vs(r.step, torch?.step),
      mib(r.peakBytes),
      r.error ?? r.memoryNote ?? '',
    ];
  });
  return markdownTable(['tool', 'device', 'net, input', 'first forward', 'forward min / median', 'first step', 'step min / median', 'step vs PyTorch', 'peak memory', 'note'], rows);
}

async function main(): Promise<void> {
  const ri = process.argv.indexOf('--report');
  if (ri >= 0) {
    const files = process.argv.slice(ri + 1);
    const results = files.flatMap((f) => {
      try {
        return JSON.parse(readFileSync(f, 'utf8')) as GpuResult[];
      } catch (err) {
        console.error(`skipping ${f}: ${(err as Error).message}`);
        return [];
      }
    });
    console.log(report(results));
    return;
  }
  const key = arg('net', 'resnet101') as NetKey;
  const height = Number(arg('height', '512'));
  const width = Number(arg('width', '896'));
  const reps = Number(arg('reps', '5'));
  const batches = arg('batches', '1,2').split(',').map(Number);
  const want = arg('backend', 'webgpu') as BackendPreference;
  const info = await initBackend(want);
  if (info.name !== want) {
    console.error(`the ${want} backend did not start: ${info.skipped.map((s) => `${s.provider}: ${s.reason}`).join('; ')}`);
    process.exit(3);
  }
  const a = info.adapter;
  const device = a ? `${a.vendor} ${a.device || a.description}${a.software ? ' (software adapter)' : ''}`.trim() : info.name;
  console.log(`backend ${info.name} (${info.reason}); adapter: ${a ? JSON.stringify(a) : 'none'}`);
  const results: GpuResult[] = [];
  for (const b of batches) {
    const r = await measure(key, b, height, width, reps, device);
    results.push(r);
    console.log(JSON.stringify(r));
  }
  const out = arg('json', '');
  if (out) writeFileSync(out, JSON.stringify(results, null, 1));
  else console.log(`\n${report(results)}`);
}

await main();
