import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { backendInfoSchema } from '../../shared/contract/system';
import { initBackend, resolvePreference } from './backend';

function installed(name: string): boolean {
  try {
    import.meta.resolve(name);
    return true;
  } catch {
    return false;
  }
}

describe('initBackend', () => {
  it('auto picks the best backend that really runs and explains the skipped ones', async () => {
    const info = backendInfoSchema.parse(await initBackend('auto'));
    expect(info.name).toBe(tf.getBackend());
    if (!installed('@tensorflow/tfjs-node-gpu') && !installed('@tensorflow/tfjs-node')) {
      expect(info.name).toBe('wasm');
      expect(info.provider).toBe('@tensorflow/tfjs-backend-wasm');
      expect(info.skipped.map((s) => s.provider)).toEqual(['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']);
      for (const s of info.skipped) expect(s.reason).toMatch(/not installed/);
      expect(info.gpu).toBe(false);
      expect(info.threads).toBe(1);
    }
    // It computes, not merely claims.
    const y = tf.tidy(() => tf.conv2d(tf.ones([1, 3, 3, 1]) as tf.Tensor4D, tf.ones([3, 3, 1, 1]) as tf.Tensor4D, 1, 'same').dataSync());
    expect(Array.from(y)).toEqual([4, 6, 4, 6, 9, 6, 4, 6, 4]);
  });

  it('is idempotent and switches when asked for another backend', async () => {
    const a = initBackend('cpu');
    expect(initBackend('cpu')).toBe(a);
    const info = await a;
    expect(info.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(info.skipped.map((s) => s.reason.startsWith('not tried'))).toEqual([true, true, true]);
    const w = await initBackend('wasm');
    expect(w.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('reads PRODA_BACKEND only when no explicit preference is given', () => {
    expect(resolvePreference(undefined, { PRODA_BACKEND: 'CPU' })).toBe('cpu');
    expect(resolvePreference('auto', { PRODA_BACKEND: 'wasm' })).toBe('wasm');
    expect(resolvePreference('tensorflow', { PRODA_BACKEND: 'wasm' })).toBe('tensorflow');
    expect(resolvePreference(undefined, {})).toBe('auto');
    expect(() => resolvePreference(undefined, { PRODA_BACKEND: 'webgpu' })).toThrow(/PRODA_BACKEND="webgpu"/);
  });
});
