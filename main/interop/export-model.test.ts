// End to end: a PyTorch checkpoint imported into a demo-network run, exported as ONNX / TF.js /
// safetensors, with the parity check against the engine; the files are checked by independent readers.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runConfigSchema } from '../../shared/runs-config';
import { initBackend } from '../engine/backend';
import { SegNet, demoConfig } from '../engine/nets';
import { createRun } from '../artifacts/records';
import { writeModel } from '../artifacts/model';
import { exportModel, ParityError, type ParityImage } from './export-model';
import { mapCheckpoint } from './import-weights';
import { loadRunModel } from '../artifacts/run-model';
import { exportInfo } from './export-info';
import { decodeSafetensors } from '../artifacts/safetensors';
import { collectTensors, readTorchFile, toFloat32 } from './torch-checkpoint';
import { MAKE_CHECKPOINTS, pythonHas, runPython, smallSpec, torchFixtures } from './torch-fixtures';

const fx = torchFixtures();
const skip = 'skip' in fx ? fx.skip : null;
if (skip) console.warn(`export tests skipped: ${skip}`);
const dir = 'dir' in fx ? fx.dir : '';
const ws = mkdtempSync(path.join(os.tmpdir(), 'export-ws-'));
afterAll(() => rmSync(ws, { recursive: true, force: true }));

/** Smooth synthetic "street" images: gradients plus stripes, so class maps have real boundaries. */
function image(id: string, width: number, height: number, seed: number): ParityImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      data[o] = (x * 255) / width;
      data[o + 1] = (y * 255) / height;
      data[o + 2] = ((Math.floor((x + seed * 7) / 9) + Math.floor(y / 11)) % 2) * 200 + 30;
    }
  return { id, width, height, data };
}

let runId = '';

