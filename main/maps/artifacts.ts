// Official ProDA artifacts for one image, found by its basename in a folder (searched two levels
// deep, so a run's artifacts/ with sub-folders works too):
//   <basename>.npy       soft pseudo-label, C×h×w (or 1×C×h×w) float32/float16 softmax at output resolution
//   <basename>.png       hard pseudo-label, uint8 train ids at image resolution (250 = ignore)
//   <basename>_conf.npy  its confidence, h×w float16
// plus prototypes as a C×D .npy (the official file is a torch pickle; convert it once with numpy).
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { AppError } from '../../shared/contract/errors';
import { readNpyFile } from '../io/npy';
import type { NpyArray } from '../io/npy';
import { decodeLabel8 } from '../io/png';
import type { ChwMap, PlainLabels } from './compose';

export interface ArtifactIndex {
  dir: string;
  /** file name → absolute path (first found, shallowest first). */
  files: Map<string, string>;
}

export async function indexArtifacts(dir: string): Promise<ArtifactIndex> {
  const files = new Map<string, string>();
  const walk = async (d: string, depth: number): Promise<void> => {
    let entries;
    try {
      entries = await fsp.readdir(d, { withFileTypes: true });
    } catch (err) {
      if (depth === 0) throw new AppError('not-found', `${d}: cannot read the artifacts folder (${(err as NodeJS.ErrnoException).code})`, { where: d });
      return;
    }
    const subdirs: string[] = [];
    for (const e of entries) {
      if (e.isFile() && !files.has(e.name)) files.set(e.name, path.join(d, e.name));
      else if (e.isDirectory()) subdirs.push(path.join(d, e.name));
    }
    if (depth < 2) for (const s of subdirs.sort()) await walk(s, depth + 1);
  };
  await walk(dir, 0);
  return { dir, files };
}

const toF32 = (a: NpyArray, file: string): Float32Array => {
  if (a.data instanceof Float32Array) return a.data;
  if (a.data instanceof Float64Array || a.dtype === 'float16') return Float32Array.from(a.data as ArrayLike<number>);
  throw new AppError('bad-input', `${file}: expected a float array, found ${a.dtype}`, { where: file });
};

export async function readSoft(file: string, numClasses: number): Promise<ChwMap> {
  const a = await readNpyFile(file);
  const shape = a.shape.length === 4 && a.shape[0] === 1 ? a.shape.slice(1) : a.shape;
  if (shape.length !== 3 || shape[0] !== numClasses) {
    throw new AppError('bad-input', `${file}: expected a soft pseudo-label of shape ${numClasses}×H×W, found ${a.shape.join('×')}`, { where: file });
  }
  return { channels: shape[0], height: shape[1], width: shape[2], data: toF32(a, file) };
}

export async function readConf(file: string): Promise<{ width: number; height: number; data: Float32Array }> {
  const a = await readNpyFile(file);
  if (a.shape.length !== 2) throw new AppError('bad-input', `${file}: expected an H×W confidence map, found ${a.shape.join('×')}`, { where: file });
  return { height: a.shape[0], width: a.shape[1], data: toF32(a, file) };
}

export async function readHard(file: string): Promise<PlainLabels> {
  return decodeLabel8(new Uint8Array(await fsp.readFile(file)), file);
}

export async function readPrototypes(file: string, numClasses: number): Promise<{ data: Float32Array; classes: number; dims: number }> {
  const a = await readNpyFile(file);
  if (a.shape.length !== 2 || a.shape[0] !== numClasses) {
    throw new AppError('bad-input', `${file}: expected ${numClasses}×D prototypes, found ${a.shape.join('×')}`, { where: file });
  }
  return { classes: a.shape[0], dims: a.shape[1], data: toF32(a, file) };
}

export interface ImageArtifacts {
  soft: ChwMap | null;
  hard: PlainLabels | null;
  conf: { width: number; height: number; data: Float32Array } | null;
}

/** Reads whatever artifacts exist for an image under any of its candidate basenames. */
export async function readImageArtifacts(index: ArtifactIndex, basenames: readonly string[], numClasses: number): Promise<ImageArtifacts> {
  const find = (suffix: string) => {
    for (const b of basenames) {
      const f = index.files.get(`${b}${suffix}`);
      if (f) return f;
    }
    return null;
  };
  const softF = find('.npy');
  const hardF = find('.png');
  const confF = find('_conf.npy');
  return {
    soft: softF ? await readSoft(softF, numClasses) : null,
    hard: hardF ? await readHard(hardF) : null,
    conf: confF ? await readConf(confF) : null,
  };
}

/** Candidate basenames: the dataset's display name and the image file's own stem. */
export function basenamesOf(imageId: string, displayName: string): string[] {
  const stem = path.basename(imageId, path.extname(imageId));
  return [...new Set([displayName, stem])];
}
