import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { backendInfoSchema } from '../../shared/contract/system';
import type { GpuAdapter } from '../../shared/contract/system';
import { backendSummary, initBackend, resolvePreference, selectBackend } from './backend';
import type { BackendDeps } from './backend';
import { CUDA_LIBRARIES, probeCudaLibraries } from './cuda-libraries';
import { TEST_BACKENDS } from './ops/test-utils';
import { readData } from './read';

function installed(name: string): boolean {
  try {
    import.meta.resolve(name);
    return true;
  } catch {
    return false;
  }
}

const notInstalled = (name: string) => Object.assign(new Error(`Cannot find module '${name}'`), { code: 'MODULE_NOT_FOUND' });
const lavapipe: GpuAdapter = {
  vendor: 'mesa',
  architecture: 'software',
  device: 'llvmpipe',
  description: 'llvmpipe: Mesa 25.0.7',
  software: true,
  limits: { maxBufferSize: 2 ** 32 - 1 },
};

/** A tfjs-node-gpu that loads and registers 'tensorflow' (here: a cpu backend) on a given device. */
function fakeNodeGpu(onGpu: boolean): BackendDeps {
  return {
    loadNative: (p) => {
      if (p !== '@tensorflow/tfjs-node-gpu') throw notInstalled(p);
      const cpu = tf.findBackendFactory('cpu');
      if (tf.findBackendFactory('tensorflow')) tf.removeBackend('tensorflow');
      tf.registerBackend('tensorflow', async () => Object.assign(await cpu(), { isUsingGpuDevice: onGpu }));
    },
    openWebgpu: async () => ({ adapter: lavapipe, register: async () => {} }),
    probeCuda: () => ({ libraries: [{ name: 'libcudart.so.11.0', path: null }], missing: ['libcudart.so.11.0'], fix: 'install CUDA 11' }),
  };
}

