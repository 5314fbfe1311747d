import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { onBackend, randomArray } from '../ops/test-utils';
import { buildSegNetGraph, demoConfig } from './deeplab';
import { checkpointSegments } from './executor';
import { fromTorchLayout, inferShapes, paramSize, toTorchLayout } from './graph';
import { Discriminator, SegNet } from './net';

const r101 = JSON.parse(readFileSync(join(__dirname, '../../../fixtures/parity/nets/resnet101_keys.json'), 'utf8')) as {
  keys: Record<string, number[]>;
  output_sizes: Record<string, [number, number]>;
  num_parameters: number;
};

describe('DeepLabv2 ResNet-101 graph (no tensors)', () => {
  const graph = buildSegNetGraph({ backbone: 'resnet101', numClasses: 19, bnPretrain: true });

  it('has exactly the official state-dict keys and PyTorch shapes', () => {
    const ours = Object.fromEntries(graph.params.map((p) => [p.name, p.torchShape]));
    expect(ours).toEqual(r101.keys);
    const trainable = graph.params.filter((p) => p.trainable).reduce((a, p) => a + paramSize(p), 0);
    expect(trainable).toBe(r101.num_parameters);
  });

  it.each(Object.entries(r101.output_sizes))('input %s → PyTorch output size %j, feat 256-d', (size, want) => {
    const [h, w] = size.split('x').map(Number);
    const shapes = inferShapes(graph, [1, h, w, 3]);
    expect(shapes.get(graph.outputs.logits)).toEqual([1, want[0], want[1], 19]);
    expect(shapes.get(graph.outputs.feat)).toEqual([1, want[0], want[1], 256]);
  });

  it('puts conv1, bn1, layer1-4 in the 1× group and bn_pretrain + head in the 10× group', () => {
    const group = (n: string) => graph.params.find((p) => p.name === n)?.group;
    expect(group('conv1.weight')).toBe('backbone');
    expect(group('layer4.2.bn3.bias')).toBe('backbone');
    expect(group('bn_pretrain.weight')).toBe('head');
    expect(group('layer5.head.1.weight')).toBe('head');
    expect(graph.params.filter((p) => !p.trainable).every((p) => /running_(mean|var)$/.test(p.name))).toBe(true);
  });

  it('checkpoints each of the 33 residual blocks as one segment', () => {
    const segs = [...checkpointSegments(graph).values()];
    expect(segs.length).toBe(3 + 4 + 23 + 3);
    expect(segs[0]).toMatchObject({ input: 'maxpool', output: 'layer1.0.relu' });
    expect(segs[0].params).toContain('layer1.0.downsample.0.weight');
  });

  it('uses Caffe-style strides and the dilations of the official code', () => {
    const conv = (id: string) => graph.nodes.find((n) => n.id === id);
    expect(conv('layer2.0.conv1')).toMatchObject({ stride: 2, kernel: [1, 1] });
    expect(conv('layer2.0.conv2')).toMatchObject({ stride: 1, dilation: 1 });
    expect(conv('layer3.5.conv2')).toMatchObject({ dilation: 2, pad: 2 });
    expect(conv('layer4.0.conv2')).toMatchObject({ dilation: 4, pad: 4 });
    expect(conv('layer5.conv2d_list.4.0')).toMatchObject({ dilation: 24, pad: 24, bias: true });
    expect(conv('layer5.head.1')).toMatchObject({ bias: false, outChannels: 19 });
    expect(conv('maxpool')).toMatchObject({ ceilMode: true });
  });
});

