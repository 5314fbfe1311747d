import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpy } from '../../io/npy';
import { initBackend } from '../backend';
import { TEST_BACKENDS } from '../ops/test-utils';
import { demoConfig, type SegNetConfig } from '../nets/deeplab';
import { SegNet } from '../nets/net';
import { clearGraphCache, createPredictor, type ModelWeights, type Prediction } from './predictor';
import { labelsAndConfidence, mirrorX, upsampleChw, type ChwMap } from './postprocess';

const FIX = fileURLToPath(new URL('../../../fixtures/parity/predict/', import.meta.url));
const npy = (c: string, a: string) => readNpy(new Uint8Array(readFileSync(join(FIX, `${c}__${a}.npy`))), a) as { shape: number[]; data: Float32Array | Int32Array };
const chw = (c: string, a: string): ChwMap => {
  const n = npy(c, a);
  return { channels: n.shape[0], height: n.shape[1], width: n.shape[2], data: n.data as Float32Array };
};
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};
const same = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) n++;
  return n;
};

describe('post-processing against the official orders (PyTorch reference)', () => {
  for (const c of ['small', 'wide']) {
    it(`${c}: pseudo-label order (softmax, upsample, flip-average) and eval order (upsample logits, argmax)`, () => {
      const l = chw(c, 'logits');
      const lf = chw(c, 'logits_flip');
      const [H, W] = npy(c, 'pl_label').shape;
      const pl = labelsAndConfidence(l, lf, H, W, 'pseudo-label');
      expect(same(pl.labels, npy(c, 'pl_label').data)).toBe(H * W);
      expect(maxDiff(pl.conf, npy(c, 'pl_conf').data)).toBeLessThan(1e-6);
      const pl1 = labelsAndConfidence(l, null, H, W, 'pseudo-label');
      expect(same(pl1.labels, npy(c, 'pl_label_noflip').data)).toBe(H * W);
      expect(maxDiff(pl1.conf, npy(c, 'pl_conf_noflip').data)).toBeLessThan(1e-6);
      const ev = labelsAndConfidence(l, null, H, W, 'eval');
      expect(same(ev.labels, npy(c, 'eval_label').data)).toBe(H * W);
      expect(maxDiff(ev.conf, npy(c, 'eval_conf').data)).toBeLessThan(1e-6);
      const evf = labelsAndConfidence(l, lf, H, W, 'eval');
      expect(same(evf.labels, npy(c, 'evalflip_label').data)).toBe(H * W);
      expect(maxDiff(evf.conf, npy(c, 'evalflip_conf').data)).toBeLessThan(1e-6);
      // The two orders really differ: the old softmax-after-upsampling confidence is not the official one.
      expect(maxDiff(evf.conf, npy(c, 'pl_conf').data)).toBeGreaterThan(1e-3);
    });
  }

  it('upsampleChw matches tfjs resizeBilinear(alignCorners)', async () => {
    await initBackend('cpu');
    const l = chw('small', 'logits');
    const up = upsampleChw(l, 23, 31);
    const t = tf.tidy(() => tf.transpose(tf.image.resizeBilinear(tf.transpose(tf.tensor3d(l.data, [l.channels, l.height, l.width]), [1, 2, 0]) as tf.Tensor3D, [23, 31], true), [2, 0, 1]));
    expect(maxDiff(up.data, t.dataSync())).toBeLessThan(1e-5);
    t.dispose();
  });
});

// Random init gives logits near zero (near-ties everywhere); the classifier is scaled so the maps have
// the spread of a trained net and the agreement numbers mean something.
async function model(network: SegNetConfig, seed: number): Promise<ModelWeights> {
  let net: SegNet | undefined;
  tf.tidy(() => {
    net = new SegNet(network, { seed });
  });
  const weights = await net!.getWeights();
  net!.dispose();
  const cls = 'layer5.head.1.weight';
  weights[cls] = { shape: weights[cls].shape, data: weights[cls].data.map((v) => v * 40) };
  return { network, weights };
}

const image = (w: number, h: number, seed: number) => ({
  width: w,
  height: h,
  data: Uint8Array.from({ length: w * h * 3 }, (_, i) => {
    const p = (i / 3) | 0;
    const x = p % w;
    const y = (p / w) | 0;
    return (Math.sin(x * 0.11 * seed + (i % 3)) * 90 + Math.cos(y * 0.07 + seed) * 90 + 128 + ((x * y * seed) % 23)) & 255;
  }),
});

function parity(a: Prediction[], b: Prediction[]) {
  let agree = 0;
  let px = 0;
  let prob = 0;
  let conf = 0;
  for (let i = 0; i < a.length; i++) {
    agree += same(a[i].labels!, b[i].labels!);
    px += a[i].labels!.length;
    prob = Math.max(prob, maxDiff(a[i].soft.data, b[i].soft.data));
    conf = Math.max(conf, maxDiff(a[i].conf!, b[i].conf!));
  }
  return { agreement: agree / px, prob, conf };
}

