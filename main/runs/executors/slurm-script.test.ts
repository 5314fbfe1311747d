// The Slurm executor's pure parts, without a Slurm: the batch script, the options (command line over
// the workspace setting, hostile values refused), the graph order, and how a job's end is worded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { batchScript, cancelSlurmRun, pipelineGraph, resubmit, slurmOptions } from './slurm';
import { describeJobEnd } from './slurm-watch';
import { showCommand } from './slurm-commands';

describe('Slurm batch scripts and options', () => {
  let ws: string;
  beforeAll(async () => {
    ws = await mkdtemp(path.join(os.tmpdir(), 'proda-sbatch-'));
  });
  afterAll(async () => {
    await rm(ws, { recursive: true, force: true });
  });

  const workspaceFile = (slurm: unknown) =>
    writeFile(path.join(ws, 'workspace.json'), JSON.stringify({ schemaVersion: 1, name: 'w', createdAt: '2026-01-01T00:00:00Z', classSet: '19', datasets: [], settings: { slurm } }));

  it('writes the header from the options and execs the CLI with every argument quoted for bash', () => {
    const script = batchScript({
      runId: 'r-1',
      workspace: "/shared/it's here",
      options: { partition: 'gpu', gres: 'gpu:a100:2', time: '1-12:00:00', account: 'lab', qos: 'normal', sbatch: ['#SBATCH --mem=64G', '#SBATCH --cpus-per-task=8'] },
      argv: ['/usr/bin/node', '/opt/proda/bin/proda.mjs', 'train', '--workspace', "/shared/it's here", '--id', 'r-1'],
    });
    const lines = script.split('\n');
    expect(lines[0]).toBe('#!/bin/bash');
    for (const l of ['--partition=gpu', '--gres=gpu:a100:2', '--time=1-12:00:00', '--account=lab', '--qos=normal', '--kill-on-invalid-dep=yes', '--mem=64G', '--cpus-per-task=8'])
      expect(lines).toContain(`#SBATCH ${l}`);
    // The header ends before the first command: sbatch stops reading #SBATCH lines there.
    const firstCommand = lines.findIndex((l) => l.startsWith('exec '));
    expect(lines.slice(firstCommand).some((l) => l.startsWith('#SBATCH'))).toBe(false);
    // bash reads the exec line back into exactly the argv given.
    const echoed = execFileSync('bash', ['-c', `${lines[firstCommand].replace(/^exec /, 'printf "%s\\n" ')}`]).toString().trim().split('\n');
    expect(echoed).toEqual(['/usr/bin/node', '/opt/proda/bin/proda.mjs', 'train', '--workspace', "/shared/it's here", '--id', 'r-1']);
  });

  it('takes the workspace setting and lets the command line override it', async () => {
    await workspaceFile({ partition: 'cpu', account: 'lab', sbatch: ['#SBATCH --mem=8G'] });
    expect(await slurmOptions(ws, { partition: 'gpu', gres: 'gpu:1', time: undefined })).toEqual({ partition: 'gpu', account: 'lab', gres: 'gpu:1', sbatch: ['#SBATCH --mem=8G'] });
  });

  it('refuses extra lines that are not #SBATCH lines and values that would break the script', async () => {
    await workspaceFile({ sbatch: ['rm -rf ~'] });
    await expect(slurmOptions(ws)).rejects.toThrow(/must start with "#SBATCH "/);
    await workspaceFile({ sbatch: ['#SBATCH --mem=8G\nrm -rf ~'] });
    await expect(slurmOptions(ws)).rejects.toThrow(/one line/);
    await workspaceFile({});
    await expect(slurmOptions(ws, { partition: 'gpu\n#SBATCH --x' })).rejects.toThrow(/--partition must be one line/);
    await workspaceFile({ partitionn: 'typo' });
    await expect(slurmOptions(ws)).rejects.toThrow(/settings\.slurm/);
    await expect(resubmit(ws, '../elsewhere')).rejects.toThrow(/may only hold/);
    await expect(cancelSlurmRun(ws, '..')).rejects.toThrow(/may only hold/);
  });

  it('orders a stage graph upstream first and refuses cycles', () => {
    const cfg = (ids: Record<string, string>) => ({ ids });
    const g = pipelineGraph(
      [
        { key: 'eval', needs: ['st1'], config: cfg },
        { key: 'st1', needs: ['w', 'p'], config: cfg },
        { key: 'p', needs: ['w'], config: cfg },
        { key: 'w', needs: [], config: cfg },
      ],
      'x',
    );
    expect(g.map((s) => s.id)).toEqual(['x-w', 'x-p', 'x-st1', 'x-eval']);
    expect(g[2].after).toEqual(['x-w', 'x-p']);
    expect(() => pipelineGraph([{ key: 'a', needs: ['b'], config: cfg }, { key: 'b', needs: ['a'], config: cfg }], 'y')).toThrow(/cycle/);
  });

  it("words a job's end with Slurm's state and reason", () => {
    expect(describeJobEnd('12', { state: 'TIMEOUT', reason: null, exitCode: '0:15' })).toBe('Slurm job 12 TIMEOUT: the job reached its time limit, exit 0:15');
    expect(describeJobEnd('13', { state: 'CANCELLED', reason: 'DependencyNeverSatisfied', exitCode: '0:0' })).toBe(
      'Slurm job 13 CANCELLED: an upstream job did not succeed (DependencyNeverSatisfied)',
    );
    expect(describeJobEnd('14', { state: 'NODE_FAIL', reason: 'NodeDown', exitCode: null })).toBe('Slurm job 14 NODE_FAIL: the node failed, reason NodeDown');
    expect(showCommand('sbatch', ['--parsable', '/a b/job.sbatch'])).toBe("sbatch --parsable '/a b/job.sbatch'");
  });
});