describe.skipIf(skip !== null)('model export from a run', () => {
  beforeAll(async () => {
    await initBackend('wasm');
    // A demo-network run whose student holds PyTorch-trained-style weights (O(1) logits).
    const cfg = runConfigSchema.parse({ stage: 'warmup', network: { arch: 'demo', classes: 19 }, source: { root: path.join(ws, 'src'), format: 'demo' } });
    runId = await createRun(ws, cfg, 'demo-export-run');
    const net = new SegNet(demoConfig(19));
    const imp = mapCheckpoint(await readTorchFile(path.join(dir, 'small_official.pkl')), net.graph, { source: 'small_official.pkl', strict: true });
    const w = await net.getWeights();
    for (const [k, v] of imp.params) w[k] = { shape: w[k].shape, data: v };
    net.setWeights(w);
    await writeModel(path.join(ws, 'runs', runId), await net.getWeights());
    net.dispose();
  });

  it('exports ONNX (2 variants), TF.js, safetensors and an official checkpoint that agree with the engine, leaking no tensors', async () => {
    const model = await loadRunModel(ws, runId);
    const info = await exportInfo(model);
    expect(info.runId).toBe(runId);
    const outDir = path.join(ws, 'exports', 'e1');
    const steps: string[] = [];
    const tensorsBefore = tf.memory().numTensors;
    const t0 = Date.now();
    const r = await exportModel({
      outDir,
      network: model.network,
      weights: model.weights,
      formats: ['onnx', 'tfjs', 'safetensors', 'pytorch'],
      info,
      parityImages: [image('a', 96, 64, 1), image('b', 83, 57, 2), image('c', 128, 65, 3)],
      onProgress: (s) => steps.push(s),
    });
    const p = r.parity;
    console.log(
      `export parity (${p.backend}, ${p.images} images, ${((Date.now() - t0) / 1000).toFixed(1)} s): ONNX max |Δlogit| ${p.onnx?.maxAbsLogitDiff.toExponential(2)}, ` +
        `agreement ${p.onnx?.argmaxAgreement}; TF.js max |Δlogit| ${p.tfjs?.maxAbsLogitDiff.toExponential(2)}, agreement ${p.tfjs?.argmaxAgreement}`,
    );
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(p.passed).toBe(true);
    expect(p.onnx!.argmaxAgreement).toBeGreaterThanOrEqual(0.999);
    expect(p.tfjs!.argmaxAgreement).toBeGreaterThanOrEqual(0.999);
    expect(p.onnx!.maxAbsLogitDiff).toBeLessThan(1e-4);
    expect(p.tfjs!.maxAbsLogitDiff).toBeLessThan(1e-4);
    expect(p.onnx!.probsSumError).toBeLessThan(1e-5);
    // read back into the engine, the safetensors weights give the very same logits, and so does the
    // official .pkl read back through the checkpoint importer
    expect(p.safetensors!.maxAbsLogitDiff).toBe(0);
    expect(p.pytorch!.maxAbsLogitDiff).toBe(0);
    expect(p.pytorch!.perImage).toHaveLength(3);
    expect(steps).toContain('done');
    expect(existsSync(`${outDir}.partial`)).toBe(false);
    for (const f of ['model.probs.onnx', 'model.argmax.onnx', 'tfjs/model.json', 'tfjs/sidecar.json', 'weights.safetensors', 'parity.json', 'sidecar.json']) {
      expect(existsSync(path.join(outDir, f)), f).toBe(true);
    }
    const side = JSON.parse(readFileSync(path.join(outDir, 'model.argmax.onnx.json'), 'utf8'));
    expect(side).toMatchObject({ classCountMode: '19', numClasses: 19, runId, backbone: 'resnet-narrow', input: { scale: 1 / 255, mean: [0, 0, 0] } });
    expect(side.classes).toHaveLength(19);
    expect(side.palette[0]).toEqual([128, 64, 128]);
    expect(JSON.parse(readFileSync(path.join(outDir, 'parity.json'), 'utf8')).passed).toBe(true);

    // safetensors holds the PyTorch state dict exactly (names and OIHW layout)
    const st = decodeSafetensors(new Uint8Array(readFileSync(path.join(outDir, 'weights.safetensors'))));
    const torchState = (await readTorchFile(path.join(dir, 'small_official.pkl'))) as Map<string, Map<string, Map<string, { shape: number[]; data: Float32Array }>>>;
    const sd = torchState.get('ResNet101')!.get('model_state')!;
    const w = st.tensors.get('layer5.conv2d_list.2.0.weight')!;
    expect(w.shape).toEqual(sd.get('layer5.conv2d_list.2.0.weight')!.shape);
    expect(Array.from(w.data as Float32Array)).toEqual(Array.from(sd.get('layer5.conv2d_list.2.0.weight')!.data));

    // the official-format checkpoint reads back with our own (allow-listed) reader
    const back = (await readTorchFile(path.join(outDir, 'proda_checkpoint.pkl'))) as Map<string, unknown>;
    expect([...back.keys()]).toEqual(['ResNet101', 'iter', 'best_iou']);
    const ms = collectTensors(back);
    expect(Array.from(toFloat32(ms.get('ResNet101.model_state.layer5.head.1.weight')!))).toEqual(Array.from(sd.get('layer5.head.1.weight')!.data));
  }, 120_000);

  it('a PyTorch-only export is compared too: the .pkl read back through the importer, not "passed" on nothing', async () => {
    const model = await loadRunModel(ws, runId);
    const outDir = path.join(ws, 'exports', 'pt-only');
    const r = await exportModel({ outDir, network: model.network, weights: model.weights, formats: ['pytorch'], info: await exportInfo(model), parityImages: [image('a', 40, 24, 4)] });
    expect(r.parity).toMatchObject({ onnx: null, tfjs: null, safetensors: null, passed: true });
    expect(r.parity.pytorch!.perImage.map((e) => e.id)).toEqual(['a']);
    expect(r.parity.pytorch!.argmaxAgreement).toBe(1);
    const side = JSON.parse(readFileSync(path.join(outDir, 'proda_checkpoint.pkl.json'), 'utf8'));
    expect(side.artifact.usage).toBe('official ProDA: --resume_path proda_checkpoint.pkl');
  }, 60_000);

  it('independent readers accept the files: PyTorch loads the safetensors and the official-format checkpoint (strict) and reproduces its logits; the onnx checker passes both models (opset 17)', () => {
    const outDir = path.join(ws, 'exports', 'e1');
    // One Python process for both checks: importing torch is the slow part.
    const py = [
      'import json, struct, sys, numpy as np, torch',
      'sys.path.insert(0, sys.argv[1]); import make_checkpoints as mc',
      'spec = json.loads(sys.argv[3])',
      'net = mc.ResNet101(spec["layers"], spec["classes"], widths=spec["widths"], stem=spec["stem"], block=spec["block"], head=spec["head"])',
      'b = open(sys.argv[2], "rb").read(); n = struct.unpack("<Q", b[:8])[0]; h = json.loads(b[8:8 + n]); d = b[8 + n:]',
      'sd = {k: torch.from_numpy(np.frombuffer(d[v["data_offsets"][0]:v["data_offsets"][1]], "<f4").reshape(v["shape"]).copy()) for k, v in h.items() if k != "__metadata__" and k != "objective_vectors"}',
      'r = net.load_state_dict(sd, strict=False)',
      'assert not r.unexpected_keys and all(k.endswith("num_batches_tracked") for k in r.missing_keys), r',
      'x = torch.from_numpy(np.fromfile(sys.argv[4], "<f4").reshape(1, 3, 33, 41))',
      'out, _ = mc.forward_eval(net, x)',
      'res = {"maxdiff": float(np.abs(out.numpy().ravel() - np.fromfile(sys.argv[5], "<f4")).max())}',
      'ck = torch.load(sys.argv[8])',
      'assert sorted(ck) == ["ResNet101", "best_iou", "iter"], sorted(ck)',
      'net2 = mc.ResNet101(spec["layers"], spec["classes"], widths=spec["widths"], stem=spec["stem"], block=spec["block"], head=spec["head"])',
      'net2.load_state_dict(ck["ResNet101"]["model_state"])  # strict, as the official code loads it',
      'out2, _ = mc.forward_eval(net2, x)',
      'res["official"] = float(np.abs(out2.numpy().ravel() - np.fromfile(sys.argv[5], "<f4")).max())',
      'try:',
      '    import onnx',
      'except ImportError:',
      '    res["onnx"] = "not installed"',
      'else:',
      '    for f in sys.argv[6:8]:',
      '        m = onnx.load(f); onnx.checker.check_model(m, full_check=True)',
      '        assert m.opset_import[0].version == 17, m.opset_import',
      '    res["onnx"] = "ok"',
      'print(json.dumps(res))',
    ].join('\n');
    const r = runPython([
      '-c',
      py,
      path.dirname(MAKE_CHECKPOINTS),
      path.join(outDir, 'weights.safetensors'),
      JSON.stringify(smallSpec()),
      path.join(dir, 'small_official.input.bin'),
      path.join(dir, 'small_official.logits.bin'),
      path.join(outDir, 'model.probs.onnx'),
      path.join(outDir, 'model.argmax.onnx'),
      path.join(outDir, 'proda_checkpoint.pkl'),
    ]);
    expect(r.stderr.trim()).toBe('');
    const res = JSON.parse(r.stdout) as { maxdiff: number; official: number; onnx: string };
    expect(res.maxdiff).toBeLessThan(1e-6);
    expect(res.official).toBeLessThan(1e-6);
    if (res.onnx !== 'ok') console.warn(`onnx checker skipped: python3-onnx ${res.onnx}`);
    expect(res.onnx === 'ok' || !pythonHas('onnx')).toBe(true);
  });

  it('refuses to report success when parity fails, and leaves no finished-looking export', async () => {
    const model = await loadRunModel(ws, runId);
    const outDir = path.join(ws, 'exports', 'e2');
    const err = await exportModel({ outDir, network: model.network, weights: model.weights, formats: ['onnx'], info: await exportInfo(model), parityImages: [image('a', 40, 40, 1)], minAgreement: 1.01 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ParityError);
    expect(existsSync(outDir)).toBe(false);
    // The staging folder stays for inspection, beside the target and hidden from export listings.
    const parityFile = /see (\S+parity\.json)$/.exec((err as Error).message)?.[1] ?? '';
    expect(path.dirname(path.dirname(parityFile))).toBe(path.dirname(outDir));
    expect(path.basename(path.dirname(parityFile))).toMatch(/^\.e2\.tmp-/);
    expect(JSON.parse(readFileSync(parityFile, 'utf8')).passed).toBe(false);
  }, 60_000);
});
