// Hostile probe: the process saving annotations is killed with SIGKILL, inside a snapshot write and at a
// random moment. Every acknowledged step must come back; every file present must be whole.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDoc, performStep } from '../../shared/annotation/editor';
import { isTempFile } from '../io/atomic';
import { crashStep } from './crash-steps';
import { decodeIndexPng } from './label-png';
import { LabelStore } from './store';

const fresh = () => mkdtempSync(path.join(tmpdir(), 'labels-kill-'));

describe('kill -9 of the process saving annotations', () => {
  const runChild = (root: string, side: number, killAfter?: number) => {
    const args = ['--import', 'tsx', path.resolve('main/labels/crash-child.ts'), root, String(side)];
    const child = spawn(process.execPath, killAfter === undefined ? args : [...args, String(killAfter)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let acked = 0;
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    return new Promise<{ acked: number; signal: NodeJS.Signals | null }>((resolve, reject) => {
      let buf = '';
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        const m = [...buf.matchAll(/ack (\d+)/g)];
        if (m.length) acked = Number(m[m.length - 1][1]);
        // From outside: kill at an odd moment well into the run.
        if (killAfter === undefined && acked >= 12 && !child.killed) setTimeout(() => child.kill('SIGKILL'), 3 + (acked % 5));
      });
      child.on('exit', (_code, signal) => resolve({ acked, signal }));
      child.on('error', reject);
      setTimeout(() => reject(new Error(`child made no progress: ${err}`)), 50_000);
    });
  };

  const expectRestored = async (root: string, side: number, acked: number) => {
    const dir = new LabelStore(root).folder('ds', 'img/0001.png');
    // Every file present is whole: the previous or the new version, never torn.
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.png') && !isTempFile(n))) {
      await decodeIndexPng(readFileSync(path.join(dir, name)), name);
    }
    JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8'));
    const img = await new LabelStore(root).get('ds', 'img/0001.png', () => Promise.reject(new Error('must restore')));
    // Every acknowledged step survived; the one in flight may or may not have.
    expect(img.seq).toBeGreaterThanOrEqual(acked);
    expect(img.seq).toBeLessThanOrEqual(acked + 1);
    let expected = createDoc({ width: side, height: side, data: new Uint8Array(side * side) });
    for (let i = 0; expected.seq < img.seq; i++) expected = performStep(expected, crashStep(i, side)).doc;
    expect(Buffer.compare(Buffer.from(img.doc.layers.labels), Buffer.from(expected.layers.labels))).toBe(0);
    expect(Buffer.compare(Buffer.from(img.doc.layers.touched), Buffer.from(expected.layers.touched))).toBe(0);
    await img.close();
    return dir;
  };

  it('a process killed inside a snapshot write leaves the previous files intact and restores every acknowledged step', async () => {
    const root = fresh();
    const side = 256;
    const { acked, signal } = await runChild(root, side, 9);
    expect(signal).toBe('SIGKILL');
    const dir = new LabelStore(root).folder('ds', 'img/0001.png');
    // The kill landed mid-write: a complete temp file was never renamed over labels.png.
    expect(readdirSync(dir).some(isTempFile)).toBe(true);
    const state = JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8')) as { seq: number };
    let prev = createDoc({ width: side, height: side, data: new Uint8Array(side * side) });
    for (let i = 0; prev.seq < state.seq; i++) prev = performStep(prev, crashStep(i, side)).doc;
    const onDisk = await decodeIndexPng(readFileSync(path.join(dir, 'labels.png')), 'labels.png');
    expect(Buffer.compare(Buffer.from(onDisk.data), Buffer.from(prev.layers.labels))).toBe(0);
    expect(state.seq).toBeLessThan(acked);
    await expectRestored(root, side, acked);
  });

  it('a process killed at a random moment loses at most the step in flight', async () => {
    const root = fresh();
    const side = 768;
    const { acked, signal } = await runChild(root, side);
    expect(signal).toBe('SIGKILL');
    expect(acked).toBeGreaterThanOrEqual(12);
    await expectRestored(root, side, acked);
  });
});
