import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../engine/backend';
import { buildSegNetGraph, demoConfig } from '../engine/nets/deeplab';
import type { NetGraph } from '../engine/nets/graph';
import { SegNet, type NamedWeights } from '../engine/nets/net';
import { mapCheckpoint } from './import-weights';
import { buildOnnxModel } from '../engine/nets/onnx-export';
import { readTorchFile } from './torch-checkpoint';
import { readF32, torchFixtures } from './torch-fixtures';

const fx = torchFixtures();
const skip = 'skip' in fx ? fx.skip : null;
if (skip) console.warn(`checkpoint import tests skipped: ${skip}`);
const dir = 'dir' in fx ? fx.dir : '';
const manifest = (): { files: Record<string, { input: number[]; logits: number[] }> } => JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));

const toNamed = (graph: NetGraph, params: Map<string, Float32Array>): NamedWeights =>
  Object.fromEntries(graph.params.filter((p) => params.has(p.name)).map((p) => [p.name, { shape: p.shape, data: params.get(p.name)! }]));

function nchwToNhwc(d: Float32Array, [n, c, h, w]: number[]): Float32Array {
  const out = new Float32Array(d.length);
  for (let b = 0; b < n; b++) for (let k = 0; k < c; k++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[((b * h + y) * w + x) * c + k] = d[((b * c + k) * h + y) * w + x];
  return out;
}
function nhwcToNchw(d: Float32Array, [n, h, w, c]: number[]): Float32Array {
  const out = new Float32Array(d.length);
  for (let b = 0; b < n; b++) for (let k = 0; k < c; k++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[((b * c + k) * h + y) * w + x] = d[((b * h + y) * w + x) * c + k];
  return out;
}

/** max |a-b| / max |b|: the relative error the acceptance line asks for (1e-4). */
function relErr(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return d / m;
}

async function ortLogits(model: Uint8Array, input: Float32Array, shape: number[]): Promise<Float32Array> {
  const sess = await ort.InferenceSession.create(model, { intraOpNumThreads: 2, interOpNumThreads: 1 });
  try {
    const r = await sess.run({ image: new ort.Tensor('float32', input, shape) });
    return r.logits.data as Float32Array;
  } finally {
    await sess.release();
  }
}

describe.skipIf(skip !== null)('importing PyTorch checkpoints', () => {
  it('maps an official ProDA DeepLabv2-R101 checkpoint with every key matched; its logits equal PyTorch', async () => {
    const graph = buildSegNetGraph({ backbone: 'resnet101', numClasses: 19 });
    const imp = mapCheckpoint(await readTorchFile(path.join(dir, 'proda_r101.pkl')), graph, { source: 'proda_r101.pkl', strict: true });
    const r = imp.report;
    expect(r.kind).toBe('proda');
    expect(r.path).toBe('ResNet101.model_state');
    expect(r.matched.length).toBe(graph.params.length);
    expect(r.ignored.every((k) => k.endsWith('num_batches_tracked'))).toBe(true);
    expect([r.iteration, r.bestIou]).toEqual([4000, 0.4321]);
    expect(imp.prototypes?.classes).toBe(19);
    expect(imp.prototypes?.dim).toBe(256);
    const m = manifest().files.proda_r101;
    const got = await ortLogits(buildOnnxModel(graph, imp.params, { variant: 'argmax' }), readF32(path.join(dir, 'proda_r101.input.bin')), m.input);
    const want = readF32(path.join(dir, 'proda_r101.logits.bin'));
    const err = relErr(got, want);
    // The engine itself (tfjs, NHWC) with the imported weights.
    await initBackend('wasm');
    const net = new SegNet({ backbone: 'resnet101', numClasses: 19 }, { weights: toNamed(graph, imp.params) });
    const t0 = Date.now();
    const engine = tf.tidy(() => {
      const x = tf.tensor4d(nchwToNhwc(readF32(path.join(dir, 'proda_r101.input.bin')), m.input), [1, m.input[2], m.input[3], 3]);
      const l = net.apply(x, { training: false }).logits;
      return nhwcToNchw(l.dataSync() as Float32Array, l.shape);
    });
    const ms = Date.now() - t0;
    net.dispose();
    const engineErr = relErr(engine, want);
    console.log(`R101 65×65 logits vs PyTorch, max rel err: engine (${tf.getBackend()}, ${ms} ms) ${engineErr.toExponential(2)}, ONNX runtime ${err.toExponential(2)}`);
    expect(engineErr).toBeLessThan(1e-4);
    expect(err).toBeLessThan(1e-4);
  }, 180_000);

  it.each([
    ['small_official.pkl', false, 'proda', null],
    ['small_bnclr_dp.pkl', true, 'proda', 'module.'],
    ['small_state_dict.pth', false, 'wrapped-state-dict', null],
    ['small_legacy.pkl', false, 'proda', null],
  ] as const)('maps %s (bn_pretrain %s) and reproduces its logits', async (file, bnPretrain, kind, prefix) => {
    const graph = buildSegNetGraph({ ...demoConfig(19), bnPretrain });
    const imp = mapCheckpoint(await readTorchFile(path.join(dir, file)), graph, { source: file, strict: true });
    expect(imp.report.kind).toBe(kind);
    expect(imp.report.strippedPrefix).toBe(prefix);
    expect(imp.report.matched).toContain('layer5.head.1.weight');
    expect(imp.report.matched.includes('bn_pretrain.running_var')).toBe(bnPretrain);
    const stem = file === 'small_legacy.pkl' ? 'small_official' : file.replace(/\.\w+$/, '');
    const got = await ortLogits(buildOnnxModel(graph, imp.params, { variant: 'probs' }), readF32(path.join(dir, `${stem}.input.bin`)), manifest().files[stem].input);
    expect(relErr(got, readF32(path.join(dir, `${stem}.logits.bin`)))).toBeLessThan(1e-4);
  });

  it('reports what does not fit instead of guessing: missing bn_pretrain, wrong class count', async () => {
    const obj = await readTorchFile(path.join(dir, 'small_bnclr_dp.pkl'));
    const graph16 = buildSegNetGraph(demoConfig(16));
    const imp = mapCheckpoint(obj, graph16, { source: 'x' });
    expect(imp.report.unexpected).toEqual(expect.arrayContaining(['bn_pretrain.weight', 'bn_pretrain.running_mean']));
    expect(imp.report.shapeMismatched).toEqual([{ name: 'layer5.head.1.weight', expected: [16, 64, 1, 1], found: [19, 64, 1, 1] }]);
    expect(imp.params.has('layer5.head.1.weight')).toBe(false);
    expect(() => mapCheckpoint(obj, graph16, { source: 'x.pkl', strict: true })).toThrow(/x\.pkl: checkpoint does not fit .*1 shape-mismatched/);
  });

  it('names the likely network when a checkpoint does not fit at all', async () => {
    const obj = await readTorchFile(path.join(dir, 'torchvision_r101.pth'));
    expect(() => mapCheckpoint(obj, buildSegNetGraph(demoConfig(19)), { source: 'tv.pth' })).toThrow(/tv\.pth: no parameter of .* the file looks like a resnet101 network/);
  });

  it('loads a torchvision ResNet-101 state dict as backbone only (fc ignored, head missing)', async () => {
    const graph = buildSegNetGraph({ backbone: 'resnet101', numClasses: 19 });
    const imp = mapCheckpoint(await readTorchFile(path.join(dir, 'torchvision_r101.pth')), graph, { source: 'tv' });
    const r = imp.report;
    expect(r.kind).toBe('state-dict');
    expect(r.unexpected).toEqual([]);
    expect(r.ignored).toEqual(expect.arrayContaining(['fc.weight', 'fc.bias']));
    expect(r.missing.length).toBeGreaterThan(0);
    expect(r.missing.every((k) => k.startsWith('layer5.'))).toBe(true);
    expect(r.matched.length + r.missing.length).toBe(graph.params.length);
  }, 60_000);

  it('reads the prototype file calc_prototype.py writes', async () => {
    const imp = mapCheckpoint(await readTorchFile(path.join(dir, 'prototypes_on_cityscapes_from_deeplabv2')), buildSegNetGraph({ backbone: 'resnet101', numClasses: 19 }), { source: 'p' });
    expect(imp.report.kind).toBe('prototypes');
    expect(imp.prototypes?.data).toEqual(readF32(path.join(dir, 'prototypes.bin')));
  });
});
