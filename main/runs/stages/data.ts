// Images and labels of a run's datasets, decoded once and kept in a bounded cache (a demo dataset
// fits; a Cityscapes-size one streams), and their conversion to input tensors.
import type { DatasetRef, DatasetRole } from '../../../shared/datasets';
import type { RunDataset } from '../../../shared/runs-config';
import type { Dataset, LabelMap, OpenDatasetOptions, RgbImage } from '../../datasets/types';
import { toDatasetRef } from '../dataset-refs';

export type DatasetOpener = (ref: DatasetRef, opts: OpenDatasetOptions) => Promise<Dataset>;

class Lru<V> {
  private map = new Map<string, { v: V; bytes: number }>();
  private bytes = 0;
  constructor(private readonly maxBytes: number) {}
  get(k: string): V | undefined {
    const e = this.map.get(k);
    if (!e) return undefined;
    this.map.delete(k);
    this.map.set(k, e);
    return e.v;
  }
  set(k: string, v: V, bytes: number): void {
    this.map.set(k, { v, bytes });
    this.bytes += bytes;
    for (const [key, e] of this.map) {
      if (this.bytes <= this.maxBytes) break;
      this.map.delete(key);
      this.bytes -= e.bytes;
    }
  }
}

export class ImageSource {
  private readonly images: Lru<RgbImage>;
  private readonly labels: Lru<LabelMap | null>;
  private constructor(
    readonly dataset: Dataset,
    readonly ids: string[],
    cacheMb: number,
  ) {
    this.images = new Lru(cacheMb * 2 ** 20);
    this.labels = new Lru((cacheMb / 3) * 2 ** 20);
  }

  static async open(open: DatasetOpener, d: RunDataset, role: DatasetRole, opts: OpenDatasetOptions & { cacheMb?: number } = {}): Promise<ImageSource> {
    const ds = await open(toDatasetRef(d, role), opts);
    const ids = (await ds.list()).map((e) => e.id);
    if (ids.length === 0) throw new Error(`${d.root}${d.split ? ` (${d.split})` : ''}: no images`);
    return new ImageSource(ds, ids, opts.cacheMb ?? 384);
  }

  get size(): number {
    return this.ids.length;
  }

  async image(i: number): Promise<RgbImage> {
    const id = this.ids[i];
    let img = this.images.get(id);
    if (!img) {
      img = await this.dataset.readImage(id);
      this.images.set(id, img, img.data.byteLength);
    }
    return img;
  }

  async label(i: number): Promise<LabelMap | null> {
    const id = this.ids[i];
    let l = this.labels.get(id);
    if (l === undefined) {
      l = await this.dataset.readLabel(id);
      this.labels.set(id, l, l?.data.byteLength ?? 16);
    }
    return l;
  }

  async requireLabel(i: number): Promise<LabelMap> {
    const l = await this.label(i);
    if (!l) throw new Error(`${this.dataset.ref.root}: image ${this.ids[i]} has no readable label`);
    return l;
  }
}

// Tensor conversions live in the engine (tfjs stays inside main/engine); training imports them from here.
export { inputTensor, labelTensor, pixelWeightTensor, softLabelTensor } from '../../engine/predict/input';
