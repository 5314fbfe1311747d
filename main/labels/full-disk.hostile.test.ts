// Hostile probes: a disk that fills up while corrections are saved. Every edit that was acknowledged
// must come back after a restart; a failed write leaves no partial record and no temp file.
import { afterAll, describe, expect, it } from 'vitest';
import { appendFileSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDoc, performStep, type EditStep } from '../../shared/annotation/editor';
import { appendLine, isTempFile, writeFileAtomic } from '../io/atomic';
import { withFaultyDisk } from '../io/fault-fs';
import { mountSmallDisk, type SmallDisk } from '../io/tmpfs';
import { LabelStore, readEditLog, type StartInfo } from './store';

const fresh = () => mkdtempSync(path.join(tmpdir(), 'full-disk-'));
const W = 64;
const H = 32;
const initial = async () => ({ raster: { width: W, height: H, data: new Uint8Array(W * H) }, start: { source: 'empty', label: '' } as StartInfo });
// Long strokes make log records of a few KB, so a record straddles the point where the disk fills.
const stroke = (i: number): EditStep => ({
  kind: 'edit',
  op: { tool: 'brush', points: Array.from({ length: 120 }, (_, k) => [(k * 7 + i) % W, (i * 3 + k) % H] as [number, number]), size: 2 + (i % 3), classId: 1 + (i % 18) },
});
const expectedAfter = (acked: number[]) => {
  let doc = createDoc({ width: W, height: H, data: new Uint8Array(W * H) });
  for (const i of acked) doc = performStep(doc, stroke(i)).doc;
  return doc;
};

describe('append on a full disk', () => {
  it('short writes are looped until the whole line is down', async () => {
    const file = path.join(fresh(), 'log.jsonl');
    const line = 'x'.repeat(10_000);
    await withFaultyDisk({ bytes: Infinity, chunk: 777 }, () => appendLine(file, line));
    expect(readFileSync(file, 'utf8')).toBe(`${line}\n`);
  });

  it('ENOSPC part-way through a line fails the append and cuts the file back to its last whole line', async () => {
    const file = path.join(fresh(), 'log.jsonl');
    writeFileSync(file, 'one\n');
    await expect(withFaultyDisk({ bytes: 4096, chunk: 4096 }, () => appendLine(file, 'y'.repeat(9000)))).rejects.toThrow(/ENOSPC/);
    expect(readFileSync(file, 'utf8')).toBe('one\n');
    await appendLine(file, 'two');
    expect(readFileSync(file, 'utf8')).toBe('one\ntwo\n');
  });

  it('a line torn by a kill is closed before the next append, so the next record stays whole', async () => {
    const file = path.join(fresh(), 'log.jsonl');
    writeFileSync(file, '{"a":1}\n{"b":');
    await appendLine(file, '{"c":3}');
    expect(readFileSync(file, 'utf8').split('\n')).toEqual(['{"a":1}', '{"b":', '{"c":3}', '']);
  });
});

describe('atomic write on a full disk', () => {
  it('ENOSPC removes the temp file and keeps the previous content', async () => {
    const dir = fresh();
    const file = path.join(dir, 'state.json');
    writeFileSync(file, 'previous');
    await expect(withFaultyDisk({ bytes: 100, chunk: 64 }, () => writeFileAtomic(file, 'z'.repeat(1000)))).rejects.toThrow(/ENOSPC/);
    expect(readFileSync(file, 'utf8')).toBe('previous');
    expect(readdirSync(dir)).toEqual(['state.json']);
  });

  it('a temp file left by a killed writer is removed by the next write into its folder', async () => {
    const dir = fresh();
    // pid 2^22+1 is above Linux's pid_max default ceiling: no such process.
    const stale = 'state.json.tmp-4194305-0badc0de';
    writeFileSync(path.join(dir, stale), 'half');
    await writeFileAtomic(path.join(dir, 'state.json'), 'new');
    expect(readdirSync(dir)).toEqual(['state.json']);
  });
});

