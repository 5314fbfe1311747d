// Test helper: runs fixtures/interop/make_checkpoints.py once per script version and caches the
// output under the OS temp dir, so several test files share one generation. Returns null (with
// the reason) where /usr/bin/python3 has no torch, so tests can skip and say why.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { backbones, demoConfig, resolveHead } from '../engine/nets/deeplab';

const PYTHON = '/usr/bin/python3';
const here = path.dirname(fileURLToPath(import.meta.url));
export const MAKE_CHECKPOINTS = path.resolve(here, '../../fixtures/interop/make_checkpoints.py');

let torchProbe: string | null | undefined;

/** null when torch is importable, else why not. */
export function torchUnavailable(): string | null {
  if (torchProbe !== undefined) return torchProbe;
  const r = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  torchProbe = r.status === 0 ? null : `${PYTHON} cannot import torch (${(r.stderr || String(r.error ?? '')).trim().split('\n').pop()})`;
  return torchProbe;
}

export function pythonHas(module: string): boolean {
  return spawnSync(PYTHON, ['-c', `import ${module}`]).status === 0;
}

export function runPython(args: string[], timeoutMs = 120_000): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(PYTHON, args, { encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, OMP_NUM_THREADS: '2' } });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** The small network the generator builds: the engine's demo preset, so its checkpoints import into it. */
export function smallSpec(numClasses = 19): Record<string, unknown> {
  const cfg = demoConfig(numClasses);
  const b = backbones[cfg.backbone];
  const h = resolveHead(cfg);
  return {
    block: b.block,
    layers: b.layers,
    widths: b.widths,
    stem: b.stem,
    classes: numClasses,
    head: { width: h.width, gnGroups: h.gnGroups, dilations: h.dilations, seReduction: h.seReduction },
  };
}

/**
 * Directory holding the generated checkpoints (ResNet-101 included: ~440 MB, ~10 s once). Test files run
 * in parallel processes, so generation is serialised with a lock directory; the others wait for it.
 */
export function torchFixtures(): { dir: string } | { skip: string } {
  const why = torchUnavailable();
  if (why) return { skip: `${why}; install Debian's python3-torch (.ci/run does)` };
  // The generator also writes a torchvision ResNet-101 state dict.
  if (!pythonHas('torchvision')) return { skip: `${PYTHON} cannot import torchvision; install Debian's python3-torchvision (.ci/run does)` };
  const small = JSON.stringify(smallSpec());
  const hash = createHash('sha256').update(readFileSync(MAKE_CHECKPOINTS)).update(small).digest('hex').slice(0, 12);
  const dir = path.join(os.tmpdir(), `proda-interop-fixtures-${hash}`);
  const ready = () => existsSync(path.join(dir, 'manifest.json'));
  const lock = `${dir}.lock`;
  const deadline = Date.now() + 300_000;
  while (!ready()) {
    try {
      mkdirSync(lock);
    } catch {
      // Someone else is generating; a lock older than 10 minutes belongs to a dead process.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 600_000) rmSync(lock, { recursive: true, force: true });
      } catch {
        /* lock vanished meanwhile */
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
      continue;
    }
    try {
      if (ready()) break;
      const tmp = `${dir}.tmp-${process.pid}`;
      rmSync(tmp, { recursive: true, force: true });
      mkdirSync(tmp, { recursive: true });
      const r = runPython([MAKE_CHECKPOINTS, tmp, '--small', small], 300_000);
      if (r.status !== 0) {
        rmSync(tmp, { recursive: true, force: true });
        throw new Error(`make_checkpoints.py failed: ${r.stderr.slice(-2000)}`);
      }
      renameSync(tmp, dir);
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
  return { dir };
}

export function readF32(file: string): Float32Array {
  const b = readFileSync(file);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}
