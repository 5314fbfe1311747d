// The training steps on every backend: no kernel they run sees a tensor of rank > 4 (tfjs-webgpu 4.22
// cannot compile rank-5/6 pads and similar kernels, and Dawn then silently yields zeros), and the demo
// net trained 20 steps on webgpu tracks the same 20 steps on cpu.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { STRONG_ALIGN_DEFAULTS } from '../aug/align';
import { Rng } from '../aug/rng';
import { sampleStrongOps } from '../aug/strong';
import { sampleWeakParams } from '../aug/weak';
import { initBackend } from '../backend';
import { Discriminator, SegNet, demoConfig } from '../nets';
import type { SegNetConfig } from '../nets';
import { TEST_BACKENDS, relErr } from '../ops/test-utils';
import { Adam } from '../optim/adam';
import { lrScaleFor, polyLr } from '../optim/schedule';
import { Sgd } from '../optim/sgd';
import { resizeBilinearAligned } from '../ops';
import { crossEntropy } from '../proda/losses';
import { takeNumber } from '../read';
import { disposeGrads, lossAndGrads } from './grads';
import { createPrototypes } from '../proda/prototypes';
import { PRODA_DEFAULTS } from './config';
import { distillStep } from './distill';
import { selfTrainStep } from './selftrain';
import { stage1Step } from './stage1';
import { warmupStep } from './warmup';

const C = 4;
const STEPS = Number(process.env.PRODA_TEST_GPU_STEPS ?? 20);
const tiny: SegNetConfig = {
  backbone: 'resnet-narrow',
  backboneSpec: { block: 'basic', layers: [1, 1, 1, 1], widths: [4, 4, 8, 8], stem: 4 },
  numClasses: C,
  head: { width: 8, gnGroups: 2, dilations: [1, 2, 3, 4] },
};

function inputs(seed: number, h = 32, w = 48) {
  const rng = new Rng(seed);
  const u = (shape: [number, number, number, number]) => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => rng.random()), shape) as tf.Tensor4D;
  const labels = tf.tensor(
    Int32Array.from({ length: 2 * h * w }, () => (rng.random() < 0.1 ? 250 : rng.randint(0, C - 1))),
    [2, h, w],
    'int32',
  ) as tf.Tensor3D;
  return { rng, u, labels, source: u([2, h, w, 3]), target: u([2, h, w, 3]) };
}

describe('training steps on every backend', () => {
  it('no kernel of a warm-up, stage-1, distillation or self-training step sees a tensor of rank > 4 (cpu)', async () => {
    await initBackend('cpu');
    const { rng, u, labels, source, target } = inputs(1);
    const student = new SegNet(tiny, { seed: 3 });
    const other = new SegNet(tiny, { seed: 4 });
    const D = new Discriminator(C, { seed: 4, planes: 4 });
    const base = { iteration: 0, polyHorizon: 10, polyPower: 0.9, lr: 0.01, seed: 1, dropout: true };
    const weakParams = [0, 1].map(() => sampleWeakParams(rng, 96, 48, { resize: 96, cropWidth: 48, cropHeight: 32 }));
    const strongOps = [0, 1].map(() => sampleStrongOps(rng, 48, 32));
    const soft = tf.tidy(() => tf.softmax(tf.mul(u([2, 8, 12, C]), 4), -1)) as tf.Tensor4D;
    const full = u([2, 48, 96, 3]);
    const pseudo = tf.tidy(() => tf.argMax(tf.image.resizeBilinear(soft, [32, 48]), -1).toInt()) as tf.Tensor3D;
    const steps: Record<string, () => Promise<unknown>> = {
      warmup: () =>
        warmupStep({ net: student, discriminator: D, optimizer: new Sgd(), optimizerD: new Adam() }, { source, sourceLabels: labels, target }, { ...base, discriminatorLr: 1e-3, adversarialWeight: 0.01, freezeBn: false }),
      stage1: () =>
        stage1Step(
          { student, ema: other, prototypes: createPrototypes(C, 8), optimizer: new Sgd() },
          { source, sourceLabels: labels, targetWeak: target, targetStrong: target, targetFull: full, softPseudo: soft, weakParams, strongOps },
          { ...PRODA_DEFAULTS.stage1, ...base, protoMomentum: 0.05, emaDecay: 0.9, align: STRONG_ALIGN_DEFAULTS },
        ),
      distill: () =>
        distillStep(
          { student, teacher: other, optimizer: new Sgd() },
          { source, sourceLabels: labels, targetStrong: target, pseudoLabels: pseudo, strongOps },
          { ...base, weight: 1, kdStudent: 'log_softmax', align: STRONG_ALIGN_DEFAULTS },
        ),
      selftrain: () => selfTrainStep({ student, labeller: other, optimizer: new Sgd() }, { source, sourceLabels: labels, target }, { ...base, threshold: 0.3, lrGroups: 'flat' }),
    };
    for (const [name, step] of Object.entries(steps)) {
      const info = await tf.profile(async () => {
        await step();
        return [];
      });
      expect(info.kernels.length, name).toBeGreaterThan(50);
      const over = info.kernels.filter((k) => [...k.inputShapes, ...k.outputShapes].some((s) => (s?.length ?? 0) > 4));
      expect(over.map((k) => `${k.name} [${k.inputShapes.map((s) => s?.join('x')).join(', ')}]`), name).toEqual([]);
    }
    tf.dispose([labels, source, target, soft, full, pseudo]);
    for (const n of [student, other, D]) n.dispose();
  });

  it.runIf(TEST_BACKENDS.includes('webgpu'))(
    'the demo net trained 20 steps on webgpu matches the same 20 steps on cpu (losses and weights)',
    async () => {
      const run = async (backend: 'cpu' | 'webgpu') => {
        await initBackend(backend);
        const net = new SegNet(demoConfig(C), { seed: 7 });
        const optimizer = new Sgd();
        const losses: number[] = [];
        for (let it = 0; it < STEPS; it++) {
          const { labels, source } = inputs(100 + it, 24, 32);
          const lr = polyLr(0.01, it, STEPS, 0.9);
          // The warm-up's source-only step: forward, cross-entropy, backward, SGD with the 1×/10× groups.
          const g = lossAndGrads(net, () => crossEntropy(resizeBilinearAligned(net.apply(source, { training: true, dropout: false }).logits, [24, 32]), labels));
          optimizer.step(net.params, g.grads, (name) => lr * lrScaleFor('warmup', name));
          disposeGrads(g.grads);
          losses.push(await takeNumber(g.value));
          tf.dispose([labels, source]);
        }
        const weights = await net.getWeights();
        net.dispose();
        optimizer.dispose();
        return { losses, weights };
      };
      const cpu = await run('cpu');
      const gpu = await run('webgpu');
      await initBackend('cpu');
      // Float32 sums in a different order: after 3 steps the worst parameter differs by 5e-6 relative
      // and the losses agree to 7 digits; a wrong kernel (a zeroed gradient) is off by O(1).
      const errs = Object.keys(cpu.weights).map((k) => [k, relErr(gpu.weights[k].data, cpu.weights[k].data)] as const).sort((a, b) => b[1] - a[1]);
      expect(relErr(gpu.losses, cpu.losses), `webgpu ${gpu.losses.join(' ')} vs cpu ${cpu.losses.join(' ')}`).toBeLessThan(1e-4);
      expect(errs[0][1], errs[0][0]).toBeLessThan(1e-3);
      // The steps did move the net (random labels: the loss need not fall), so this is not init vs init.
      expect(cpu.losses[STEPS - 1]).not.toBeCloseTo(cpu.losses[0], 3);
    },
    600_000,
  );
});
