// Networks of a run: built from config.network, saved as a model artifact (student weights, plus
// prototypes where the stage has them) that downstream runs read by run id.
import path from 'node:path';
import { promises as fsp } from 'node:fs';
import { SegNet, demoConfig, backbones, type BackboneName, type NamedWeights, type SegNetConfig } from '../../engine/nets';
import type { Prototypes } from '../../engine/proda/prototypes';
import type { RunConfig } from '../../../shared/runs-config';
import { writeFileAtomic } from '../../io/atomic';
import { decodeTensors, encodeTensors, type TensorMap } from '../tensor-file';
import { runPaths } from '../records';
import { MODEL_ARTIFACT } from '../../models/refs';

export function segNetConfig(network: RunConfig['network']): SegNetConfig {
  if (network.arch === 'demo') return demoConfig(network.classes);
  if (!(network.arch in backbones)) throw new Error(`network.arch "${network.arch}" is not one of demo, ${Object.keys(backbones).join(', ')}`);
  return { backbone: network.arch as BackboneName, numClasses: network.classes, bnPretrain: network.bnPretrain };
}

export const buildNet = (network: RunConfig['network'], seed: number, weights?: NamedWeights): SegNet =>
  new SegNet(segNetConfig(network), { seed, weights });

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

export { MODEL_ARTIFACT } from '../../models/refs';
export const PROTOTYPES_ARTIFACT = path.join('artifacts', 'prototypes.safetensors');

/** The final student of a training run (tfjs layout; see main/interop for PyTorch export). */
export async function writeModel(runDir: string, net: SegNet, prototypes?: Prototypes): Promise<string> {
  const t = weightsToTensors('student.', await net.getWeights());
  if (prototypes) prototypesToTensors(prototypes, t);
  await writeFileAtomic(path.join(runDir, MODEL_ARTIFACT), encodeTensors(t, { format: 'proda-workbench model', layout: 'tfjs (conv HWIO)' }));
  return MODEL_ARTIFACT;
}

export async function readTensorsFile(file: string): Promise<TensorMap> {
  let bytes: Uint8Array;
  try {
    // A view, not a copy: copying a ResNet-101's 260 MB held main's event loop for seconds on a loaded machine.
    const buf = await fsp.readFile(file);
    bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch {
    throw new Error(`${file}: missing (did the upstream run finish?)`);
  }
  // Views into the file's buffer: model and prototype readers only read them.
  return decodeTensors(bytes, file, { share: true }).tensors;
}

export async function readModel(runDir: string): Promise<{ weights: NamedWeights; prototypes: Prototypes | null }> {
  const t = await readTensorsFile(path.join(runDir, MODEL_ARTIFACT));
  return { weights: tensorsToWeights('student.', t), prototypes: tensorsToPrototypes(t) };
}

export async function writePrototypes(runDir: string, p: Prototypes): Promise<string> {
  await writeFileAtomic(path.join(runDir, PROTOTYPES_ARTIFACT), encodeTensors(prototypesToTensors(p)));
  return PROTOTYPES_ARTIFACT;
}

export async function readPrototypes(runDir: string): Promise<Prototypes> {
  const p = tensorsToPrototypes(await readTensorsFile(path.join(runDir, PROTOTYPES_ARTIFACT)));
  if (!p) throw new Error(`${path.join(runDir, PROTOTYPES_ARTIFACT)}: no prototypes in file`);
  return p;
}

export const artifactsDir = (runDir: string): string => runPaths(runDir).artifacts;