describe('layout conversion', () => {
  it('toTorchLayout and fromTorchLayout are inverse and move the right elements', () => {
    const graph = buildSegNetGraph(demoConfig(3));
    for (const name of ['conv1.weight', 'layer5.bottleneck.0.se.0.weight', 'layer5.head.1.weight']) {
      const spec = graph.params.find((p) => p.name === name);
      if (!spec) throw new Error(name);
      const data = randomArray(paramSize(spec), 5);
      const torch = toTorchLayout(spec, data);
      expect(Array.from(fromTorchLayout(spec, torch))).toEqual(Array.from(data));
    }
    const conv = graph.params.find((p) => p.name === 'conv1.weight');
    if (!conv) throw new Error('conv1');
    // HWIO [kh, kw, ci, co] element (1, 2, 0, 3) is OIHW element (3, 0, 1, 2).
    const [kh, kw, ci, co] = conv.shape;
    const data = new Float32Array(paramSize(conv));
    data[((1 * kw + 2) * ci + 0) * co + 3] = 7;
    const torch = toTorchLayout(conv, data);
    expect(torch[((3 * ci + 0) * kh + 1) * kw + 2]).toBe(7);
  });
});

describe('demo SegNet and discriminator on wasm', () => {
  it('runs at 1/8, dropout is seeded, weights round-trip, and training steps leak nothing', async () => {
    await onBackend('wasm', async () => {
      const tensorsBefore = tf.memory().numTensors;
      const net = new SegNet(demoConfig(9), { seed: 3 });
      // One tensor per parameter/buffer: construction leaves nothing else behind.
      expect(tf.memory().numTensors - tensorsBefore).toBe(net.params.size);
      // PyTorch rounding (ceil_mode maxpool): 128×256 → 17×33, not 16×32.
      expect(net.outputSize(128, 256)).toEqual([17, 33]);
      const x = tf.tensor4d(randomArray(2 * 64 * 96 * 3, 1).map((v) => (v + 1) / 2), [2, 64, 96, 3]);
      const feat = (seed: number) => tf.tidy(() => net.apply(x, { training: true, dropoutSeed: seed, updateRunningStats: false }).feat.dataSync());
      const a = feat(1);
      expect(Array.from(feat(1))).toEqual(Array.from(a));
      expect(Array.from(feat(2))).not.toEqual(Array.from(a));
      const shapes = tf.tidy(() => {
        const o = net.apply(x, { training: false });
        return [o.feat.shape, o.logits.shape];
      });
      expect(shapes).toEqual([
        [2, 9, 13, 64],
        [2, 9, 13, 9],
      ]);

      const other = new SegNet(demoConfig(9), { seed: 4 });
      expect((await other.getWeights())['conv1.weight'].data).not.toEqual((await net.getWeights())['conv1.weight'].data);
      other.setWeights(await net.getWeights());
      const same = tf.tidy(() => [net, other].map((n) => n.apply(x, { training: false }).logits.dataSync()));
      expect(Array.from(same[1])).toEqual(Array.from(same[0]));
      expect(() => other.setWeights({ 'conv1.weight': { shape: [1], data: new Float32Array(1) } }, { strict: false })).toThrow(/conv1.weight: shape \[1\]/);
      expect(() => other.setWeights({})).toThrow(/missing/);

      const opt = tf.train.sgd(0.01);
      const vars = net.trainableVariables();
      const step = () =>
        opt.minimize(() => tf.mean(tf.square(net.apply(x, { training: true, dropoutSeed: 5 }).logits)) as tf.Scalar, false, vars);
      step();
      const before = tf.memory().numTensors;
      const rmBefore = (await net.getWeights())['bn1.running_mean'].data;
      for (let i = 0; i < 3; i++) step();
      expect(tf.memory().numTensors).toBe(before);
      expect((await net.getWeights())['bn1.running_mean'].data).not.toEqual(rmBefore);

      const d = new Discriminator(9, { seed: 1 });
      expect(d.graph.params.map((p) => p.name)).toEqual(
        ['conv1', 'conv2', 'conv3', 'conv4', 'classifier'].flatMap((n) => [`${n}.weight`, `${n}.bias`]),
      );
      const dOut = tf.tidy(() => d.apply(tf.softmax(net.apply(x, { training: false }).logits)).shape);
      expect(dOut).toEqual([2, 1, 1, 1]);
      x.dispose();
      opt.dispose();
      [net, other, d].forEach((n) => n.dispose());
    });
  });
});