describe('confirmed edits survive a full disk (injected short writes + ENOSPC)', () => {
  it('every acknowledged edit is restored after a restart; refused edits leave no trace', async () => {
    const root = fresh();
    const store = new LabelStore(root, { debounceMs: 60_000 });
    const img = await store.get('ds', 'a.png', initial);
    const acked: number[] = [];
    const budget = { bytes: 20_000, chunk: 4096 };
    let refused = 0;
    await withFaultyDisk(budget, async () => {
      for (let i = 0; i < 30; i++) {
        try {
          if ((await img.step(stroke(i))).diff) acked.push(i);
        } catch (err) {
          expect(String(err)).toMatch(/cannot write the edit log/);
          refused++;
        }
        // The disk frees up for a moment after the first refusals: later edits are acknowledged again.
        if (refused === 3 && budget.bytes === 0) budget.bytes = 9000;
      }
    });
    expect(refused).toBeGreaterThan(3);
    expect(acked.length).toBeGreaterThan(4);
    const dir = store.folder('ds', 'a.png');
    const log = await readEditLog(dir);
    expect(log.torn).toEqual([]);
    expect(log.lines.filter((l) => l.kind === 'edit').map((l) => l.seq)).toEqual(acked.map((_, k) => k + 1));
    const reopened = await new LabelStore(root).get('ds', 'a.png', () => Promise.reject(new Error('must restore')));
    const expected = expectedAfter(acked);
    expect(reopened.seq).toBe(acked.length);
    expect(Buffer.compare(Buffer.from(reopened.doc.layers.labels), Buffer.from(expected.layers.labels))).toBe(0);
    await reopened.close();
  });

  it('replay skips a torn record in the middle of the log and applies the acknowledged edits after it', async () => {
    const root = fresh();
    const store = new LabelStore(root, { debounceMs: 60_000 });
    const img = await store.get('ds', 'b.png', initial);
    await img.step(stroke(0));
    await img.close();
    const dir = store.folder('ds', 'b.png');
    // What the old single-write append left: a record cut at 4096 bytes with the next one glued on.
    const rec = (seq: number, i: number) => JSON.stringify({ gen: 0, seq, at: 'now', who: 't', kind: 'edit', tool: 'brush', op: (stroke(i) as { op: unknown }).op, pixels: 1 });
    appendFileSync(path.join(dir, 'edits.jsonl'), `${rec(2, 1).slice(0, 60)}${rec(3, 2)}\n${rec(4, 3)}\n${rec(5, 4)}\n`);
    const reopened = await new LabelStore(root).get('ds', 'b.png', () => Promise.reject(new Error('must restore')));
    expect((await readEditLog(dir)).torn.length).toBe(1);
    expect(reopened.seq).toBe(5);
    const expected = expectedAfter([0, 3, 4]);
    expect(Buffer.compare(Buffer.from(reopened.doc.layers.labels), Buffer.from(expected.layers.labels))).toBe(0);
    await reopened.close();
  });
});

describe('confirmed edits survive a full disk (real 192 KB tmpfs)', () => {
  let disk: SmallDisk | { reason: string } | null = null;
  afterAll(() => {
    if (disk && 'unmount' in disk) disk.unmount();
  });

  it('fills the disk with edits; after a restart every acknowledged edit is there and no temp file is left', async (ctx) => {
    disk = mountSmallDisk('192k');
    if ('reason' in disk) {
      console.log(`skipped: ${disk.reason}`);
      ctx.skip();
      return;
    }
    const root = disk.dir;
    const store = new LabelStore(root, { debounceMs: 0 });
    const img = await store.get('ds', 'c.png', initial);
    const acked: number[] = [];
    let refused = 0;
    for (let i = 0; i < 400 && refused < 5; i++) {
      try {
        if ((await img.step(stroke(i))).diff) acked.push(i);
      } catch (err) {
        expect(String(err)).toMatch(/ENOSPC|no space/i);
        refused++;
      }
      await img.flush().catch(() => undefined);
    }
    expect(refused).toBe(5);
    await store.closeAll().catch(() => undefined);
    const dir = store.folder('ds', 'c.png');
    expect(readdirSync(dir).filter(isTempFile)).toEqual([]);
    const reopened = await new LabelStore(root, { debounceMs: 60_000 }).get('ds', 'c.png', () => Promise.reject(new Error('must restore')));
    expect(reopened.seq).toBe(acked.length);
    const expected = expectedAfter(acked);
    expect(Buffer.compare(Buffer.from(reopened.doc.layers.labels), Buffer.from(expected.layers.labels))).toBe(0);
  });
});
