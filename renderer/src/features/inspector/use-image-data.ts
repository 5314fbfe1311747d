// Loads what the inspector needs for one image: the photo (decoded off the main thread by
// createImageBitmap) and its maps from main. Stale responses for an image already left are dropped.
import { useEffect, useState } from 'react';
import type { ContractClient, ResponseOf } from '../../../../shared/contract/index';
import type { ImageRef, MapSource } from '../../../../shared/contract/maps';

export type MapsResponse = ResponseOf<'maps.get'>;

export interface ImageData {
  photo: ImageBitmap | null;
  maps: MapsResponse | null;
  error: string | null;
  loading: boolean;
  /** What main is doing while it computes the maps. */
  progress: string | null;
}

export function useImageData(client: ContractClient, source: MapSource | null, image: ImageRef | null): ImageData {
  const [state, setState] = useState<ImageData>({ photo: null, maps: null, error: null, loading: false, progress: null });
  const sourceKey = JSON.stringify(source);
  useEffect(() => {
    if (!image) return;
    let live = true;
    setState((s) => ({ ...s, loading: true, error: null }));
    const photo = client
      .call('images.get', { datasetId: image.datasetId, imageId: image.imageId })
      .then((enc) => createImageBitmap(new Blob([enc.bytes as Uint8Array<ArrayBuffer>], { type: enc.mime })));
    const jobId = `maps-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
    const off = client.subscribe('maps.progress', (p) => {
      if (p.jobId === jobId && live) setState((s) => ({ ...s, progress: `${p.message} (${p.done}/${p.total})` }));
    });
    const maps = source ? client.call('maps.get', { source, image, jobId }) : Promise.resolve(null);
    Promise.all([photo, maps]).then(
      ([p, m]) => live && setState({ photo: p, maps: m, error: null, loading: false, progress: null }),
      (err: unknown) => live && setState((s) => ({ ...s, error: err instanceof Error ? err.message : String(err), loading: false, progress: null })),
    ).finally(off);
    return () => {
      live = false;
      off();
      // Leaving the image stops its computation between steps.
      if (source) void client.call('maps.cancel', { jobId }).catch(() => {});
    };
    // sourceKey stands for source: a new object with the same content must not reload.
  }, [client, sourceKey, image?.datasetId, image?.imageId]);
  return state;
}
