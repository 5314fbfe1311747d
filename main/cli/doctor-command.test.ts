import { describe, expect, it } from 'vitest';
import { doctorReport, formatDoctor } from './doctor-command';

describe('proda doctor', () => {
  it('names the chosen backend, why every other one was not used, the adapter and the CUDA libraries', async () => {
    const r = await doctorReport();
    expect(r.backend).not.toBeNull();
    expect(r.chain.map((c) => c.provider)).toEqual([
      '@tensorflow/tfjs-node-gpu',
      '@tensorflow/tfjs-backend-webgpu',
      '@tensorflow/tfjs-node',
      '@tensorflow/tfjs-backend-wasm',
      '@tensorflow/tfjs-backend-cpu',
    ]);
    expect(r.chain.filter((c) => c.status === 'chosen')).toHaveLength(1);
    for (const c of r.chain) expect(c.reason.length).toBeGreaterThan(0);
    expect(r.cuda.libraries.map((l) => l.name)).toContain('libcudart.so.11.0');
    expect(r.versions.node).toBe(process.version);
    const webgpu = r.chain[1];
    if (r.adapter?.software && r.backend?.name !== 'webgpu') {
      // This machine (lavapipe): a software adapter is found, described, and not chosen.
      expect(webgpu).toMatchObject({ status: 'rejected' });
      expect(webgpu.reason).toMatch(/software adapter/);
      expect(r.adapter.limits.maxBufferSize).toBeGreaterThan(0);
    }
    if (!r.adapter) expect(r.adapterError).toMatch(/adapter|Electron/);
    const text = formatDoctor(r);
    expect(text).toContain(`backend: ${r.summary}`);
    expect(text).toMatch(/CUDA for tfjs-node-gpu/);
    if (r.cuda.fix) expect(text).toContain(`fix: ${r.cuda.fix}`);
  });
});
