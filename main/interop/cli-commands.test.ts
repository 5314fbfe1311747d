import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runConfigSchema } from '../../shared/runs-config';
import { initBackend } from '../engine/backend';
import { SegNet, demoConfig } from '../engine/nets';
import { createRun } from '../artifacts/records';
import { writeModel } from '../artifacts/model';
import { exportCommand, exportLabelsCommand, importCommand } from './cli-commands';
import { torchFixtures } from './torch-fixtures';

const fx = torchFixtures();
const fxDir = 'dir' in fx ? fx.dir : null;
const ws = mkdtempSync(path.join(tmpdir(), 'interop-cli-'));
afterAll(() => rmSync(ws, { recursive: true, force: true }));

async function capture(f: () => Promise<number>): Promise<{ code: number; out: string }> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    out += String(s);
    return true;
  });
  try {
    return { code: await f(), out };
  } finally {
    spy.mockRestore();
  }
}

const ds = path.join(ws, 'target');
beforeAll(async () => {
  await initBackend('wasm');
  mkdirSync(path.join(ds, 'images'), { recursive: true });
  const px = new Uint8Array(40 * 24 * 3).map((_, k) => (k * 11) % 253);
  await sharp(px, { raw: { width: 40, height: 24, channels: 3 } }).png().toFile(path.join(ds, 'images', 'x.png'));
  const cfg = runConfigSchema.parse({ stage: 'warmup', network: { arch: 'demo', classes: 19 }, source: { root: ds, format: 'folder' } });
  await createRun(ws, cfg, 'r1');
  const net = new SegNet(demoConfig(19), { seed: 9 });
  await writeModel(path.join(ws, 'runs', 'r1'), await net.getWeights());
  net.dispose();
});

describe('proda export / export-labels / import', () => {
  it('export prints parity and writes the export; --json gives one object', async () => {
    const out = path.join(ws, 'exp');
    const r = await capture(() => exportCommand(['--run', 'r1', '--workspace', ws, '--formats', 'onnx,tfjs', '--images', '1', '--out', out, '--json']));
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.ok).toBe(true);
    expect(j.parity.passed).toBe(true);
    expect(existsSync(path.join(out, 'model.probs.onnx'))).toBe(true);
    expect(existsSync(path.join(out, 'weights.safetensors'))).toBe(false);
  }, 60_000);

  it('export refuses unknown formats as a usage error', async () => {
    await expect(exportCommand(['--run', 'r1', '--formats', 'onnx,caffe'])).rejects.toThrow(/--formats/);
  });

  it('export-labels writes the ProDA layout', async () => {
    const out = path.join(ws, 'labels');
    const r = await capture(() => exportLabelsCommand(['--run', 'r1', '--workspace', ws, '--data', ds, '--format', 'folder', '--layouts', 'proda', '--out', out]));
    expect(r.code).toBe(0);
    expect(existsSync(path.join(out, 'proda', 'x.png'))).toBe(true);
    expect(existsSync(path.join(out, 'proda', 'x_conf.npy'))).toBe(true);
  }, 60_000);

  it('export-labels --order eval --bn reestimate names both in export.json and takes no flip', async () => {
    const out = path.join(ws, 'labels-eval');
    const r = await capture(() =>
      exportLabelsCommand(['--run', 'r1', '--workspace', ws, '--data', ds, '--format', 'folder', '--layouts', 'proda', '--order', 'eval', '--bn', 'reestimate', '--out', out]),
    );
    expect(r.code).toBe(0);
    const meta = JSON.parse(readFileSync(path.join(out, 'export.json'), 'utf8'));
    expect(meta.source).toMatchObject({ kind: 'run', runId: 'r1', order: 'eval', bn: 'reestimate', flip: false, bnImages: 64 });
    await expect(exportLabelsCommand(['--run', 'r1', '--workspace', ws, '--data', ds, '--format', 'folder', '--order', 'logits'])).rejects.toThrow(/--order/);
    await expect(exportLabelsCommand(['--run', 'r1', '--workspace', ws, '--data', ds, '--format', 'folder', '--bn', 'both'])).rejects.toThrow(/--bn/);
  }, 60_000);

  it.skipIf(fxDir === null)('import --dry-run prints the key report and writes nothing', async () => {
    const r = await capture(() => importCommand([path.join(fxDir!, 'small_bnclr_dp.pkl'), '--arch', 'demo', '--bn-pretrain', '--dry-run', '--workspace', ws]));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/proda \(ResNet101\.model_state\), stripped 'module\.': \d+ matched, 0 missing, 0 unexpected, 0 shape-mismatched/);
    expect(existsSync(path.join(ws, 'imports'))).toBe(false);
  });

  it.skipIf(fxDir === null)('import finds bn_pretrain.* keys without --bn-pretrain and builds the bn_clr network, dropping nothing', async () => {
    const r = await capture(() => importCommand([path.join(fxDir!, 'small_bnclr_dp.pkl'), '--arch', 'demo', '--dry-run', '--workspace', ws]));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/bn_pretrain\.\* keys found: network built with the bn_clr BatchNorm \(as with --bn-pretrain\); \d+ matched, 0 missing, 0 unexpected/);
    // Without the keys, nothing is said and no bn_pretrain layer is built.
    const plain = await capture(() => importCommand([path.join(fxDir!, 'small_official.pkl'), '--arch', 'demo', '--dry-run', '--workspace', ws]));
    expect(plain.out).not.toMatch(/bn_pretrain/);
    expect(plain.out).toMatch(/0 missing, 0 unexpected/);
  });

  it.skipIf(fxDir === null)('import refuses the malicious pickle as invalid input', async () => {
    await expect(importCommand([path.join(fxDir!, 'malicious.pkl'), '--arch', 'demo', '--dry-run'])).rejects.toMatchObject({ code: 'bad-input' });
  });
});
