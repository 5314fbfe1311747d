// proda doctor [--json]: which compute backend runs here and why, what each faster one lacks, the
// WebGPU adapter, the CUDA libraries tfjs-node-gpu would need, and the Node/Electron versions.
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import type { BackendInfo, CudaReport, GpuAdapter } from '../../shared/contract/system';
import { backendSummary, initBackend } from '../engine/backend';
import { probeCudaLibraries } from '../engine/cuda-libraries';
import { openWebgpu } from '../engine/webgpu';
import { resolveRunNode } from '../runs/launcher';
import { parse, printJson } from './args';
import { EXIT } from './exit-codes';

export interface DoctorReport {
  backend: BackendInfo | null;
  /** Why no backend started at all, when backend is null. */
  error: string | null;
  summary: string;
  /** Every backend of the chain, in preference order, and what happened to it. */
  chain: { provider: string; status: 'chosen' | 'rejected' | 'not tried'; reason: string }[];
  adapter: GpuAdapter | null;
  /** Why there is no adapter, when adapter is null. */
  adapterError: string | null;
  cuda: CudaReport;
  versions: { node: string; electron: string | null; electronPackage: string | null; runNode: string | null; runNodeVersion: string | null };
  platform: string;
}

const CHAIN = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-backend-webgpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-cpu'];

export async function doctorReport(): Promise<DoctorReport> {
  let backend: BackendInfo | null = null;
  let error: string | null = null;
  try {
    backend = await initBackend();
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  }
  let adapter = backend?.adapter ?? null;
  let adapterError: string | null = null;
  if (!adapter) {
    // The chain stops at the first backend that runs; the adapter is still worth knowing.
    try {
      adapter = (await openWebgpu()).adapter;
    } catch (err) {
      adapterError = err instanceof Error ? err.message : String(err);
    }
  }
  // selectBackend records every provider before the chosen one, so the chosen slot follows them.
  const chosen = backend ? backend.skipped.length : CHAIN.length;
  const chain: DoctorReport['chain'] = CHAIN.map((provider, i) => {
    const skipped = backend?.skipped[i] ?? (error ? { provider, reason: error } : null);
    if (i < chosen && skipped) return { provider, status: skipped.reason.startsWith('not tried') ? 'not tried' : 'rejected', reason: skipped.reason };
    if (backend && i === chosen) return { provider, status: 'chosen', reason: backend.provider === provider ? backend.reason : `${backend.provider}: ${backend.reason}` };
    return { provider, status: 'not tried', reason: backend ? `${backend.name} comes first and runs` : 'unknown' };
  });
  const runNode = resolveRunNode();
  return {
    backend,
    error,
    summary: backendSummary(backend),
    chain,
    adapter,
    adapterError,
    cuda: backend?.cuda ?? probeCudaLibraries(),
    versions: {
      node: process.version,
      electron: process.versions.electron ?? null,
      electronPackage: packageVersion('electron'),
      runNode,
      runNodeVersion: runNode ? nodeVersion(runNode) : null,
    },
    platform: `${process.platform}-${process.arch}`,
  };
}

function packageVersion(name: string): string | null {
  try {
    return (createRequire(import.meta.url)(`${name}/package.json`) as { version: string }).version;
  } catch {
    return null;
  }
}

function nodeVersion(bin: string): string | null {
  if (bin === process.execPath) return process.version;
  try {
    return execFileSync(bin, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim();
  } catch {
    return null;
  }
}

export function formatDoctor(r: DoctorReport): string {
  const out: string[] = [];
  out.push(`backend: ${r.summary}`);
  for (const c of r.chain) out.push(`  ${c.status === 'chosen' ? '*' : '-'} ${c.provider}: ${c.status}${c.reason ? ` (${c.reason})` : ''}`);
  if (r.adapter) {
    const a = r.adapter;
    out.push(`WebGPU adapter: ${a.software ? 'SOFTWARE (CPU emulation)' : 'hardware'}: ${a.description || a.device}`);
    out.push(`  vendor ${a.vendor || '?'}, architecture ${a.architecture || '?'}, device ${a.device || '?'}`);
    out.push(`  limits: ${Object.entries(a.limits).map(([k, v]) => `${k}=${v}`).join(', ')}`);
  } else out.push(`WebGPU adapter: none (${r.adapterError ?? 'not looked for'})`);
  const found = r.cuda.libraries.filter((l) => l.path);
  out.push(`CUDA for tfjs-node-gpu (CUDA 11.2 / cuDNN 8.1 sonames): ${found.length}/${r.cuda.libraries.length} found`);
  for (const l of r.cuda.libraries) out.push(`  ${l.path ? 'found  ' : 'missing'} ${l.name}${l.path ? ` → ${l.path}` : ''}`);
  if (r.cuda.fix) out.push(`  fix: ${r.cuda.fix}`);
  const v = r.versions;
  out.push(`node ${v.node}${v.electron ? `, electron ${v.electron}` : ''}; electron package ${v.electronPackage ?? 'not installed'}; ${r.platform}`);
  out.push(`run processes: ${v.runNode ? `${v.runNode} (${v.runNodeVersion ?? 'version unknown'})` : 'no plain Node binary: webgpu unavailable to runs'}`);
  return `${out.join('\n')}\n`;
}

export async function doctorCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, {});
  const report = await doctorReport();
  if (values.json) printJson(report);
  else process.stdout.write(formatDoctor(report));
  return report.backend ? EXIT.ok : EXIT.failed;
}
