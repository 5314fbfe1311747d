import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/backend';
import { demoConfig } from '../engine/nets';
import { buildNet } from './export-model';
import { predictLabels } from '../engine/eval/confusion';
import { predictImage } from './run-model';

const W = 37;
const H = 29;
const img = { width: W, height: H, data: Uint8Array.from({ length: W * H * 3 }, (_, i) => (i * 37 + ((i / 3) | 0) * 5) % 256) };
const mirror = (d: Uint8Array | Float32Array, channels: number) => {
  const out = d.slice();
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < channels; c++) out[(y * W + x) * channels + c] = d[(y * W + (W - 1 - x)) * channels + c];
  return out;
};

describe('predictImage', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('flip-averaged predictions are mirror-equivariant, and leave no tensors behind', async () => {
    const net = buildNet(demoConfig(19), { seed: 4 });
    const before = tf.memory().numTensors;
    const a = await predictImage(net, img, { flip: true });
    const b = await predictImage(net, { ...img, data: mirror(img.data, 3) as Uint8Array }, { flip: true });
    expect(tf.memory().numTensors).toBe(before);
    const m = mirror(b.confidence, 1) as Float32Array;
    expect(Math.max(...Array.from(a.confidence, (v, i) => Math.abs(v - m[i])))).toBeLessThan(1e-6);
    expect(a.confidence.every((v) => v > 1 / 19 - 1e-6 && v <= 1 + 1e-6)).toBe(true);
    expect(a.trainIds.every((v) => v < 19)).toBe(true);
    // without flip, the mirrored image does not give the mirrored map (the net is not symmetric)
    const c = await predictImage(net, img);
    const d = await predictImage(net, { ...img, data: mirror(img.data, 3) as Uint8Array });
    const md = mirror(d.confidence, 1) as Float32Array;
    expect(Math.max(...Array.from(c.confidence, (v, i) => Math.abs(v - md[i])))).toBeGreaterThan(1e-6);
    expect(c.soft.channels).toBe(19);
    expect(c.soft.data.length).toBe(19 * c.soft.height * c.soft.width);
    net.dispose();
  });

  it("the 'eval' order gives the labels evaluate() scores (logits upsampled, then argmax); the pseudo-label order differs", async () => {
    const net = buildNet(demoConfig(19), { seed: 5 });
    const e = await predictImage(net, img, { order: 'eval' });
    const logits = tf.tidy(() => net.apply(tf.div(tf.tensor4d(img.data, [1, H, W, 3], 'float32'), 255) as tf.Tensor4D, { training: false }).logits);
    const scored = await predictLabels(logits, H, W);
    logits.dispose();
    expect(Array.from(e.trainIds)).toEqual(Array.from(scored));
    const p = await predictImage(net, img, { order: 'pseudo-label' });
    // softmax then upsampling is not upsampling then softmax: the confidences differ
    expect(Math.max(...Array.from(e.confidence, (v, i) => Math.abs(v - p.confidence[i])))).toBeGreaterThan(1e-5);
    expect(Array.from(e.soft.data)).toEqual(Array.from(p.soft.data));
    net.dispose();
  });
});
