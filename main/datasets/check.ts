// Dataset check: reads every image and label once and reports counts, sizes, the per-class pixel
// histogram, per-domain colour statistics and every problem, one line per problem naming the file.
// A bad file becomes a problem line; it never aborts the check.
import { IGNORE_LABEL } from '../../shared/classes';
import type { CheckProblem, CheckReport, ColorStats, DatasetRef } from '../../shared/datasets';
import { demoSplits } from '../../shared/datasets';
import { ImageFileError, decodeRgb } from '../io/png';
import { isDir, problem } from './formats/adapter';
import type { FileDataset} from './open';
import { openDataset, readFileOrReport } from './open';
import path from 'node:path';

export interface CheckOptions {
  cacheDir?: string;
  /** Stop listing problems after this many (the count of the rest is reported). Default 1000. */
  maxProblems?: number;
  /** Files decoded concurrently (sharp decodes off the main thread). Default 4. */
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
}

class StatsAcc {
  images = 0;
  n = 0;
  sum = [0, 0, 0];
  sq = [0, 0, 0];
  sat = 0;
  luma = 0;
  grad = 0;
  gradN = 0;

  add(img: { width: number; height: number; data: Uint8Array }): void {
    this.images++;
    // Every second row and column: the statistics are means, and checks of big datasets must stay quick.
    const { width, height, data } = img;
    for (let y = 0; y < height; y += 2) {
      for (let x = 0; x < width; x += 2) {
        const i = (y * width + x) * 3;
        const r = data[i];
        const g = data[i + 1];
        const b = data[i + 2];
        this.sum[0] += r;
        this.sum[1] += g;
        this.sum[2] += b;
        this.sq[0] += r * r;
        this.sq[1] += g * g;
        this.sq[2] += b * b;
        const mx = Math.max(r, g, b);
        this.sat += mx ? (mx - Math.min(r, g, b)) / mx : 0;
        const l = 0.299 * r + 0.587 * g + 0.114 * b;
        this.luma += l;
        if (x + 1 < width) {
          const j = i + 3;
          this.grad += Math.abs(0.299 * data[j] + 0.587 * data[j + 1] + 0.114 * data[j + 2] - l);
          this.gradN++;
        }
        this.n++;
      }
    }
  }

  result(domain: string): ColorStats {
    const n = Math.max(1, this.n);
    const mean = this.sum.map((s) => s / n) as [number, number, number];
    const std = this.sq.map((q, c) => Math.sqrt(Math.max(0, q / n - mean[c] * mean[c]))) as [number, number, number];
    const r2 = (v: number, k = 100): number => Math.round(v * k) / k;
    return {
      domain,
      images: this.images,
      mean: mean.map((v) => r2(v)) as [number, number, number],
      std: std.map((v) => r2(v)) as [number, number, number],
      saturation: r2(this.sat / n, 1000),
      luma: r2(this.luma / n),
      sharpness: r2(this.grad / Math.max(1, this.gradN)),
    };
  }
}

async function splitsToCheck(ref: DatasetRef): Promise<(string | undefined)[]> {
  if (ref.split !== undefined) return [ref.split];
  if (ref.format === 'demo') return [...demoSplits];
  if (ref.format === 'cityscapes') {
    const present: string[] = [];
    for (const s of ['train', 'val']) if (await isDir(path.join(ref.root, 'leftImg8bit', s))) present.push(s);
    return present.length ? present : ['train'];
  }
  return [undefined];
}

