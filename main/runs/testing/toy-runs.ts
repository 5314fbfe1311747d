// What the supervision tests share: a launcher for the toy run process, its config, and waits on its files.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { forkLauncher, type RunLauncher } from '../launcher';
import { listCheckpoints, readCheckpoint } from '../../artifacts/checkpoints';
import { runDir, runPaths } from '../../artifacts/layout';

const toyEntry = path.join(path.dirname(fileURLToPath(import.meta.url)), 'toy-run-process.ts');

export const toyLauncher = (env: NodeJS.ProcessEnv = {}): RunLauncher =>
  forkLauncher({ file: toyEntry, execArgv: ['--import', import.meta.resolve('tsx')] }, { ...process.env, TOY_STEP_MS: '8', ...env });

export const toyConfig = (seed = 7) => ({
  stage: 'warmup' as const,
  seed,
  source: { root: '/nowhere', format: 'demo' },
  optim: { iterations: 240, lr: 0.05, batchSize: 4, polyHorizon: 1000 },
  checkpoint: { every: 20, keep: 3 },
});

/** The student weights of the run's last checkpoint, which must be the one at iteration 240. */
export async function finalWeights(ws: string, id: string): Promise<Float32Array> {
  const dir = runPaths(runDir(ws, id)).checkpoints;
  const [last] = await listCheckpoints(dir);
  if (last !== 240) throw new Error(`${id}: last checkpoint at ${last}, expected 240`);
  return (await readCheckpoint(dir, last)).tensors['student.w'].data as Float32Array;
}

export async function waitForCheckpoint(ws: string, id: string, atLeast: number): Promise<void> {
  const dir = runPaths(runDir(ws, id)).checkpoints;
  for (let i = 0; i < 400; i++) {
    const [last] = await listCheckpoints(dir);
    if (last !== undefined && last >= atLeast) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('no checkpoint appeared');
}