// The tfjs side on wasm and webgpu (cpu is the slow reference the other files already cover).
describe.each(TEST_BACKENDS.filter((b) => b !== 'cpu'))('ONNX Runtime and tfjs predictors agree (tfjs on %s)', (backend) => {
  let cacheDir: string;
  beforeAll(async () => {
    await initBackend(backend);
    cacheDir = mkdtempSync(join(tmpdir(), 'proda-predict-'));
  });
  afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

  it('demo net: argmax ≥ 99.99 %, probabilities ≤ 1e-4, both orders, with flips; graph cached by content', async () => {
    clearGraphCache();
    const m = await model(demoConfig(19), 3);
    const ortP = await createPredictor(m, { cacheDir, threads: 2, strict: true });
    const tfP = await createPredictor(m, { engine: 'tfjs' });
    expect(ortP.info.engine).toBe('onnxruntime');
    expect(ortP.info.provider).toBe('cpu');
    expect(ortP.info.check?.passed).toBe(true);
    expect(tfP.info.engine).toBe('tfjs');
    expect(tf.getBackend()).toBe(backend);
    const imgs = [image(128, 96, 1), image(128, 96, 2), image(131, 77, 3)];
    const tensors = tf.memory().numTensors;
    await tfP.predict(imgs, { flip: true });
    expect(tf.memory().numTensors).toBe(tensors);
    for (const order of ['eval', 'pseudo-label'] as const) {
      const a = await ortP.predict(imgs, { order, flip: true });
      const b = await tfP.predict(imgs, { order, flip: true });
      const p = parity(a, b);
      expect(p.agreement).toBeGreaterThanOrEqual(0.9999);
      expect(p.prob).toBeLessThanOrEqual(1e-4);
      expect(p.conf).toBeLessThanOrEqual(1e-4);
      expect(a[2].width).toBe(131);
      expect(a[2].labels!.length).toBe(131 * 77);
      // the labels are not degenerate
      expect(new Set(a[0].labels).size).toBeGreaterThan(2);
    }
    // flip-averaged labels are mirror-equivariant
    const x = imgs[2];
    const [f1] = await ortP.predict([x], { order: 'pseudo-label', flip: true });
    const [f2] = await ortP.predict([{ ...x, data: mirrorX(x.data, x.width, x.height, 3) }], { order: 'pseudo-label', flip: true });
    expect(maxDiff(f1.conf!, mirrorX(f2.conf!, x.width, x.height, 1))).toBeLessThan(1e-6);
    await Promise.all([ortP.dispose(), tfP.dispose()]);
    expect(readdirSync(cacheDir).sort()).toEqual([`${ortP.info.modelHash}.check.json`, `${ortP.info.modelHash}.onnx`]);
    // Same weights: same hash, the graph and its check come from the cache; other weights: another hash.
    const again = await createPredictor(m, { cacheDir, threads: 1 });
    expect(again.info.modelHash).toBe(ortP.info.modelHash);
    expect(again.info.check).toEqual(ortP.info.check);
    await again.dispose();
    const other = await model(demoConfig(19), 3);
    const k = Object.keys(other.weights)[0];
    other.weights[k] = { ...other.weights[k], data: other.weights[k].data.map((v) => v + 1e-3) };
    const o = await createPredictor(other, { engine: 'tfjs' });
    expect(o.info.modelHash).not.toBe(ortP.info.modelHash);
    await o.dispose();
  }, 120_000);

  it('a graph whose check failed is not trusted: tfjs runs and says why, or strict throws', async () => {
    clearGraphCache();
    const m = await model(demoConfig(19), 3);
    const p = await createPredictor(m, { cacheDir, threads: 1 });
    const hash = p.info.modelHash;
    await p.dispose();
    const file = join(cacheDir, `${hash}.check.json`);
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), argmaxAgreement: 0.5, passed: false }));
    clearGraphCache();
    const fb = await createPredictor(m, { cacheDir, threads: 1 });
    expect(fb.info.engine).toBe('tfjs');
    expect(fb.info.fallback).toMatch(/argmax agreement 50\.000%/);
    await fb.dispose();
    clearGraphCache();
    await expect(createPredictor(m, { cacheDir, strict: true })).rejects.toThrow(/disagrees with the engine/);
  }, 120_000);

  it('an R101-shaped net (bottleneck [3,4,23,3], dilated, official head layout, narrow): same agreement', async () => {
    clearGraphCache();
    const network: SegNetConfig = {
      backbone: 'resnet101',
      backboneSpec: { block: 'bottleneck', layers: [3, 4, 23, 3], widths: [4, 8, 16, 32], stem: 8 },
      numClasses: 19,
      head: { width: 32, gnGroups: 8 },
    };
    const m = await model(network, 5);
    const ortP = await createPredictor(m, { threads: 2, strict: true });
    const tfP = await createPredictor(m, { engine: 'tfjs' });
    const imgs = [image(96, 64, 4)];
    const p = parity(await ortP.predict(imgs, { order: 'pseudo-label', flip: true }), await tfP.predict(imgs, { order: 'pseudo-label', flip: true }));
    expect(p.agreement).toBeGreaterThanOrEqual(0.9999);
    expect(p.prob).toBeLessThanOrEqual(1e-4);
    await Promise.all([ortP.dispose(), tfP.dispose()]);
  }, 240_000);
});
