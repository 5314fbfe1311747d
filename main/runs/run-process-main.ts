// Entry logic of a run process, separate from the entry file so tests can start a process with a
// different stage registry. argv: --run-dir <dir> [--resume].
import path from 'node:path';
import { parseArgs } from 'node:util';
import { diskFullMessage } from '../io/disk-space';
import { connectToParent } from './channel';
import { appendLog } from '../artifacts/records';
import { flushLog, runLoop } from './run-loop';
import type { StageRegistry } from './program';

export async function startRunProcess(registry: StageRegistry, argv = process.argv.slice(2)): Promise<never> {
  const { values } = parseArgs({ args: argv, options: { 'run-dir': { type: 'string' }, resume: { type: 'boolean', default: false } } });
  const runDir = values['run-dir'];
  const channel = connectToParent();
  if (!runDir) {
    process.stderr.write('run-process: --run-dir <dir> is required\n');
    process.exit(2);
  }
  // Listen before announcing readiness, so a cancel sent right after start is never lost.
  let cancelRequested = false;
  channel?.onMessage((m) => {
    if (m.type === 'cancel') cancelRequested = true;
  });
  process.on('SIGTERM', () => {
    cancelRequested = true;
  });
  channel?.send({ type: 'ready', pid: process.pid });
  let code = 0;
  try {
    const state = await runLoop({ runDir, resume: values.resume ?? false, registry, channel, cancelRequested: () => cancelRequested });
    await flushLog();
    channel?.send({ type: 'done', state });
  } catch (err) {
    const e = err as Error;
    // A full disk is the person's to fix, not a bug: say so plainly, without a stack.
    const full = diskFullMessage(err, path.dirname(path.dirname(runDir)));
    await flushLog();
    await appendLog(runDir, full ? `error: ${full}` : `error: ${e.stack ?? e.message}`).catch(() => {});
    channel?.send({ type: 'done', state: 'failed', message: full ?? e.message });
    code = 1;
  }
  await channel?.flush();
  process.exit(code);
}
