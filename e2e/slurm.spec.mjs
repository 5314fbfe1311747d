// A run executed by Slurm, seen in the app: the CLI submits it (`proda train --executor slurm`) to the
// Slurm that scripts/slurm-local.sh started; the runs panel shows its job id and Slurm state beside it
// and follows it to the end by re-reading its folder (the job sends the server no events). The job
// runs the toy stage program so the test takes seconds. Skipped where no Slurm controller answers.
import { spawn, spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expectEq, expectTrue, openDemoWorkspace } from './helpers.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const title = 'Slurm runs in the app';
export const timeout = 240_000;

export function skip() {
  const r = spawnSync('sinfo', ['-h'], { encoding: 'utf8' });
  if (r.error) return `sinfo is not installed (${r.error.message}); apt-get install slurm-wlm munge`;
  if (r.status !== 0) return `no Slurm controller answers (${(r.stderr || '').trim().split('\n')[0]}); run scripts/slurm-local.sh start`;
  return null;
}

function proda(args, env) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(root, 'bin', 'proda.mjs'), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

export const tests = [
  {
    name: 'a Slurm run shows its job id and state in the runs panel and is followed to COMPLETED',
    async run({ page, server, shot, log }) {
      const { src, tgt } = await openDemoWorkspace(page, server);
      const config = path.join(server.workspace, 'slurm-e2e.json');
      await writeFile(
        config,
        JSON.stringify({ stage: 'warmup', seed: 3, source: { root: src.root, format: 'demo', split: src.split }, optim: { iterations: 150, lr: 0.05, batchSize: 4, polyHorizon: 1000 }, checkpoint: { every: 50, keep: 1 } }),
      );
      const id = `e2e-slurm-${Date.now()}`;
      const sub = await proda(['train', '--config', config, '--id', id, '--executor', 'slurm', '--workspace', server.workspace, '--json'], {
        PRODA_RUN_ENTRY: path.join(root, 'main', 'runs', 'testing', 'toy-run-process.ts'),
        TOY_STEP_MS: '80',
      });
      expectEq(sub.code, 0, `proda train --executor slurm (${sub.err.trim()})`);
      const jobId = JSON.parse(sub.out).runs[0].jobId;
      log(`submitted ${id} as Slurm job ${jobId}`);

      await page.getByTestId('dataset-picker').selectOption(tgt.id);
      await page.getByTestId('inspect-toggle').click();
      await page.getByTestId('tab-runs').click();
      const row = page.locator(`[data-run="${id}"]`).first();
      await row.waitFor({ timeout: 30_000 });
      await row.getByTestId('run-slurm').filter({ hasText: `Slurm ${jobId}` }).waitFor({ timeout: 30_000 });
      await row.click();
      await page.getByTestId('run-slurm-job').filter({ hasText: `Slurm job ${jobId}` }).waitFor({ timeout: 30_000 });
      await shot('slurm-run-live');
      await page.locator(`[data-testid=run-detail][data-run="${id}"][data-state=succeeded]`).waitFor({ timeout: 180_000 });
      await page.getByTestId('run-slurm-job').filter({ hasText: 'COMPLETED' }).waitFor({ timeout: 60_000 });
      expectTrue((await page.getByTestId('run-iteration').textContent()) === '150', 'the panel shows the final iteration');
      await shot('slurm-run-completed');
    },
  },
];
