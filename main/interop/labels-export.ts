// Label maps out, in the layouts other tools read:
//
//  cityscapes/gtFine/<split>/<city>/<prefix>_gtFine_labelIds.png       labelIds (what the Cityscapes reader
//             ..._gtFine_instanceIds.png                                and cityscapesScripts read as ground truth;
//             ..._gtFine_labelTrainIds.png, ..._gtFine_color.png        its evaluator also opens instanceIds, 16-bit:
//                                                                       a predicted map has no instances, so every
//                                                                       pixel is its labelId, the encoding Cityscapes
//                                                                       uses for regions without an instance id)
//  cityscapes/results/<city>/<prefix>_leftImg8bit.png                  labelIds, one file per image, so
//                                                                       cityscapesScripts' prediction glob
//                                                                       `<city>_<seq>_<frame>*.png` finds exactly
//                                                                       one (CITYSCAPES_RESULTS=<out>/cityscapes/results)
//  cityscapes/conf/<city>/<prefix>_conf.png                             confidence, 16-bit grey, value·65535
//  proda/<basename>.png, <basename>_color.png, <basename>_conf.npy      the official generate_pseudo_label.py layout
//  proda/<basename>.npy                                                 (soft labels, C×h×w float32, when given)
//
// <basename> is the image file name without extension (aachen_000000_000019_leftImg8bit), <prefix> the same
// without the trailing `_leftImg8bit`, exactly how the official loader and cityscapesScripts pair files.
import path from 'node:path';
import { IGNORE_LABEL, type ClassSetId, classSets, colorize } from '../../shared/classes';
import type { ImageEntry } from '../../shared/datasets';
import { writeFileAtomic } from '../io/atomic';
import { writeNpy } from '../io/npy';
import { encodePng } from '../io/png';

export const labelLayouts = ['cityscapes', 'proda'] as const;
export type LabelLayout = (typeof labelLayouts)[number];

export interface LabelExportItem {
  entry: Pick<ImageEntry, 'id' | 'imagePath'> & Partial<Pick<ImageEntry, 'split' | 'group'>>;
  width: number;
  height: number;
  /** Train ids of `classSet`, row-major; 250 = ignore. */
  trainIds: Uint8Array;
  /** Max softmax probability per pixel, row-major, same size as trainIds. */
  confidence?: Float32Array;
  /** Softmax at model resolution, C×h×w (channel-first, as ProDA's `.npy` soft labels). */
  soft?: { channels: number; height: number; width: number; data: Float32Array };
}

export interface LabelExportOptions {
  outDir: string;
  classSet: ClassSetId;
  layouts: readonly LabelLayout[];
}

/** `aachen_000000_000019_leftImg8bit` for `.../aachen/aachen_000000_000019_leftImg8bit.png`. */
const imageBasename = (imagePath: string): string => path.basename(imagePath).replace(/\.[^.]+$/, '');
/** The Cityscapes frame prefix (`aachen_000000_000019`); other datasets keep the whole basename. */
const cityscapesPrefix = (imagePath: string): string => imageBasename(imagePath).replace(/_leftImg8bit$/, '');

/** Train id → Cityscapes labelId; ignore (and anything outside the set) → 0 ('unlabeled'). */
function toLabelIds(trainIds: Uint8Array, set: ClassSetId): Uint8Array {
  const lut = new Uint8Array(256);
  classSets[set].cityscapesLabelIds.forEach((id, k) => (lut[k] = id));
  const out = new Uint8Array(trainIds.length);
  for (let i = 0; i < trainIds.length; i++) out[i] = lut[trainIds[i]];
  return out;
}

