// Forward and gradient parity of the TypeScript networks against PyTorch fixtures written by
// fixtures/parity/nets_reference.py (identical architecture semantics, identical weights).
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNpy } from '../../io/npy';
import { TEST_BACKENDS, onBackend } from '../ops/test-utils';
import { readData } from '../read';
import { fromTorchLayout } from './graph';
import type { NamedWeights } from './net';
import { SegNet } from './net';
import type { SegNetConfig } from './deeplab';

const root = join(__dirname, '../../../fixtures/parity/nets');

interface Case {
  block: 'basic' | 'bottleneck';
  layers: [number, number, number, number];
  widths: [number, number, number, number];
  stem: number;
  width: number;
  groups: number;
  dilations: number[];
  classes: number;
  bn_pretrain: boolean;
  input: number[];
  keys: string[];
}

function npy(path: string): { shape: number[]; data: Float32Array } {
  const a = readNpy(new Uint8Array(readFileSync(path)), path);
  return { shape: a.shape, data: a.data as Float32Array };
}

/** NCHW → NHWC on host arrays (the PyTorch/tfjs boundary). */
function nchwToNhwc({ shape, data }: { shape: number[]; data: Float32Array }): { shape: number[]; data: Float32Array } {
  const [n, c, h, w] = shape;
  const out = new Float32Array(data.length);
  for (let b = 0; b < n; b++)
    for (let k = 0; k < c; k++)
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[((b * h + y) * w + x) * c + k] = data[((b * c + k) * h + y) * w + x];
  return { shape: [n, h, w, c], data: out };
}

/** |a-b| ≤ 1e-5·max|b| + atol, elementwise; returns the worst ratio (≤ 1 passes). */
function parity(a: ArrayLike<number>, b: ArrayLike<number>, rel = 1e-5, atol = 1e-6): number {
  expect(a.length).toBe(b.length);
  let maxRef = 0;
  for (let i = 0; i < b.length; i++) maxRef = Math.max(maxRef, Math.abs(b[i]));
  const tol = rel * maxRef + atol;
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / tol);
  return worst;
}

function load(name: string): { cfg: Case; net: SegNet; x: tf.Tensor4D; dir: string } {
  const dir = join(root, name);
  const cfg = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as Case;
  const config: SegNetConfig = {
    backbone: 'resnet-narrow',
    backboneSpec: { block: cfg.block, layers: cfg.layers, widths: cfg.widths, stem: cfg.stem },
    numClasses: cfg.classes,
    bnPretrain: cfg.bn_pretrain,
    head: { width: cfg.width, gnGroups: cfg.groups, dilations: cfg.dilations },
  };
  const net = new SegNet(config, { seed: 1 });
  // Every PyTorch key exists here and vice versa.
  expect(net.graph.params.map((p) => p.name).sort()).toEqual([...cfg.keys].sort());
  const weights: NamedWeights = {};
  for (const spec of net.graph.params) {
    const t = npy(join(dir, 'params', `${spec.name}.npy`));
    expect(t.shape).toEqual(spec.torchShape);
    weights[spec.name] = { shape: spec.shape, data: fromTorchLayout(spec, t.data) };
  }
  net.setWeights(weights);
  const input = nchwToNhwc(npy(join(dir, 'input.npy')));
  return { cfg, net, x: tf.tensor4d(input.data, input.shape as [number, number, number, number]), dir };
}

describe.each(TEST_BACKENDS)('network parity with PyTorch on %s', (backend) => {
  it.each([
    ['basic', false],
    ['bottleneck', false],
    ['bottleneck', true],
  ] as const)('%s (checkpointed blocks: %s): eval forward, train-mode forward, BN running stats and gradients', async (name, checkpoint) => {
    await onBackend(backend, async () => {
      const { net, x, dir } = load(name);
      const before = tf.memory().numTensors;

      const evalOut = tf.tidy(() => {
        const o = net.apply(x, { training: false });
        return [o.feat, o.logits];
      });
      const [evalFeat, evalLogits] = await Promise.all(evalOut.map((t) => readData(t)));
      tf.dispose(evalOut);
      expect(parity(evalFeat, nchwToNhwc(npy(join(dir, 'eval_feat.npy'))).data)).toBeLessThanOrEqual(1);
      expect(parity(evalLogits, nchwToNhwc(npy(join(dir, 'eval_logits.npy'))).data)).toBeLessThanOrEqual(1);

      const rf = tf.tensor(nchwToNhwc(npy(join(dir, 'probe_feat.npy'))).data);
      const rl = tf.tensor(nchwToNhwc(npy(join(dir, 'probe_logits.npy'))).data);
      const vars = net.trainableVariables();
      // The train-mode outputs are kept out of the gradient's scope to be read after it (reads are async).
      let kept: tf.Tensor[] = [];
      const { value, grads: g } = tf.variableGrads(() => {
        const o = net.apply(x, { training: true, dropout: false, checkpoint });
        kept = [tf.keep(o.feat), tf.keep(o.logits)];
        return tf.add(tf.sum(tf.mul(tf.reshape(o.feat, [-1]), rf)), tf.sum(tf.mul(tf.reshape(o.logits, [-1]), rl))) as tf.Scalar;
      }, vars);
      const [feat, logits] = await Promise.all(kept.map((t) => readData(t)));
      expect(parity(feat, nchwToNhwc(npy(join(dir, 'train_feat.npy'))).data)).toBeLessThanOrEqual(1);
      expect(parity(logits, nchwToNhwc(npy(join(dir, 'train_logits.npy'))).data)).toBeLessThanOrEqual(1);
      const grads: Record<string, Float32Array> = {};
      for (const v of vars) grads[net.nameOf(v) as string] = await readData(g[v.name]);
      tf.dispose([value, ...kept, ...Object.values(g), rf, rl]);

      const weights = await net.getWeights();
      for (const spec of net.graph.params) {
        if (!spec.name.includes('running_')) continue;
        const want = npy(join(dir, 'train_stats', `${spec.name}.npy`)).data;
        expect(parity(weights[spec.name].data, want), spec.name).toBeLessThanOrEqual(1);
      }
      let worst = 0;
      let worstName = '';
      for (const spec of net.graph.params) {
        if (!spec.trainable) continue;
        const want = fromTorchLayout(spec, npy(join(dir, 'grads', `${spec.name}.npy`)).data);
        const r = parity(grads[spec.name], want, 1e-4, 1e-6);
        if (r > worst) [worst, worstName] = [r, spec.name];
      }
      // Gradients accumulate over many terms in a different order than PyTorch: 1e-4 relative.
      expect(worst, worstName).toBeLessThanOrEqual(1);

      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
      net.dispose();
    });
  }, 600_000);
});
