// Hostile probes on training: its process killed with SIGKILL, and the disk filling up under it.
// A run always ends in a state a person can read, the last good checkpoint survives, no temp file is
// left, and `runs list` shows runs whose status file cannot be updated.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isTempFile } from '../io/atomic';
import { mountSmallDisk, type SmallDisk } from '../io/tmpfs';
import { listCheckpoints, readCheckpoint } from '../artifacts/checkpoints';
import { listRuns } from './catalogue';
import { readLogTail, readStatus } from '../artifacts/records';
import { runDir, runPaths } from '../artifacts/layout';
import { RunSupervisor } from './supervisor';
import { finalWeights, toyConfig, toyLauncher, waitForCheckpoint } from './testing/toy-runs';

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Every file under `dir` (relative paths). */
const filesUnder = (dir: string): string[] => readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)));

/** Writes a file until the disk refuses more; returns its path. */
function fillDisk(dir: string): string {
  const file = path.join(dir, 'filler.bin');
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(16 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
    // Fill the last partial block too.
    for (let n = 4096; n >= 1; n = Math.floor(n / 2)) {
      try {
        for (;;) writeSync(fd, chunk.subarray(0, n));
      } catch {
        /* next smaller size */
      }
    }
  } finally {
    closeSync(fd);
  }
  return file;
}

describe('kill -9 of a run process', () => {
  let ws: string;
  let sup: RunSupervisor;
  beforeAll(async () => {
    ws = await mkdtemp(path.join(os.tmpdir(), 'proda-kill-'));
    sup = new RunSupervisor({ workspace: ws, launcher: toyLauncher() });
  });
  afterAll(async () => {
    await sup.shutdown();
    await rm(ws, { recursive: true, force: true });
  });

  it('a run killed with SIGKILL is marked failed with its log tail, and resume ends with the same weights', async () => {
    const { id: ref } = await sup.start(toyConfig(), 'reference');
    expect((await sup.wait(ref)).state).toBe('succeeded');
    const reference = await finalWeights(ws, ref);
    const { id } = await sup.start(toyConfig(), 'killed');
    await waitForCheckpoint(ws, id, 100);
    sup.kill(id, 'SIGKILL');
    const st = await sup.wait(id);
    expect(st.state).toBe('failed');
    expect(st.message).toMatch(/SIGKILL/);
    expect(st.logTail?.some((l) => l.includes('started warmup'))).toBe(true);
    expect(await sup.resume(id)).toBe('running');
    expect((await sup.wait(id)).state).toBe('succeeded');
    expect(Array.from(await finalWeights(ws, id))).toEqual(Array.from(reference));
    expect((await readLogTail(runDir(ws, id), 50)).join('\n')).toMatch(/resumed from checkpoint at iteration \d+/);
  });
});

describe('full disk during training (real 1 MB tmpfs)', () => {
  const disks: SmallDisk[] = [];
  const disk = (ctx: { skip: () => void }): string | null => {
    const d = mountSmallDisk('1m');
    if ('reason' in d) {
      console.log(`skipped: ${d.reason}`);
      ctx.skip();
      return null;
    }
    disks.push(d);
    return d.dir;
  };
  afterAll(() => disks.forEach((d) => d.unmount()));

  it('a checkpoint that does not fit fails the run with "disk full", keeps the last good checkpoint and leaves no temp file', async (ctx) => {
    const ws = disk(ctx);
    if (!ws) return;
    // 400 KB checkpoints: the third one (plus the two kept) does not fit in 1 MB.
    const sup = new RunSupervisor({ workspace: ws, launcher: toyLauncher({ TOY_CHECKPOINT_PAD: '100000' }) });
    const { id } = await sup.start(toyConfig(), 'full');
    const st = await sup.wait(id);
    expect(st.state).toBe('failed');
    expect(st.message).toMatch(/^disk full: \d+\.\d MB free on /);
    expect(st.message).not.toMatch(/\n\s+at /); // no stack
    const onDisk = await readStatus(runDir(ws, id));
    expect(onDisk.state).toBe('failed');
    expect(onDisk.pid).toBeNull();
    const dir = runDir(ws, id);
    expect(filesUnder(dir).filter(isTempFile)).toEqual([]);
    const its = await listCheckpoints(runPaths(dir).checkpoints);
    expect(its.length).toBeGreaterThan(0);
    const good = await readCheckpoint(runPaths(dir).checkpoints, its[0]);
    expect(good.meta.iteration).toBeLessThan(240);
    // Only whole checkpoints are left: every tensor file has its meta file.
    const names = readdirSync(runPaths(dir).checkpoints);
    expect(names.filter((n) => n.endsWith('.safetensors')).length).toBe(its.length);
    expect(await readFile(runPaths(dir).log, 'utf8')).toMatch(/error: disk full/);
  });

  it('a disk too full to record the end: the run still ends failed, and runs list shows it and says why', async (ctx) => {
    const ws = disk(ctx);
    if (!ws) return;
    const sup = new RunSupervisor({ workspace: ws, launcher: toyLauncher() });
    const { id } = await sup.start(toyConfig(), 'stuck');
    const pid = sup.pid(id)!;
    await waitForCheckpoint(ws, id, 20);
    const filler = fillDisk(ws);
    const st = await sup.wait(id);
    expect(st.state).toBe('failed');
    expect(st.message).toMatch(/disk full: \d+\.\d MB free on /);
    expect(st.message).toMatch(/status\.json could not be updated/);
    expect(isAlive(pid)).toBe(false);
    expect((await readStatus(runDir(ws, id))).state).toBe('running'); // what the file still says
    const listed = await listRuns(ws);
    expect(listed.map((r) => [r.id, r.state])).toEqual([['stuck', 'failed']]);
    expect(listed[0].problem).toMatch(/status\.json still says running: it could not be updated \(ENOSPC/);
    // The command line shows the run and the reason, not "no runs".
    const cli = spawnSync(process.execPath, [path.resolve('bin/proda.mjs'), 'runs', 'list', '--workspace', ws], {
      encoding: 'utf8',
      env: { ...process.env, PRODA_CLI_FROM_SOURCE: '1' },
    });
    expect(cli.stdout).toMatch(/stuck\s+warmup\s+failed/);
    expect(cli.stdout).toMatch(/note: stuck: status\.json still says running/);
    // Once there is room again, the reconciled state is written.
    rmSync(filler);
    expect((await listRuns(ws))[0].problem).toBeUndefined();
    expect((await readStatus(runDir(ws, id))).state).toBe('failed');
  });
});
