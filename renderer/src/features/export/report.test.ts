import { describe, expect, it } from 'vitest';
import type { ImportReportData, ParityReportData } from '../../../../shared/contract/export';
import { importFacts, keyGroups, parityRows, paritySummary, pathFromDrop, progressFraction, relativeTo } from './report';

const entry = (id: string, diff: number, agree: number) => ({ id, width: 64, height: 32, maxAbsLogitDiff: diff, argmaxAgreement: agree });
const parity: ParityReportData = {
  images: 2,
  maxAbsLogitDiff: 3.2e-5,
  argmaxAgreement: 0.9995,
  minAgreement: 0.999,
  passed: true,
  onnx: { maxAbsLogitDiff: 3.2e-5, argmaxAgreement: 0.9995, probsSumError: 1e-7, perImage: [entry('a', 3.2e-5, 0.9995), entry('b', 1e-6, 1)] },
  tfjs: null,
  safetensors: { maxAbsLogitDiff: 0, argmaxAgreement: 1, perImage: [entry('a', 0, 1)] },
  pytorch: { maxAbsLogitDiff: 0, argmaxAgreement: 1, perImage: [entry('b', 0, 1)] },
  backend: 'wasm',
  seconds: 4.25,
};

describe('parity report', () => {
  it('lists every format and image, skipping formats not exported', () => {
    const rows = parityRows(parity);
    expect(rows.map((r) => `${r.format}/${r.image}`)).toEqual(['onnx/a', 'onnx/b', 'safetensors/a', 'pytorch/b']);
    expect(rows[0]).toMatchObject({ size: '64×32', maxAbsLogitDiff: '3.20e-5', agreement: '99.950 %' });
    expect(rows[2].maxAbsLogitDiff).toBe('0');
  });
  it('summarises the verdict with the worst figures', () => {
    expect(paritySummary(parity)).toBe('parity passed: 2 images, max |Δlogit| 3.20e-5, argmax agreement 99.950 % (needs ≥ 99.9 %), wasm, 4.3 s');
    expect(paritySummary({ ...parity, passed: false, images: 1 })).toMatch(/^parity FAILED: 1 image,/);
  });
});

describe('import report', () => {
  const report: ImportReportData = {
    source: 'ck.pkl',
    kind: 'proda',
    path: '/w/ck.pkl',
    strippedPrefix: 'module.',
    matched: ['conv1.weight', 'bn1.weight'],
    missing: ['layer5.conv2d_list.0.bias'],
    unexpected: [],
    ignored: ['optimizer'],
    shapeMismatched: [{ name: 'cls.weight', expected: [19, 2048, 3, 3], found: [16, 2048, 3, 3] }],
    iteration: 4000,
    bestIou: 0.4567,
    prototypes: { classes: 19, dim: 256 },
  };
  it('groups keys, describing shape mismatches', () => {
    const g = keyGroups(report);
    expect(g.map((x) => [x.kind, x.keys.length])).toEqual([
      ['matched', 2],
      ['missing', 1],
      ['unexpected', 0],
      ['shape-mismatched', 1],
      ['ignored', 1],
    ]);
    expect(g[3].keys[0]).toBe('cls.weight: [19, 2048, 3, 3] → [16, 2048, 3, 3]');
  });
  it('shows iteration and best IoU (a fraction as percent, official percent values as they are)', () => {
    const f = Object.fromEntries(importFacts(report));
    expect(f).toMatchObject({ iteration: '4000', 'best IoU': '45.67 %', prototypes: '19 × 256', 'prefix stripped': 'module.' });
    expect(Object.fromEntries(importFacts({ ...report, bestIou: 45.67, iteration: null }))).toMatchObject({ 'best IoU': '45.67', iteration: '—' });
  });
});

describe('progress and drops', () => {
  it('clamps progress and treats an unknown total as zero', () => {
    const p = { jobId: 'j', step: 'onnx', message: '' };
    expect(progressFraction({ ...p, done: 1, total: 2 })).toBe(0.5);
    expect(progressFraction({ ...p, done: 3, total: 2 })).toBe(1);
    expect(progressFraction({ ...p, done: 0, total: 0 })).toBe(0);
    expect(progressFraction(null)).toBe(0);
  });
  it('takes a local path from a file:// URI or a dragged path string, nothing else', () => {
    expect(pathFromDrop({ uriList: '# comment\r\nfile:///home/u/my%20ck.pkl\r\n', text: '' })).toBe('/home/u/my ck.pkl');
    expect(pathFromDrop({ uriList: 'file://localhost/tmp/a.pth', text: '' })).toBe('/tmp/a.pth');
    expect(pathFromDrop({ uriList: 'file:///C:/w/a.pth', text: '' })).toBe('C:/w/a.pth');
    expect(pathFromDrop({ uriList: 'file://server/share/a.pth', text: '' })).toBeNull();
    expect(pathFromDrop({ uriList: 'https://x/a.pth', text: '' })).toBeNull();
    expect(pathFromDrop({ uriList: '', text: ' /w/exports/x/proda_checkpoint.pkl ' })).toBe('/w/exports/x/proda_checkpoint.pkl');
    expect(pathFromDrop({ uriList: '', text: 'C:\\w\\a.pth' })).toBe('C:\\w\\a.pth');
    expect(pathFromDrop({ uriList: '', text: 'a.pth' })).toBeNull();
    expect(pathFromDrop({ uriList: '', text: '/a\n/b' })).toBeNull();
  });
  it('shows files relative to the export folder', () => {
    expect(relativeTo('/w/exports/e1', '/w/exports/e1/tfjs/model.json')).toBe('tfjs/model.json');
    expect(relativeTo('/w/exports/e1/', '/w/exports/e1/model.onnx')).toBe('model.onnx');
    expect(relativeTo('/w/exports/e1', '/w/exports/e10/model.onnx')).toBe('/w/exports/e10/model.onnx');
  });
});