describe('initBackend', () => {
  afterAll(async () => {
    await initBackend('cpu');
    if (tf.findBackend('tensorflow') && !installed('@tensorflow/tfjs-node')) tf.removeBackend('tensorflow');
  });

  it('auto picks the best backend that really runs and explains the skipped ones', async () => {
    const info = backendInfoSchema.parse(await initBackend('auto'));
    expect(info.name).toBe(tf.getBackend());
    if (!installed('@tensorflow/tfjs-node-gpu') && !installed('@tensorflow/tfjs-node') && !(info.adapter && !info.adapter.software)) {
      expect(info.name).toBe('wasm');
      expect(info.provider).toBe('@tensorflow/tfjs-backend-wasm');
      expect(info.skipped.map((s) => s.provider)).toEqual(['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-backend-webgpu', '@tensorflow/tfjs-node']);
      expect(info.skipped[0].reason).toMatch(/not installed/);
      expect(info.skipped[2].reason).toMatch(/not installed/);
      // Here: lavapipe (software) when its Vulkan ICD is installed, else no adapter at all.
      expect(info.skipped[1].reason).toMatch(info.adapter ? /software adapter/ : /no WebGPU adapter/);
      expect(info.gpu).toBe(false);
      expect(info.threads).toBe(1);
      expect(info.reason).toMatch(/fastest backend that runs here/);
    }
    // It computes, not merely claims.
    const t = tf.conv2d(tf.ones([1, 3, 3, 1]) as tf.Tensor4D, tf.ones([3, 3, 1, 1]) as tf.Tensor4D, 1, 'same');
    expect(Array.from(await readData(t))).toEqual([4, 6, 4, 6, 9, 6, 4, 6, 4]);
    t.dispose();
  });

  it('is idempotent and switches when asked for another backend', async () => {
    const a = initBackend('cpu');
    expect(initBackend('cpu')).toBe(a);
    const info = await a;
    expect(info.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(info.skipped.map((s) => s.reason.startsWith('not tried'))).toEqual([true, true, true, true]);
    const w = await initBackend('wasm');
    expect(w.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('reads PRODA_BACKEND only when no explicit preference is given', () => {
    expect(resolvePreference(undefined, { PRODA_BACKEND: 'CPU' })).toBe('cpu');
    expect(resolvePreference('auto', { PRODA_BACKEND: 'wasm' })).toBe('wasm');
    expect(resolvePreference(undefined, { PRODA_BACKEND: 'webgpu' })).toBe('webgpu');
    expect(resolvePreference('tensorflow', { PRODA_BACKEND: 'wasm' })).toBe('tensorflow');
    expect(resolvePreference(undefined, {})).toBe('auto');
    expect(() => resolvePreference(undefined, { PRODA_BACKEND: 'webgl' })).toThrow(/PRODA_BACKEND="webgl"/);
  });

  it('names a tfjs-node-gpu that loads without a GPU, and falls back past it in the open', async () => {
    try {
      const info = backendInfoSchema.parse(await selectBackend('auto', fakeNodeGpu(false)));
      // Its CPU TensorFlow still beats wasm, so it runs, named as a CPU fallback.
      expect(info).toMatchObject({ name: 'tensorflow', provider: '@tensorflow/tfjs-node-gpu', gpu: false });
      expect(info.reason).toMatch(/TensorFlow on the CPU \(tfjs-node-gpu loaded, no CUDA GPU\)/);
      expect(backendSummary(info)).toMatch(/^tensorflow on CPU: /);
      const nodeGpu = info.skipped.find((s) => s.provider === '@tensorflow/tfjs-node-gpu');
      expect(nodeGpu?.reason).toMatch(/loaded, but TensorFlow found no usable CUDA GPU \(isUsingGpuDevice=false\).*CPU.*libcudart\.so\.11\.0/);
      expect(info.skipped.find((s) => s.provider === '@tensorflow/tfjs-backend-webgpu')?.reason).toMatch(/only a software adapter \(llvmpipe/);
      expect(info.adapter?.device).toBe('llvmpipe');
      expect(info.cuda.missing).toEqual(['libcudart.so.11.0']);
      // Asked for TensorFlow explicitly, it is used, but never called a GPU.
      const tfInfo = await selectBackend('tensorflow', fakeNodeGpu(false));
      expect(tfInfo).toMatchObject({ name: 'tensorflow', provider: '@tensorflow/tfjs-node-gpu', gpu: false });
      expect(tfInfo.reason).toMatch(/no usable CUDA GPU/);
      expect(backendSummary(tfInfo)).toMatch(/^tensorflow on CPU: /);
      // On a CUDA device it wins the whole chain.
      const gpuInfo = await selectBackend('auto', fakeNodeGpu(true));
      expect(gpuInfo).toMatchObject({ name: 'tensorflow', provider: '@tensorflow/tfjs-node-gpu', gpu: true, skipped: [] });
    } finally {
      tf.removeBackend('tensorflow');
      await initBackend('cpu');
    }
  });

  it.runIf(TEST_BACKENDS.includes('webgpu'))('PRODA_BACKEND=webgpu forces webgpu even on a software adapter and reports it', async () => {
    const info = backendInfoSchema.parse(await initBackend('webgpu'));
    expect(info).toMatchObject({ name: 'webgpu', provider: '@tensorflow/tfjs-backend-webgpu' });
    expect(info.gpu).toBe(!info.adapter?.software);
    expect(info.adapter?.limits.maxBufferSize).toBeGreaterThan(0);
    if (info.adapter?.software) expect(info.reason).toMatch(/software adapter, forced by PRODA_BACKEND=webgpu/);
    const t = tf.conv2d(tf.ones([1, 3, 3, 1]) as tf.Tensor4D, tf.ones([3, 3, 1, 1]) as tf.Tensor4D, 1, 'same');
    expect(Array.from(await readData(t))).toEqual([4, 6, 4, 6, 9, 6, 4, 6, 4]);
    t.dispose();
  });
});

describe('probeCudaLibraries', () => {
  it('finds libraries in LD_LIBRARY_PATH and ldconfig, names the missing ones and the fix', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cuda-'));
    try {
      writeFileSync(path.join(dir, 'libcudnn.so.8'), '');
      const ldconfig = () =>
        ['3 libs found', '\tlibcuda.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so.1', '\tlibcudart.so.12 (libc6,x86-64) => /usr/local/cuda/lib64/libcudart.so.12'].join('\n');
      const r = probeCudaLibraries({ LD_LIBRARY_PATH: `relative:${dir}` }, ldconfig);
      expect(r.libraries.map((l) => l.name)).toEqual([...CUDA_LIBRARIES]);
      expect(r.libraries.find((l) => l.name === 'libcudnn.so.8')?.path).toBe(path.join(dir, 'libcudnn.so.8'));
      if (process.arch === 'x64') expect(r.libraries.find((l) => l.name === 'libcuda.so.1')?.path).toBe('/usr/lib/x86_64-linux-gnu/libcuda.so.1');
      // CUDA 12's runtime has another soname: it does not count.
      expect(r.missing).toContain('libcudart.so.11.0');
      expect(r.fix).toMatch(/CUDA 11\.x runtime.*cuDNN 8\.x.*LD_LIBRARY_PATH/);
      const none = probeCudaLibraries({}, () => '');
      expect(none.missing).toEqual([...CUDA_LIBRARIES]);
      expect(none.fix).toMatch(/NVIDIA driver/);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});
