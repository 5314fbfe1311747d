import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { appendLine, isTempFile, writeFileAtomic, writeJsonAtomic } from './atomic';

const fresh = () => mkdtempSync(path.join(tmpdir(), 'atomic-'));

describe('writeFileAtomic', () => {
  it('replaces the file and leaves no temp behind', async () => {
    const dir = fresh();
    const file = path.join(dir, 'a', 'b.json');
    await writeJsonAtomic(file, { v: 1 });
    await writeJsonAtomic(file, { v: 2 });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ v: 2 });
    expect(readdirSync(path.dirname(file))).toEqual(['b.json']);
  });

  it('a process killed mid-write leaves the previous content intact', () => {
    const dir = fresh();
    const file = path.join(dir, 'state.bin');
    writeFileSync(file, 'previous');
    // The child starts a large atomic write and is SIGKILLed by a timer before it can finish.
    const script = `
      import { writeFileAtomic } from ${JSON.stringify(path.resolve('main/io/atomic.ts'))};
      setTimeout(() => process.kill(process.pid, 'SIGKILL'), 30);
      const big = new Uint8Array(512 * 1024 * 1024).fill(7);
      await writeFileAtomic(${JSON.stringify(file)}, big);
      process.kill(process.pid, 'SIGKILL');
    `;
    const res = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(res.signal).toBe('SIGKILL');
    expect(readFileSync(file, 'utf8')).toBe('previous');
    for (const name of readdirSync(dir)) expect(name === 'state.bin' || isTempFile(name)).toBe(true);
  });

  it('appendLine appends whole lines', async () => {
    const file = path.join(fresh(), 'log.txt');
    await appendLine(file, 'one');
    await appendLine(file, 'two\n');
    expect(readFileSync(file, 'utf8')).toBe('one\ntwo\n');
  });

  it('writes bytes unchanged', async () => {
    const file = path.join(fresh(), 'x.bin');
    await writeFileAtomic(file, new Uint8Array([1, 2, 3]));
    expect([...readFileSync(file)]).toEqual([1, 2, 3]);
  });
});