export async function checkDataset(ref: DatasetRef, opts: CheckOptions = {}): Promise<CheckReport> {
  const maxProblems = opts.maxProblems ?? 1000;
  const problems: CheckProblem[] = [];
  let omitted = 0;
  // Errors are counted whether or not the cap leaves room to list them: a capped report never passes a bad dataset.
  let errors = 0;
  const report = (p: CheckProblem): void => {
    if (p.severity === 'error') errors++;
    if (problems.length < maxProblems) problems.push(p);
    else omitted++;
  };
  const first = await openDataset(ref, { cacheDir: opts.cacheDir, evalLabels: true });
  const numClasses = first.classSet.numClasses;
  const pixels = new Array<number>(numClasses).fill(0);
  let ignore = 0;
  const sizes = new Map<string, number>();
  const bySplit: Record<string, number> = {};
  const colorStats: ColorStats[] = [];
  let images = 0;
  let labels = 0;
  let pairs = 0;
  if (!(await isDir(ref.root))) {
    report(problem('error', 'missing-folder', ref.root, 'dataset folder does not exist'));
  } else {
    const splits = await splitsToCheck(ref);
    const datasets: { split: string | undefined; ds: FileDataset }[] = [];
    for (const split of splits) {
      datasets.push({ split, ds: split === ref.split ? first : await openDataset({ ...ref, split }, { cacheDir: opts.cacheDir, evalLabels: true }) });
    }
    const listings = await Promise.all(datasets.map(async (d) => ({ ...d, listing: await d.ds.listWithProblems() })));
    const total = listings.reduce((a, l) => a + l.listing.entries.length, 0);
    let done = 0;
    const seenSetup = new Set<string>();
    for (const { split, ds, listing } of listings) {
      for (const p of listing.problems) {
        // Setup problems (class list, manifest) repeat per split; report each once.
        const key = `${p.kind}\0${p.file}\0${p.message}`;
        if (seenSetup.has(key)) continue;
        seenSetup.add(key);
        report(p);
      }
      const name = split ?? ds.ref.split ?? ref.format;
      bySplit[name] = listing.entries.length;
      images += listing.entries.length;
      const stats = new StatsAcc();
      const perEntry: CheckProblem[][] = listing.entries.map(() => []);
      const rawHist = new Float64Array(65536);
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < listing.entries.length) {
          const k = next++;
          const e = listing.entries[k];
          const out = perEntry[k];
          let imgSize: { width: number; height: number } | null = null;
          try {
            const img = await decodeRgb(await readFileOrReport(e.imagePath, ds.ref.root), e.imagePath);
            imgSize = { width: img.width, height: img.height };
            const key = `${img.width}x${img.height}`;
            sizes.set(key, (sizes.get(key) ?? 0) + 1);
            stats.add(img);
          } catch (err) {
            out.push(asProblem(err, e.imagePath));
          }
          if (e.labelPath) {
            try {
              const raw = await ds.readRawLabel(e.id);
              if (raw) {
                labels++;
                const hist = new Map<number, number>();
                const ids = raw.ids;
                for (let i = 0; i < ids.length; i++) rawHist[ids[i]]++;
                for (let i = 0; i < ids.length; i++) {
                  const v = ids[i];
                  if (!ds.adapter.isKnownId(v)) hist.set(v, (hist.get(v) ?? 0) + 1);
                }
                if (hist.size) {
                  const list = [...hist.entries()].sort((a, b) => a[0] - b[0]);
                  const shown = list.slice(0, 6).map(([v, c]) => `${ds.adapter.describeId(v)} (${c} px)`);
                  out.push(
                    problem('error', 'unknown-label-id', e.labelPath, `unknown ${list.length === 1 ? 'id' : 'ids'} ${shown.join(', ')}${list.length > 6 ? `, and ${list.length - 6} more` : ''}; read as void`),
                  );
                }
                if (imgSize && (imgSize.width !== raw.width || imgSize.height !== raw.height)) {
                  out.push(
                    problem(ds.adapter.sizeMismatchSeverity, 'size-mismatch', e.labelPath, `label is ${raw.width}×${raw.height} but its image ${e.imagePath} is ${imgSize.width}×${imgSize.height}`),
                  );
                } else if (imgSize) {
                  pairs++;
                }
              }
            } catch (err) {
              out.push(asProblem(err, e.labelPath));
            }
          }
          opts.onProgress?.(++done, total);
        }
      };
      await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 4) }, worker));
      for (const ps of perEntry) for (const p of ps) report(p);
      const lut = ds.adapter.lut;
      for (let v = 0; v < rawHist.length; v++) {
        if (!rawHist[v]) continue;
        const t = v < lut.length ? lut[v] : IGNORE_LABEL;
        if (t < numClasses) pixels[t] += rawHist[v];
        else ignore += rawHist[v];
      }
      if (stats.images) colorStats.push(stats.result(name));
    }
  }
  if (images === 0 && !problems.some((p) => p.kind === 'missing-folder' || p.kind === 'bad-manifest')) {
    report(problem('error', 'no-images', ref.root, 'no images found'));
  }
  const totalPx = pixels.reduce((a, b) => a + b, 0) + ignore;
  return {
    root: ref.root,
    format: ref.format,
    classSet: ref.classSet,
    // A dataset without a single image never passes, whatever else was (not) found.
    ok: images > 0 && errors === 0,
    counts: { images, labels, pairs, bySplit },
    sizes: [...sizes.entries()].map(([k, count]) => {
      const [width, height] = k.split('x').map(Number);
      return { width, height, count };
    }),
    histogram: { classNames: [...first.classSet.names], pixels, ignore, total: totalPx },
    colorStats,
    problems,
    problemsOmitted: omitted,
  };
}

function asProblem(err: unknown, file: string): CheckProblem {
  if (err instanceof ImageFileError) return problem('error', err.problem, file, err.message.startsWith(`${file}: `) ? err.message.slice(file.length + 2) : err.message);
  return problem('error', 'unreadable', file, (err as Error).message ?? String(err));
}
