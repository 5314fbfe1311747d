// A model artifact: a run's final student (tfjs layout, conv HWIO; main/interop exports PyTorch layouts)
// with the prototypes the stage saved beside it, and prototypes on their own. Checkpoints use the same
// tensor names: `student.`/`ema.`/`disc.` prefixed weights and `prototypes.vectors`/`prototypes.counts`.
import type { NamedWeights } from '../engine/nets';
import type { Prototypes } from '../engine/proda/prototypes';
import { writeFileAtomic } from '../io/atomic';
import { inFolder, MODEL_ARTIFACT, PROTOTYPES_ARTIFACT, type RunFile } from './layout';
import { encodeTensors, readTensorsFile, type TensorMap } from './safetensors';

export function weightsToTensors(prefix: string, w: NamedWeights, out: TensorMap = {}): TensorMap {
  for (const [k, v] of Object.entries(w)) out[`${prefix}${k}`] = { shape: v.shape, data: v.data };
  return out;
}

export function tensorsToWeights(prefix: string, t: TensorMap): NamedWeights {
  const out: NamedWeights = {};
  for (const [k, v] of Object.entries(t)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = { shape: v.shape, data: v.data as Float32Array };
  return out;
}

export function prototypesToTensors(p: Prototypes, out: TensorMap = {}): TensorMap {
  out['prototypes.vectors'] = { shape: [p.numClasses, p.dim], data: p.vectors.slice() };
  out['prototypes.counts'] = { shape: [p.numClasses], data: p.counts.slice() };
  return out;
}

export function tensorsToPrototypes(t: TensorMap): Prototypes | null {
  const v = t['prototypes.vectors'];
  const c = t['prototypes.counts'];
  if (!v || !c) return null;
  return { numClasses: v.shape[0], dim: v.shape[1], vectors: Float32Array.from(v.data), counts: Float32Array.from(c.data) };
}

/** Writes artifacts/model.safetensors into a run or import folder; returns its relative path. */
export async function writeModel(dir: string, weights: NamedWeights, prototypes?: Prototypes | null, metadata: Record<string, string> = {}): Promise<RunFile> {
  const t = weightsToTensors('student.', weights);
  if (prototypes) prototypesToTensors(prototypes, t);
  await writeFileAtomic(inFolder(dir, MODEL_ARTIFACT), encodeTensors(t, { format: 'proda-workbench model', layout: 'tfjs (conv HWIO)', ...metadata }));
  return MODEL_ARTIFACT;
}

export async function readModel(dir: string): Promise<{ weights: NamedWeights; prototypes: Prototypes | null }> {
  const t = await readTensorsFile(inFolder(dir, MODEL_ARTIFACT));
  return { weights: tensorsToWeights('student.', t), prototypes: tensorsToPrototypes(t) };
}

/** The prototypes saved inside a model artifact, read without its weights. */
export async function readModelPrototypes(dir: string): Promise<Prototypes | null> {
  return tensorsToPrototypes(await readTensorsFile(inFolder(dir, MODEL_ARTIFACT), (name) => name.startsWith('prototypes.')));
}

export async function writePrototypes(dir: string, p: Prototypes, metadata: Record<string, string> = {}): Promise<RunFile> {
  await writeFileAtomic(inFolder(dir, PROTOTYPES_ARTIFACT), encodeTensors(prototypesToTensors(p), metadata));
  return PROTOTYPES_ARTIFACT;
}

export async function readPrototypes(dir: string): Promise<Prototypes> {
  const file = inFolder(dir, PROTOTYPES_ARTIFACT);
  const p = tensorsToPrototypes(await readTensorsFile(file));
  if (!p) throw new Error(`${file}: no prototypes in file`);
  return p;
}
