// TEMPORARY until main/datasets exports openDataset (issue 3): a plain folder of PNG/JPEG images.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { AppError } from '../../shared/contract/errors';
import { classSets } from '../../shared/classes';
import type { DatasetRef, ImageEntry } from '../../shared/datasets';
import type { Dataset, OpenDatasetOptions } from '../datasets/types';

const IMAGE_EXT = new Map([['.png', 'image/png'], ['.jpg', 'image/jpeg'], ['.jpeg', 'image/jpeg']]);

export async function openDataset(ref: DatasetRef, _opts: OpenDatasetOptions = {}): Promise<Dataset> {
  const files: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await fsp.readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
      throw new AppError('not-found', `${dir}: cannot read dataset folder (${err.code})`, { where: dir });
    });
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (IMAGE_EXT.has(path.extname(e.name).toLowerCase())) files.push(path.relative(ref.root, p).split(path.sep).join('/'));
    }
  };
  await walk(ref.root);
  files.sort();
  const known = new Set(files);
  const abs = (id: string): string => {
    if (!known.has(id)) throw new AppError('not-found', `image ${id} is not in dataset ${ref.id}`, { where: id });
    return path.join(ref.root, id);
  };
  return {
    ref,
    classSet: classSets[ref.classSet],
    list: async (): Promise<ImageEntry[]> =>
      files.map((id) => ({ id, name: path.basename(id, path.extname(id)), imagePath: path.join(ref.root, id), labelPath: null })),
    readImage: async (id, o) => {
      let img = sharp(abs(id)).removeAlpha().toColourspace('srgb');
      if (o?.width && o?.height) img = img.resize(o.width, o.height, { fit: 'fill' });
      const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
      return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
    },
    readLabel: async () => null,
    encodedImage: async (id) => ({ mime: IMAGE_EXT.get(path.extname(id).toLowerCase()) ?? 'application/octet-stream', bytes: await fsp.readFile(abs(id)) }),
    thumbnail: async (id, maxSide) => ({
      mime: 'image/jpeg',
      bytes: await sharp(abs(id)).resize(maxSide, maxSide, { fit: 'inside' }).jpeg({ quality: 80 }).toBuffer(),
    }),
  };
}

export async function checkDataset(_ref: DatasetRef): Promise<never> {
  throw new AppError('internal', 'dataset check is not available in this build');
}
