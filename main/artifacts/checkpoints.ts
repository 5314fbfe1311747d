// Checkpoints of a run: `checkpoints/ckpt-<iteration>.safetensors` (student, EMA, prototypes,
// optimiser state as named tensors) plus `ckpt-<iteration>.json` (iteration, sha256 of the tensor
// file, JSON state such as counters). The JSON is written last, so a checkpoint exists only once its
// tensors are complete; a checksum mismatch marks it corrupt and loading falls back to the previous one.
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { z } from 'zod';
import { isTempFile, writeFileAtomic, writeJsonAtomic } from '../io/atomic';
import { CHECKPOINT_META, checkpointFiles } from './layout';
import { decodeTensors, encodeTensors, type TensorMap } from './safetensors';

const metaSchema = z.object({
  iteration: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().min(0),
  createdAt: z.string(),
  /** Plain JSON state the program needs to continue (e.g. prototype counts, a finished flag). */
  state: z.record(z.string(), z.unknown()).default({}),
});
export type CheckpointMeta = z.infer<typeof metaSchema>;

export interface Checkpoint {
  meta: CheckpointMeta;
  tensors: TensorMap;
}

const tensorFile = (dir: string, iteration: number) => checkpointFiles(dir, iteration).tensors;
const metaFile = (dir: string, iteration: number) => checkpointFiles(dir, iteration).meta;

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

export async function saveCheckpoint(
  dir: string,
  iteration: number,
  tensors: TensorMap,
  state: Record<string, unknown> = {},
  keep = 3,
): Promise<CheckpointMeta> {
  const bytes = encodeTensors(tensors, { iteration: String(iteration) });
  await writeFileAtomic(tensorFile(dir, iteration), bytes);
  const meta: CheckpointMeta = { iteration, sha256: sha256(bytes), bytes: bytes.length, createdAt: new Date().toISOString(), state };
  try {
    await writeJsonAtomic(metaFile(dir, iteration), meta);
  } catch (err) {
    // Without its meta file the tensor file is no checkpoint, only space a full disk needs back.
    await fsp.rm(tensorFile(dir, iteration), { force: true }).catch(() => undefined);
    throw err;
  }
  // Older checkpoints go only once this one is complete: a failed save keeps the last good one.
  await prune(dir, keep);
  return meta;
}

/** Iterations that have a meta file, newest first. */
export async function listCheckpoints(dir: string): Promise<number[]> {
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => !isTempFile(n))
    .map((n) => CHECKPOINT_META.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => b - a);
}

/** Reads one checkpoint and verifies its checksum; throws a message naming the file when it is unusable. */
export async function readCheckpoint(dir: string, iteration: number): Promise<Checkpoint> {
  const mf = metaFile(dir, iteration);
  let meta: CheckpointMeta;
  try {
    meta = metaSchema.parse(JSON.parse(await fsp.readFile(mf, 'utf8')));
  } catch (err) {
    throw new Error(`${mf}: unreadable checkpoint metadata (${(err as Error).message.split('\n')[0]})`);
  }
  const tf = tensorFile(dir, iteration);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await fsp.readFile(tf));
  } catch {
    throw new Error(`${tf}: missing checkpoint tensors`);
  }
  const actual = sha256(bytes);
  if (actual !== meta.sha256) throw new Error(`${tf}: checksum mismatch (expected ${meta.sha256.slice(0, 12)}…, got ${actual.slice(0, 12)}…)`);
  return { meta, tensors: decodeTensors(bytes, tf).tensors };
}

/**
 * The newest checkpoint that verifies. Corrupt ones are reported through `onCorrupt` and skipped, so a
 * run resumes from the previous good one.
 */
export async function loadLatestCheckpoint(dir: string, onCorrupt: (message: string) => void = () => {}): Promise<Checkpoint | null> {
  for (const it of await listCheckpoints(dir)) {
    try {
      return await readCheckpoint(dir, it);
    } catch (err) {
      onCorrupt((err as Error).message);
    }
  }
  return null;
}

async function prune(dir: string, keep: number): Promise<void> {
  const its = await listCheckpoints(dir);
  for (const it of its.slice(keep)) {
    // Meta first: without it the tensor file is no longer a checkpoint, so a kill between the two is harmless.
    await fsp.rm(metaFile(dir, it), { force: true });
    await fsp.rm(tensorFile(dir, it), { force: true });
  }
}
