// slurm.json in a run folder: which Slurm jobs ran (or will run) this run, newest last. Its presence is
// what marks a run as executed by Slurm: the run's process may live on another machine, so its pid
// says nothing here and Slurm is asked instead. Nothing in this file runs a command.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { writeJsonAtomic } from '../../io/atomic';
import { AppError, validationError } from '../../../shared/contract/errors';

export const SLURM_FILE = 'slurm.json';

export const slurmOptionsSchema = z
  .object({
    partition: z.string().min(1).optional(),
    /** e.g. "gpu:1" or "gpu:a100:2". */
    gres: z.string().min(1).optional(),
    /** Slurm time limit: "MM", "HH:MM:SS", "D-HH". */
    time: z.string().min(1).optional(),
    account: z.string().min(1).optional(),
    qos: z.string().min(1).optional(),
    /** Extra lines for the batch script header, each starting with "#SBATCH " (the workspace setting slurm.sbatch). */
    sbatch: z.array(z.string()).default([]),
  })
  .strict();
export type SlurmOptions = z.infer<typeof slurmOptionsSchema>;

export const slurmJobSchema = z.object({
  jobId: z.string().regex(/^\d+$/),
  /** start: the job runs the queued run; resume: it continues the run from its last checkpoint. */
  kind: z.enum(['start', 'resume']),
  submittedAt: z.string(),
  /** The sbatch command line, for the record and for error messages. */
  command: z.string(),
  dependsOn: z.array(z.string()).default([]),
  /** Slurm's final word on the job once it ended (state and reason), written once. */
  final: z.object({ state: z.string(), reason: z.string().nullable(), exitCode: z.string().nullable() }).optional(),
});
export type SlurmJob = z.infer<typeof slurmJobSchema>;

export const slurmRecordSchema = z.object({
  options: slurmOptionsSchema,
  jobs: z.array(slurmJobSchema).min(1),
});
export type SlurmRecord = z.infer<typeof slurmRecordSchema>;

export const slurmFile = (runDir: string): string => path.join(runDir, SLURM_FILE);

/** The run's Slurm record; null when the run is not a Slurm run. An unreadable record is an error naming the file. */
export async function readSlurmRecord(runDir: string): Promise<SlurmRecord | null> {
  let text: string;
  try {
    text = await fsp.readFile(slurmFile(runDir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new AppError('bad-input', `${slurmFile(runDir)}: ${(err as Error).message}`, { where: slurmFile(runDir) });
  }
  const parsed = slurmRecordSchema.safeParse(raw);
  if (!parsed.success) throw validationError(slurmFile(runDir), parsed.error.issues);
  return parsed.data;
}

export const writeSlurmRecord = (runDir: string, record: SlurmRecord): Promise<void> => writeJsonAtomic(slurmFile(runDir), record);

export const lastJob = (r: SlurmRecord): SlurmJob => r.jobs[r.jobs.length - 1];
