// Hostile probe: the real server is killed with SIGKILL while a person paints, at a different moment
// each round, and started again on the same workspace. Every edit it acknowledged must be there; the
// one in flight may or may not be.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDoc, performStep, type EditStep } from '../../shared/annotation/editor';
import type { EditOp } from '../../shared/annotation/ops';
import { startServeProcess, type ServeProcess } from './testing/serve-process';

interface State {
  width: number;
  height: number;
  labels: Uint8Array;
  base: Uint8Array;
  seq: number;
}

const stroke = (i: number, w: number, h: number): EditOp => ({
  tool: 'brush',
  points: Array.from({ length: 12 }, (_, k) => [(i * 13 + k * 5) % w, (i * 7 + k * 3) % h] as [number, number]),
  size: 3 + (i % 5),
  classId: 1 + (i % 17),
});

describe('kill -9 of the server during annotation saves', () => {
  const files = mkdtempSync(path.join(tmpdir(), 'server-kill-'));
  const ws = path.join(files, 'ws');
  let server: ServeProcess | null = null;
  afterAll(async () => {
    await server?.stop();
    rmSync(files, { recursive: true, force: true });
  });

  it('three rounds of paint, SIGKILL, restart: every acknowledged edit survives', async () => {
    let expectedOps: EditOp[] = [];
    let base: State | null = null;
    let next = 0;
    let inFlight: EditOp | null = null;
    for (let round = 0; round < 3; round++) {
      server = await startServeProcess(ws, path.join(files, 'data'));
      const { api } = server;
      const dataset = ((await api('datasets.list', {})).body.value as { datasets: { id: string }[] }).datasets[0].id;
      const image = ((await api('images.list', { datasetId: dataset, limit: 1 })).body.value as { items: { id: string }[] }).items[0].id;
      const got = await api('labels.get', { datasetId: dataset, imageId: image });
      expect(got.body.ok).toBe(true);
      const state = got.body.value as State;
      base ??= state;
      // What the acknowledged edits make, plus the one in flight at the kill if it reached the log.
      const replay = (ops: EditOp[]) => {
        let doc = createDoc({ width: base!.width, height: base!.height, data: base!.base.slice() });
        for (const op of ops) doc = performStep(doc, { kind: 'edit', op } satisfies EditStep).doc;
        return doc;
      };
      const expected = replay(expectedOps);
      if (state.seq !== expected.seq && inFlight) {
        // The edit in flight at the kill reached the log before its answer did.
        expect(state.seq).toBe(expected.seq + 1);
        expectedOps = [...expectedOps, inFlight];
      }
      expect(state.seq).toBe(replay(expectedOps).seq);
      expect(Buffer.compare(Buffer.from(state.labels), Buffer.from(replay(expectedOps).layers.labels))).toBe(0);

      // Paint until a round-dependent number of acknowledgements, then kill during the next save.
      let seq = state.seq;
      const killAt = 6 + round * 5;
      for (let n = 0; ; n++) {
        const op = stroke(next++, base.width, base.height);
        const pending = api('labels.applyEdit', { datasetId: dataset, imageId: image, seq, op });
        if (n === killAt) {
          setTimeout(() => server!.child.kill('SIGKILL'), round * 2);
          const r = await pending.catch(() => null);
          inFlight = op;
          if (r?.body.ok) {
            // Answered before the kill: acknowledged like the others.
            if ((r.body.value as { pixels: number }).pixels > 0) expectedOps = [...expectedOps, op];
            inFlight = null;
          }
          break;
        }
        const r = await pending;
        expect(r.body.ok).toBe(true);
        const v = r.body.value as { seq: number; pixels: number };
        if (v.pixels > 0) expectedOps = [...expectedOps, op];
        seq = v.seq;
      }
      await new Promise((r) => server!.child.once('exit', r));
      server = null;
    }
  }, 240_000);
});
