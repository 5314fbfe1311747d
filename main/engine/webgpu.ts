// WebGPU for Node through Dawn (the npm package `webgpu`): one GPU instance per process, the adapter
// described for reports, and a failure latch. Dawn reports shader-compile and validation errors only as
// `uncapturederror` events and then runs the rest of the submission without the failed work, so a result
// can be silently wrong (zeros); every engine read checks the latch (engine/read.ts), and a lost device
// fails the same way. Dawn cannot run inside Electron's own processes, so only plain-Node processes
// (run processes, the CLI, `npm run serve`) open it.
import * as tf from '@tensorflow/tfjs';
import type { GpuAdapter } from '../../shared/contract/system';

/** The parts of the WebGPU API used here (the DOM typings are not part of the Node build). */
interface Adapter {
  info: Record<string, unknown>;
  limits: Record<string, number>;
}
interface Gpu {
  requestAdapter(o?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<Adapter | null>;
}
export interface WatchedDevice {
  addEventListener(type: 'uncapturederror', l: (e: { error: { message: string } }) => void): void;
  lost: Promise<{ reason: string; message: string }>;
}

// The limits that decide whether a net fits (buffer and binding sizes) and how kernels are tiled.
const LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
] as const;

let opened: Promise<{ adapter: GpuAdapter; register: () => Promise<void> }> | null = null;

/**
 * Installs Dawn's WebGPU globals and `navigator.gpu`, and describes the adapter tfjs will use (it asks
 * for the high-performance one, as here). Throws when there is no adapter (no Vulkan driver).
 * `register()` then loads tfjs's webgpu backend, which registers itself only when navigator.gpu exists.
 */
export function openWebgpu(): Promise<{ adapter: GpuAdapter; register: () => Promise<void> }> {
  opened ??= (async () => {
    if (process.versions.electron) {
      throw new Error(
        `Dawn cannot run inside Electron's processes (Electron ${process.versions.electron} refuses the external ArrayBuffers it maps); webgpu needs a plain-Node process`,
      );
    }
    const { create, globals } = (await import('webgpu')) as unknown as { create: (o: string[]) => Gpu; globals: object };
    Object.assign(globalThis, globals);
    const gpu = create([]);
    const g = globalThis as { navigator?: object };
    // Node 20 has no navigator; Node 21+ has one without `gpu`.
    if (!g.navigator) Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
    Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
    const a = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!a) {
      throw new Error('Dawn found no WebGPU adapter: no Vulkan driver (ICD) is installed, or it rejected every device');
    }
    return {
      adapter: describeAdapter(a),
      register: async () => {
        await import('@tensorflow/tfjs-backend-webgpu');
        materialiseFloatCasts();
      },
    };
  })();
  opened.catch(() => {
    opened = null;
  });
  return opened;
}

interface KernelBackend {
  disposeData(dataId: object): void;
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
}

/**
 * tfjs-webgpu 4.22 casts int32/bool to float32 by relabelling the int buffer. Kernels that read their input
 * buffer raw, such as Transpose (also run inside Sum, ArgMax, BatchMatMul and others on non-inner axes),
 * then emit WGSL that does not compile (an i32 value stored to an f32 output): `mask.toFloat()` followed
 * by such a kernel fails the run. Here such a cast writes a real float32 buffer (x + 0, exact for every
 * int32 and bool value), so nothing downstream ever sees an int-backed float. webgpu only.
 */
let castsMaterialised = false;
function materialiseFloatCasts(): void {
  if (castsMaterialised) return;
  castsMaterialised = true;
  const cast = tf.getKernel('Cast', 'webgpu');
  const add = tf.getKernel('Add', 'webgpu');
  if (!cast || !add) throw new Error('tfjs-backend-webgpu registered no Cast or Add kernel');
  tf.unregisterKernel('Cast', 'webgpu');
  tf.registerKernel({
    ...cast,
    kernelFunc: (args) => {
      const out = cast.kernelFunc(args) as tf.TensorInfo;
      const x = args.inputs.x as tf.TensorInfo;
      if (out.dtype !== 'float32' || x.dtype === 'float32' || out.dataId !== x.dataId) return out;
      const backend = args.backend as unknown as KernelBackend;
      const zero = backend.makeTensorInfo([], 'float32', new Float32Array([0]));
      const real = add.kernelFunc({ inputs: { a: out, b: zero }, backend: args.backend, attrs: {} }) as tf.TensorInfo;
      backend.disposeData(zero.dataId);
      backend.disposeData(out.dataId);
      return real;
    },
  });
}

export function describeAdapter(a: Adapter): GpuAdapter {
  const s = (k: string): string => (typeof a.info[k] === 'string' ? (a.info[k] as string) : '');
  const text = `${s('vendor')} ${s('device')} ${s('description')}`;
  const limits: Record<string, number> = {};
  for (const k of LIMITS) if (typeof a.limits[k] === 'number') limits[k] = a.limits[k];
  return {
    vendor: s('vendor'),
    architecture: s('architecture'),
    device: s('device'),
    description: s('description'),
    // Dawn marks lavapipe/SwiftShader as fallback adapters; the names cover drivers that do not.
    software: a.info.isFallbackAdapter === true || s('architecture') === 'software' || /llvmpipe|lavapipe|swiftshader/i.test(text),
    limits,
  };
}

let failure: Error | null = null;
const failureListeners = new Set<(err: Error) => void>();

/** Latches the first Dawn error or device loss of this device. */
export function watchDevice(device: WatchedDevice): void {
  device.addEventListener('uncapturederror', (e) => fail(`WebGPU error (the GPU result is invalid): ${e.error.message}`));
  void device.lost.then((info) => {
    // tfjs destroys its device when the backend is disposed; that loss is expected.
    if (info.reason !== 'destroyed') fail(`WebGPU device lost (${info.reason}): ${info.message}`);
  });
}

function fail(message: string): void {
  if (failure) return;
  failure = new Error(message.trim());
  for (const l of failureListeners) l(failure);
}

/** Throws the first WebGPU error of this process, if any: never continue on a validation error. */
export function throwIfGpuFailed(): void {
  if (failure) throw failure;
}

/** Calls `listener` once, at the first WebGPU error (run processes end the run with its message). */
export function onGpuFailure(listener: (err: Error) => void): () => void {
  if (failure) listener(failure);
  else failureListeners.add(listener);
  return () => failureListeners.delete(listener);
}
