// Writes the built-in benchmark as a dataset folder:
//   <out>/demo.json                        manifest (written last: its presence means the folder is complete)
//   <out>/source/images/000000.png         RGB, source domain (GTA5-like), labels are training data
//   <out>/source/labels/000000.png         8-bit grey PNG of 19-class train ids, 250 = void
//   <out>/target-train/{images,labels}/    target domain (Cityscapes-like); labels are for evaluation/oracle only
//   <out>/target-val/{images,labels}/      target domain, held out for evaluation
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { AppError } from '../../../shared/contract/errors';
import type { DemoManifest, DemoSplit } from '../../../shared/datasets';
import { DemoManifest as DemoManifestSchema, demoSplits } from '../../../shared/datasets';
import { writeFileAtomic, writeJsonAtomic } from '../../io/atomic';
import { encodePng } from '../../io/png';
import { renderScene } from './scene';
import { jsonFault } from '../../io/json';

/** Bump whenever drawing changes, so a folder made by older code is recognised as different data. */
export const DEMO_GENERATOR = 'proda-demo-street/4';
export const DEMO_DEFAULTS = { width: 256, height: 128, count: 400 } as const;
/** Train ids the generator can draw (rider, bicycle, truck, bus appear in a minority of images). */
export const DEMO_CLASSES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 18];

export interface MakeDemoOptions {
  out: string;
  seed: number;
  width?: number;
  height?: number;
  /** Images per training split (source and target-train); target-val gets half as many. */
  count?: number;
  /** Explicit target-val size (default ceil(count / 2)). */
  valCount?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface MakeDemoResult {
  manifest: DemoManifest;
  /** False when a complete identical demo already existed and nothing was written. */
  written: boolean;
  ms: number;
}

export const demoFileName = (index: number): string => `${String(index).padStart(6, '0')}.png`;

function validate(opts: MakeDemoOptions): { width: number; height: number; count: number; valCount: number } {
  const width = opts.width ?? DEMO_DEFAULTS.width;
  const height = opts.height ?? DEMO_DEFAULTS.height;
  const count = opts.count ?? DEMO_DEFAULTS.count;
  const valCount = opts.valCount ?? Math.ceil(count / 2);
  const checks: [boolean, string, string][] = [
    [Number.isInteger(opts.seed) && opts.seed >= 0 && opts.seed <= 0xffffffff, 'seed', 'an integer in 0..4294967295'],
    [Number.isInteger(width) && width >= 32 && width <= 4096, 'width', 'an integer in 32..4096'],
    [Number.isInteger(height) && height >= 16 && height <= 4096, 'height', 'an integer in 16..4096'],
    [Number.isInteger(count) && count >= 1 && count <= 100000, 'count', 'an integer in 1..100000'],
    [Number.isInteger(valCount) && valCount >= 1 && valCount <= 100000, 'valCount', 'an integer in 1..100000'],
  ];
  for (const [ok, field, what] of checks) if (!ok) throw new AppError('validation', `makeDemo: ${field} must be ${what}`, { where: field });
  return { width, height, count, valCount };
}

export async function readDemoManifest(root: string): Promise<DemoManifest> {
  const file = path.join(root, 'demo.json');
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch {
    throw new AppError('not-found', `${file}: no demo manifest (make one with: proda dataset make-demo --out ${root} --seed 1)`, { where: file });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new AppError('bad-input', `${file}: not valid JSON (${jsonFault(err)})`, { where: file });
  }
  const parsed = DemoManifestSchema.safeParse(json);
  if (!parsed.success) {
    throw new AppError('bad-input', `${file}: not a demo manifest (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})`, {
      where: file,
    });
  }
  return parsed.data;
}

export async function makeDemo(opts: MakeDemoOptions): Promise<MakeDemoResult> {
  const t0 = performance.now();
  const { width, height, count, valCount } = validate(opts);
  const counts: Record<DemoSplit, number> = { source: count, 'target-train': count, 'target-val': valCount };
  const manifest: DemoManifest = {
    format: 'proda-demo',
    version: 1,
    seed: opts.seed,
    width,
    height,
    generator: DEMO_GENERATOR,
    classSet: '19',
    splits: {
      source: { count: counts.source, dir: 'source', labels: 'train' },
      'target-train': { count: counts['target-train'], dir: 'target-train', labels: 'eval-only' },
      'target-val': { count: counts['target-val'], dir: 'target-val', labels: 'eval-only' },
    },
    classesPresent: DEMO_CLASSES,
  };
  const existing = await readDemoManifest(opts.out).catch(() => null);
  if (existing && JSON.stringify(existing) === JSON.stringify(manifest)) return { manifest, written: false, ms: performance.now() - t0 };
  if (existing) {
    throw new AppError('conflict', `${opts.out}: holds a different demo (seed ${existing.seed}, ${existing.width}×${existing.height}); choose an empty folder`, {
      where: opts.out,
    });
  }
  const total = counts.source + counts['target-train'] + counts['target-val'];
  let done = 0;
  for (const split of demoSplits) {
    const dir = path.join(opts.out, manifest.splits[split].dir);
    for (let i = 0; i < counts[split]; i++) {
      const s = renderScene(opts.seed, split, i, width, height);
      const name = demoFileName(i);
      await writeFileAtomic(path.join(dir, 'images', name), encodePng({ width, height, colorType: 2, bitDepth: 8, data: s.rgb }));
      await writeFileAtomic(path.join(dir, 'labels', name), encodePng({ width, height, colorType: 0, bitDepth: 8, data: s.label }));
      opts.onProgress?.(++done, total);
    }
  }
  await writeJsonAtomic(path.join(opts.out, 'demo.json'), manifest);
  return { manifest, written: true, ms: performance.now() - t0 };
}
