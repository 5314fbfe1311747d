// Per-source cache under <workspace>/cache/maps/<source-key>/: one tensor file per image (its layers)
// and stats.json (per-image statistics for triage). Safe to delete; written atomically.
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { ImageStats, MapLayer } from '../../shared/contract/maps';
import { writeFileAtomic, writeJsonAtomic } from '../io/atomic';
import { decodeTensors, encodeTensors } from '../artifacts/safetensors';
import type { TensorMap } from '../artifacts/safetensors';
import { resolveInside } from '../io/paths';

const CACHE_VERSION = 1;

const imageKey = (imageId: string): string =>
  `${imageId.replace(/[^A-Za-z0-9._-]+/g, '_').slice(-80)}-${createHash('sha1').update(imageId).digest('hex').slice(0, 10)}`;

export class MapsStore {
  constructor(readonly dir: string) {}

  private mapFile(datasetId: string, imageId: string): string {
    return resolveInside(this.dir, datasetId, `${imageKey(imageId)}.safetensors`);
  }

  async readMaps(datasetId: string, imageId: string): Promise<{ layers: MapLayer[]; meta: Record<string, string> } | null> {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await fsp.readFile(this.mapFile(datasetId, imageId)));
    } catch {
      return null;
    }
    try {
      const { tensors, metadata } = decodeTensors(bytes, this.mapFile(datasetId, imageId));
      if (metadata.version !== String(CACHE_VERSION) || metadata.imageId !== imageId) return null;
      const kinds = JSON.parse(metadata.kinds ?? '{}') as Record<string, MapLayer['kind']>;
      const layers: MapLayer[] = [];
      for (const [id, t] of Object.entries(tensors)) {
        const kind = kinds[id];
        if (kind === 'label') layers.push({ kind, id: id as never, height: t.shape[0], width: t.shape[1], data: t.data as Uint8Array });
        else if (kind === 'scalar') layers.push({ kind, id: id as never, height: t.shape[0], width: t.shape[1], data: t.data as Float32Array });
        else if (kind === 'vector') layers.push({ kind, id: id as never, channels: t.shape[0], height: t.shape[1], width: t.shape[2], data: t.data as Float32Array });
      }
      return { layers, meta: metadata };
    } catch {
      // A damaged cache file is recomputed, never trusted.
      return null;
    }
  }

  async writeMaps(datasetId: string, imageId: string, layers: readonly MapLayer[], meta: Record<string, string>): Promise<void> {
    const tensors: TensorMap = {};
    const kinds: Record<string, string> = {};
    for (const l of layers) {
      kinds[l.id] = l.kind;
      tensors[l.id] = { shape: l.kind === 'vector' ? [l.channels, l.height, l.width] : [l.height, l.width], data: l.data };
    }
    const file = this.mapFile(datasetId, imageId);
    await fsp.mkdir(path.dirname(file), { recursive: true });
    await writeFileAtomic(file, encodeTensors(tensors, { ...meta, version: String(CACHE_VERSION), imageId, kinds: JSON.stringify(kinds) }));
  }

  private statsFile(datasetId: string): string {
    return resolveInside(this.dir, datasetId, 'stats.json');
  }

  async readStats(datasetId: string): Promise<Record<string, ImageStats>> {
    try {
      const raw = JSON.parse(await fsp.readFile(this.statsFile(datasetId), 'utf8')) as { version: number; images: Record<string, ImageStats> };
      return raw.version === CACHE_VERSION ? raw.images : {};
    } catch {
      return {};
    }
  }

  async writeStats(datasetId: string, images: Record<string, ImageStats>): Promise<void> {
    await fsp.mkdir(path.dirname(this.statsFile(datasetId)), { recursive: true });
    await writeJsonAtomic(this.statsFile(datasetId), { version: CACHE_VERSION, images });
  }
}
