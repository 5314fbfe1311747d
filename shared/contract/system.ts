// Requests about the main-side process itself: versions and the compute backend in use.
import { z } from 'zod';
import { event, request } from './define';

/** The WebGPU adapter Dawn offers (vendor strings as the driver reports them). */
export const gpuAdapterSchema = z.object({
  vendor: z.string(),
  architecture: z.string(),
  device: z.string(),
  /** Driver and version as one string (WebGPU has no separate driver field). */
  description: z.string(),
  /** A CPU implementation (lavapipe, SwiftShader): correct but slower than the wasm backend. */
  software: z.boolean(),
  limits: z.record(z.string(), z.number()),
});
export type GpuAdapter = z.infer<typeof gpuAdapterSchema>;

/** The CUDA/cuDNN shared libraries tfjs-node-gpu 4.22 (libtensorflow 2.9.1, CUDA 11.2, cuDNN 8.1) loads. */
export const cudaReportSchema = z.object({
  libraries: z.array(z.object({ name: z.string(), path: z.string().nullable() })),
  missing: z.array(z.string()),
  /** What to install when some are missing; null when all were found. */
  fix: z.string().nullable(),
});
export type CudaReport = z.infer<typeof cudaReportSchema>;

export const backendInfoSchema = z.object({
  /** tfjs backend name actually active: 'tensorflow' (tfjs-node[-gpu]), 'webgpu', 'wasm' or 'cpu'. */
  name: z.string(),
  /** True only when the math really runs on a GPU (a hardware adapter, or TensorFlow on a CUDA device). */
  gpu: z.boolean(),
  /** Which package provided it, e.g. '@tensorflow/tfjs-node-gpu'. */
  provider: z.string(),
  /** Why this one was chosen. */
  reason: z.string(),
  /** Why each preferred backend was not used, in preference order. */
  skipped: z.array(z.object({ provider: z.string(), reason: z.string() })),
  threads: z.number().int().positive(),
  /** The WebGPU adapter found, whether or not webgpu was chosen; null when there is none. */
  adapter: gpuAdapterSchema.nullable(),
  cuda: cudaReportSchema,
});
export type BackendInfo = z.infer<typeof backendInfoSchema>;

/** Lateness of main's event loop over a window: how long it was blocked (timer ticks that ran late). */
export const eventLoopLagSchema = z.object({
  /** Milliseconds since the window began (process start or the last reset). */
  windowMs: z.number(),
  /** Timer ticks seen in the window. */
  samples: z.number().int(),
  /** The sampling interval: shorter blocks can go unseen. */
  resolutionMs: z.number(),
  meanMs: z.number(),
  p50Ms: z.number(),
  p95Ms: z.number(),
  p99Ms: z.number(),
  maxMs: z.number(),
});
export type EventLoopLag = z.infer<typeof eventLoopLagSchema>;

export const systemRequests = {
  'system.info': request(
    'Versions and the compute backend main runs on',
    z.object({}).strict(),
    z.object({
      appVersion: z.string(),
      node: z.string(),
      platform: z.string(),
      transport: z.enum(['ipc', 'http']),
      backend: backendInfoSchema.nullable(),
      /** Electron's version when main runs inside Electron, else null. */
      electron: z.string().nullable(),
      /** One line for the status bar: the backend, GPU or not, and why. */
      summary: z.string(),
    }),
  ),
  'system.eventLoop': request(
    'How long main\'s event loop was blocked since the window began (percentiles of timer lateness); reset starts a new window after reading',
    z.object({ reset: z.boolean().default(false) }).strict(),
    eventLoopLagSchema,
  ),
};

export const systemEvents = {
  'system.log': event('A line for the status bar', z.object({ level: z.enum(['info', 'warn', 'error']), message: z.string() })),
};
