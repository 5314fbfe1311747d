// Requests about the main-side process itself: versions and the compute backend in use.
import { z } from 'zod';
import { event, request } from './define';

export const backendInfoSchema = z.object({
  /** tfjs backend name actually active: 'tensorflow' (tfjs-node[-gpu]), 'wasm' or 'cpu'. */
  name: z.string(),
  gpu: z.boolean(),
  /** Which package provided it, e.g. '@tensorflow/tfjs-node-gpu'. */
  provider: z.string(),
  /** Why each preferred backend was not used, in preference order. */
  skipped: z.array(z.object({ provider: z.string(), reason: z.string() })),
  threads: z.number().int().positive(),
});
export type BackendInfo = z.infer<typeof backendInfoSchema>;

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
    }),
  ),
};

export const systemEvents = {
  'system.log': event('A line for the status bar', z.object({ level: z.enum(['info', 'warn', 'error']), message: z.string() })),
};
