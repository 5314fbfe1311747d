// openDataset: one Dataset implementation over the per-format adapters, with the derived-file cache.
import { promises as fsp } from 'node:fs';
import type { ClassSet } from '../../shared/classes';
import { applyLut, classSets } from '../../shared/classes';
import { AppError } from '../../shared/contract/errors';
import type { DatasetFormat, DatasetRef, ImageEntry } from '../../shared/datasets';
import { DatasetRef as DatasetRefSchema } from '../../shared/datasets';
import { ImageFileError, decodeRgb, mimeOf, thumbnailOf } from '../io/png';
import { DerivedCache, packRgb, unpackRgb } from './cache';
import type { AdapterFactory, FormatAdapter, ListResult, RawLabel } from './formats/adapter';
import { cityscapesAdapter } from './formats/cityscapes';
import { demoAdapter } from './formats/demo';
import { folderAdapter } from './formats/folder';
import { gta5Adapter } from './formats/gta5';
import { synthiaAdapter } from './formats/synthia';
import type { Dataset, EncodedImage, LabelMap, OpenDatasetOptions, RgbImage } from './types';
import { realInside } from '../io/paths';

const ADAPTERS: Record<DatasetFormat, AdapterFactory> = {
  demo: demoAdapter,
  cityscapes: cityscapesAdapter,
  gta5: gta5Adapter,
  synthia: synthiaAdapter,
  folder: folderAdapter,
};

/**
 * A dataset file's bytes, or an ImageFileError a person can act on. With `root`, a file that is a
 * symbolic link must lead inside it (a link to /etc/passwd is never served as an image); only regular
 * files are read, and an empty one is named as such rather than left to the decoder's wording.
 */
export async function readFileOrReport(file: string, root?: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    const st = await fsp.lstat(file);
    if (st.isSymbolicLink() && root !== undefined && !(await realInside(root, file))) {
      throw new ImageFileError('unreadable', file, 'symbolic link that leads outside the dataset folder; not read');
    }
    const target = st.isSymbolicLink() ? await fsp.stat(file) : st;
    if (!target.isFile()) throw new ImageFileError('unreadable', file, 'not a regular file; not read');
    bytes = new Uint8Array(await fsp.readFile(file));
  } catch (err) {
    if (err instanceof ImageFileError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new ImageFileError(code === 'ENOENT' ? 'missing-file' : 'unreadable', file, code === 'ENOENT' ? 'file is missing' : `cannot read (${code ?? (err as Error).message})`);
  }
  if (bytes.length === 0) throw new ImageFileError('unreadable', file, 'the file is empty (0 bytes): a copy or download that did not finish?');
  return bytes;
}

export class FileDataset implements Dataset {
  readonly classSet: ClassSet;
  private listing: Promise<ListResult> | undefined;
  private byId: Map<string, ImageEntry> | undefined;
  private readonly cache: DerivedCache | undefined;

  constructor(
    readonly ref: DatasetRef,
    readonly adapter: FormatAdapter,
    opts: OpenDatasetOptions,
  ) {
    this.classSet = classSets[ref.classSet];
    this.cache = opts.cacheDir ? new DerivedCache(opts.cacheDir) : undefined;
  }

  /** Listing plus the problems found while listing (missing folders, unmatched pairs, setup problems). */
  async listWithProblems(): Promise<ListResult> {
    this.listing ??= this.adapter.list().then((r) => ({ entries: r.entries, problems: [...this.adapter.setupProblems, ...r.problems] }));
    return this.listing;
  }

  async list(): Promise<ImageEntry[]> {
    return (await this.listWithProblems()).entries;
  }

  private async entry(id: string): Promise<ImageEntry> {
    if (!this.byId) this.byId = new Map((await this.list()).map((e) => [e.id, e]));
    const e = this.byId.get(id);
    if (!e) throw new AppError('not-found', `${this.ref.root}: no image '${id}' in dataset '${this.ref.name}'`, { where: id });
    return e;
  }

  async readImage(id: string, opts: { width?: number; height?: number } = {}): Promise<RgbImage> {
    const e = await this.entry(id);
    const resize = opts.width !== undefined || opts.height !== undefined;
    if (resize && this.cache) {
      const bytes = await this.cache.get(e.imagePath, `rgb:${opts.width ?? ''}x${opts.height ?? ''}`, 'rgb', async () =>
        packRgb(await decodeRgb(await readFileOrReport(e.imagePath, this.ref.root), e.imagePath, opts)),
      );
      const img = unpackRgb(bytes);
      if (img) return img;
    }
    return decodeRgb(await readFileOrReport(e.imagePath, this.ref.root), e.imagePath, resize ? opts : undefined);
  }

  /** Raw ids as stored (for the check and for format debugging). */
  async readRawLabel(id: string): Promise<RawLabel | null> {
    const e = await this.entry(id);
    if (!e.labelPath) return null;
    return this.adapter.decodeRawLabel(await readFileOrReport(e.labelPath, this.ref.root), e.labelPath);
  }

  async readLabel(id: string): Promise<LabelMap | null> {
    const raw = await this.readRawLabel(id);
    if (!raw) return null;
    return { width: raw.width, height: raw.height, data: applyLut(raw.ids, this.adapter.lut) };
  }

  async encodedImage(id: string): Promise<EncodedImage> {
    const e = await this.entry(id);
    return { mime: mimeOf(e.imagePath), bytes: await readFileOrReport(e.imagePath, this.ref.root) };
  }

  async thumbnail(id: string, maxSide: number): Promise<EncodedImage> {
    if (!Number.isInteger(maxSide) || maxSide < 8 || maxSide > 4096) throw new AppError('validation', `thumbnail: maxSide must be an integer in 8..4096`, { where: 'maxSide' });
    const e = await this.entry(id);
    const make = async (): Promise<Uint8Array> => (await thumbnailOf(await readFileOrReport(e.imagePath, this.ref.root), e.imagePath, maxSide)).bytes;
    const bytes = this.cache ? await this.cache.get(e.imagePath, `thumb:${maxSide}`, 'jpg', make) : await make();
    return { mime: 'image/jpeg', bytes };
  }
}

export async function openDataset(ref: DatasetRef, opts: OpenDatasetOptions = {}): Promise<FileDataset> {
  const parsed = DatasetRefSchema.safeParse(ref);
  if (!parsed.success) throw new AppError('validation', `dataset ref: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const adapter = await ADAPTERS[parsed.data.format](parsed.data, parsed.data.classSet, opts);
  return new FileDataset(parsed.data, adapter, opts);
}
