// artifacts/pseudo.json: what a pseudo-label run wrote per image (soft maps, or hard labels with their
// confidence), read by the stages that train from it and by the maps. Versioned like the other
// records; an index written before schemaVersion existed has version 1's shape and reads as version 1.
import { z } from 'zod';
import { AppError } from '../../shared/contract/errors';
import { writeJsonAtomic } from '../io/atomic';
import { migrate } from '../io/schema-version';
import { inFolder, PSEUDO_INDEX } from './layout';
import { readJson } from './records';

export const PSEUDO_INDEX_VERSION = 1;

/** A path relative to the run folder made of plain names, never one that climbs out. */
const runFile = z
  .string()
  .min(1)
  .refine((f) => f.split(/[\\/]/).every((s) => s !== '' && s !== '.' && s !== '..' && !s.includes('\0')), {
    message: 'not a relative path of plain names inside the run folder',
  });

const pseudoIndexSchema = z.object({
  schemaVersion: z.literal(PSEUDO_INDEX_VERSION),
  mode: z.enum(['soft', 'hard']),
  ids: z.array(z.string()),
  /** Per image id, files relative to the run folder. */
  files: z.record(z.string(), z.object({ soft: runFile.optional(), label: runFile.optional(), conf: runFile.optional() })),
  /** Soft maps: [C, h, w] float32 at network output resolution (ProDA layout). */
  softShape: z.array(z.number().int().positive()).length(3).optional(),
});
export type PseudoIndex = z.infer<typeof pseudoIndexSchema>;

export const writePseudoIndex = (dir: string, index: Omit<PseudoIndex, 'schemaVersion'>): Promise<void> =>
  writeJsonAtomic(inFolder(dir, PSEUDO_INDEX), { schemaVersion: PSEUDO_INDEX_VERSION, ...index });

/** The run's pseudo-label index, or null when it has none; an unreadable or invalid one is an error naming the file. */
export async function readPseudoIndexIfAny(dir: string): Promise<PseudoIndex | null> {
  const file = inFolder(dir, PSEUDO_INDEX);
  const raw = await readJson(file);
  if (raw === undefined) return null;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new AppError('bad-input', `${file}: not a pseudo-label index`, { where: file });
  const versioned = 'schemaVersion' in raw ? (raw as Record<string, unknown>) : { ...raw, schemaVersion: 1 };
  const parsed = pseudoIndexSchema.safeParse(migrate(versioned, file, {}, PSEUDO_INDEX_VERSION));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AppError('bad-input', `${file}: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`, { where: file });
  }
  return parsed.data;
}

/** The index of an upstream pseudo-label run, checked to hold the kind of labels the reading stage needs. */
export async function readPseudoIndex(dir: string, mode: PseudoIndex['mode'], reader: string): Promise<PseudoIndex> {
  let index: PseudoIndex | null;
  try {
    index = await readPseudoIndexIfAny(dir);
  } catch (err) {
    throw new Error(`cannot read the pseudo-label index (${(err as Error).message}); run the pseudo-label run again`);
  }
  if (!index) throw new Error(`${inFolder(dir, PSEUDO_INDEX)}: missing; run the pseudo-label run again`);
  if (index.mode !== mode) throw new Error(`${dir}: pseudo-label run is '${index.mode}', ${reader} needs ${mode} labels`);
  return index;
}
