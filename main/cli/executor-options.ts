// --executor local|slurm and the Slurm options shared by train, demo and sweep.
import type { SlurmOptions } from '../runs/executors/slurm-record';
import { UsageError } from './args';

export const executorOptions = {
  executor: { type: 'string' },
  partition: { type: 'string' },
  gres: { type: 'string' },
  time: { type: 'string' },
  account: { type: 'string' },
  qos: { type: 'string' },
  wait: { type: 'boolean' },
} as const;

export const EXECUTOR_HELP = `Executor options (train, demo, sweep):
  --executor local|slurm   local child processes (default) or one Slurm batch job per stage;
                           the workspace must be on storage the nodes share
  --partition P --gres gpu:N --time T --account A --qos Q
                           sbatch options; workspace.json settings.slurm may set these and
                           "sbatch": ["#SBATCH ...", ...] extra header lines
  --wait                   (train) with slurm, follow the job to its end instead of returning`;

export interface ExecutorChoice {
  kind: 'local' | 'slurm';
  slurm: Partial<SlurmOptions>;
}

export function executorChoice(v: { executor?: string; partition?: string; gres?: string; time?: string; account?: string; qos?: string }): ExecutorChoice {
  const kind = v.executor ?? 'local';
  if (kind !== 'local' && kind !== 'slurm') throw new UsageError(`--executor expects local or slurm, got "${kind}"`);
  const slurm = { partition: v.partition, gres: v.gres, time: v.time, account: v.account, qos: v.qos };
  if (kind === 'local') {
    const given = Object.entries(slurm).filter(([, x]) => x !== undefined).map(([k]) => `--${k}`);
    if (given.length) throw new UsageError(`${given.join(', ')} only apply with --executor slurm`);
  }
  return { kind, slurm };
}
