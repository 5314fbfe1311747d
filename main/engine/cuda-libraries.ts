// Finds the CUDA and cuDNN shared libraries tfjs-node-gpu 4.22 needs. Its libtensorflow 2.9.1 was built
// against CUDA 11.2 and cuDNN 8.1 and dlopens these exact sonames; CUDA 12/13 and cuDNN 9 have other
// sonames, so a current toolkit alone leaves TensorFlow on the CPU without an error.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { CudaReport } from '../../shared/contract/system';

export const CUDA_LIBRARIES = [
  'libcuda.so.1',
  'libcudart.so.11.0',
  'libcublas.so.11',
  'libcublasLt.so.11',
  'libcufft.so.10',
  'libcurand.so.10',
  'libcusolver.so.11',
  'libcusparse.so.11',
  'libcudnn.so.8',
] as const;

const FIX_DRIVER = 'install the NVIDIA driver (libcuda.so.1 comes with it)';
const FIX_RUNTIME =
  'install the CUDA 11.x runtime libraries (11.2 or later 11.x: cudart, cublas, cufft, curand, cusolver, cusparse) and cuDNN 8.x for CUDA 11 ' +
  'side by side with any newer CUDA (e.g. NVIDIA\'s cuda-libraries-11-8 and libcudnn8 packages, or the pip wheels nvidia-*-cu11 and nvidia-cudnn-cu11==8.*), ' +
  'then put their lib directories on LD_LIBRARY_PATH (or in /etc/ld.so.conf.d/ and run ldconfig) before starting proda';

/** ldconfig's cache plus LD_LIBRARY_PATH, the two places the dynamic loader looks besides rpaths. */
export function probeCudaLibraries(env: NodeJS.ProcessEnv = process.env, ldconfig: () => string = readLdconfig): CudaReport {
  const cache = new Map<string, string>();
  for (const line of ldconfig().split('\n')) {
    const m = /^\s*(\S+)\s+\(([^)]*)\)\s+=>\s+(\S+)/.exec(line);
    if (m && (process.arch !== 'x64' || m[2].includes('x86-64')) && !cache.has(m[1])) cache.set(m[1], m[3]);
  }
  const dirs = (env.LD_LIBRARY_PATH ?? '').split(':').filter((d) => d && path.isAbsolute(d));
  const libraries = CUDA_LIBRARIES.map((name) => {
    const fromEnv = dirs.map((d) => path.join(d, name)).find((p) => existsSync(p));
    return { name, path: fromEnv ?? cache.get(name) ?? null };
  });
  const missing = libraries.filter((l) => !l.path).map((l) => l.name);
  const fixes: string[] = [];
  if (missing.includes('libcuda.so.1')) fixes.push(FIX_DRIVER);
  if (missing.some((m) => m !== 'libcuda.so.1')) fixes.push(FIX_RUNTIME);
  return { libraries, missing, fix: fixes.length ? `${fixes.join('; ')}.` : null };
}

function readLdconfig(): string {
  for (const bin of ['/sbin/ldconfig', '/usr/sbin/ldconfig', 'ldconfig']) {
    try {
      return execFileSync(bin, ['-p'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      // next candidate
    }
  }
  return '';
}