function validate(item: LabelExportItem, set: ClassSetId): void {
  const n = item.width * item.height;
  const where = item.entry.imagePath;
  if (item.trainIds.length !== n) throw new Error(`${where}: label has ${item.trainIds.length} pixels, expected ${item.width}×${item.height}`);
  const classes = classSets[set].numClasses;
  for (let i = 0; i < n; i++) {
    const v = item.trainIds[i];
    if (v >= classes && v !== IGNORE_LABEL) throw new Error(`${where}: train id ${v} at pixel ${i} is outside the ${set}-class set`);
  }
  if (item.confidence && item.confidence.length !== n) throw new Error(`${where}: confidence map size differs from the label`);
  if (item.soft) {
    const s = item.soft;
    if (s.channels !== classes || s.data.length !== s.channels * s.height * s.width) {
      throw new Error(`${where}: soft label must be ${classes}×h×w, got ${s.channels}×${s.height}×${s.width} (${s.data.length} values)`);
    }
  }
}

/** Writes one image's files; returns their paths relative to outDir. */
async function exportLabelItem(item: LabelExportItem, opts: LabelExportOptions): Promise<string[]> {
  validate(item, opts.classSet);
  const { width, height, trainIds } = item;
  const written: string[] = [];
  const put = async (rel: string, bytes: Uint8Array): Promise<void> => {
    await writeFileAtomic(path.join(opts.outDir, rel), bytes);
    written.push(rel);
  };
  const grey = (data: Uint8Array): Uint8Array => encodePng({ width, height, colorType: 0, bitDepth: 8, data });
  const colour = encodePng({ width, height, colorType: 2, bitDepth: 8, data: colorize(trainIds, opts.classSet) });
  const base = imageBasename(item.entry.imagePath);
  const prefix = cityscapesPrefix(item.entry.imagePath);
  const city = item.entry.group ?? '';
  const split = item.entry.split ?? 'val';

  if (opts.layouts.includes('cityscapes')) {
    const ids = toLabelIds(trainIds, opts.classSet);
    const labelIds = grey(ids);
    const gt = path.join('cityscapes', 'gtFine', split, city);
    await put(path.join(gt, `${prefix}_gtFine_labelIds.png`), labelIds);
    await put(path.join(gt, `${prefix}_gtFine_instanceIds.png`), encodePng({ width, height, colorType: 0, bitDepth: 16, data: Uint16Array.from(ids) }));
    await put(path.join(gt, `${prefix}_gtFine_labelTrainIds.png`), grey(trainIds));
    await put(path.join(gt, `${prefix}_gtFine_color.png`), colour);
    await put(path.join('cityscapes', 'results', city, `${prefix}_leftImg8bit.png`), labelIds);
    if (item.confidence) {
      const c16 = new Uint16Array(width * height);
      for (let i = 0; i < c16.length; i++) c16[i] = Math.round(Math.min(1, Math.max(0, item.confidence[i])) * 65535);
      await put(path.join('cityscapes', 'conf', city, `${prefix}_conf.png`), encodePng({ width, height, colorType: 0, bitDepth: 16, data: c16 }));
    }
  }
  if (opts.layouts.includes('proda')) {
    // Flat folder, as generate_pseudo_label.py writes Pseudo/<name>/ and the dataset loader matches by basename.
    await put(path.join('proda', `${base}.png`), grey(trainIds));
    await put(path.join('proda', `${base}_color.png`), colour);
    if (item.confidence) await put(path.join('proda', `${base}_conf.npy`), writeNpy({ dtype: 'float16', shape: [height, width], data: item.confidence }));
    if (item.soft) {
      const s = item.soft;
      await put(path.join('proda', `${base}.npy`), writeNpy({ dtype: 'float32', shape: [s.channels, s.height, s.width], data: s.data }));
    }
  }
  return written;
}

/** Exports every item in order; `onProgress(done, total)` after each image. */
export async function exportLabels(
  items: Iterable<LabelExportItem> | AsyncIterable<LabelExportItem>,
  opts: LabelExportOptions & { total?: number; onProgress?: (done: number, total: number) => void; cancelled?: () => boolean },
): Promise<{ images: number; files: string[] }> {
  const files: string[] = [];
  let done = 0;
  for await (const item of items) {
    if (opts.cancelled?.()) throw new Error('label export cancelled');
    files.push(...(await exportLabelItem(item, opts)));
    done++;
    opts.onProgress?.(done, opts.total ?? done);
  }
  return { images: done, files };
}
