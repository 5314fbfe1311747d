// "Start over from…": ground truth, empty, a finished run's prediction or denoised pseudo-label (via
// maps.get), a layer the host already has, or an imported label PNG.
import { useEffect, useRef, useState } from 'react';
import { resizeNearest } from '../../../../shared/annotation/raster';
import type { ContractClient } from '../../../../shared/contract/index';
import type { LabelExportFormat, LabelStart } from '../../../../shared/contract/labels';
import type { AnnotationSession } from './session';

export interface StartLayer {
  label: string;
  width: number;
  height: number;
  data: Uint8Array;
}

interface Props {
  client: ContractClient;
  session: AnnotationSession;
  width: number;
  height: number;
  layers?: readonly StartLayer[];
  onError: (message: string) => void;
}

const RUN_LAYERS = [
  ['pred', 'prediction'],
  ['denoised', 'denoised pseudo-label'],
] as const;

export function StartMenu({ client, session, width, height, layers = [], onError }: Props) {
  const [runs, setRuns] = useState<{ id: string; name: string | null }[]>([]);
  const file = useRef<HTMLInputElement>(null);
  const [importFormat, setImportFormat] = useState<LabelExportFormat>('trainId');

  useEffect(() => {
    let live = true;
    client.call('runs.list', {}).then(
      (rs) => live && setRuns(rs.filter((r) => r.state === 'succeeded' || r.iteration > 0).map((r) => ({ id: r.id, name: r.name }))),
      () => undefined, // no runs service or no runs: only the other choices
    );
    return () => {
      live = false;
    };
  }, [client]);

  const confirmReset = () => window.confirm('Start this image over? Its corrections and undo history are replaced.');

  const fromLayer = (l: StartLayer) => {
    const r = resizeNearest(l, width, height);
    const start: LabelStart = { source: 'layer', label: l.label, width, height, data: r.data };
    return session.reset(start);
  };

  const choose = async (v: string) => {
    if (!v) return;
    if (v === 'import') return file.current?.click();
    if (!confirmReset()) return;
    try {
      if (v === 'ground-truth' || v === 'empty') return await session.reset({ source: v });
      if (v.startsWith('host:')) return await fromLayer(layers[Number(v.slice(5))]);
      if (v.startsWith('run:')) {
        const [, runId, layer] = v.split(':');
        const maps = await client.call('maps.get', {
          source: { kind: 'run', runId },
          image: { datasetId: session.datasetId, imageId: session.imageId },
          layers: [layer as 'pred' | 'denoised'],
        });
        const got = maps.layers.find((l) => l.kind === 'label' && l.id === layer);
        if (!got || got.kind !== 'label') throw new Error(`run ${runId} has no ${layer} layer for this image`);
        return await fromLayer({ label: `run ${runId}: ${RUN_LAYERS.find((x) => x[0] === layer)?.[1] ?? layer}`, width: got.width, height: got.height, data: got.data });
      }
    } catch (err) {
      onError(err instanceof Error ? err.message : String(err));
    }
  };

  const onFile = async (f: File | undefined) => {
    if (!f || !confirmReset()) return;
    try {
      const bytes = new Uint8Array(await f.arrayBuffer());
      await client.call('labels.import', { datasetId: session.datasetId, imageId: session.imageId, format: importFormat, bytes, name: f.name });
      await session.load();
    } catch (err) {
      onError(err instanceof Error ? err.message : String(err));
    }
  };

  return (
    <>
      <select aria-label="start over from" data-testid="start-select" value="" onChange={(e) => void choose(e.target.value)}>
        <option value="">start over from…</option>
        <option value="ground-truth">ground truth</option>
        <option value="empty">empty (all ignore)</option>
        {layers.map((l, i) => (
          <option key={`h${i}`} value={`host:${i}`}>
            {l.label}
          </option>
        ))}
        {runs.flatMap((r) =>
          RUN_LAYERS.map(([id, title]) => (
            <option key={`${r.id}:${id}`} value={`run:${r.id}:${id}`}>
              run {r.name ?? r.id}: {title}
            </option>
          )),
        )}
        <option value="import">import a label PNG…</option>
      </select>
      <select aria-label="import format" value={importFormat} onChange={(e) => setImportFormat(e.target.value as LabelExportFormat)} title="format of an imported PNG">
        <option value="trainId">trainId</option>
        <option value="labelId">labelId</option>
        <option value="color">colour</option>
      </select>
      <input ref={file} type="file" accept="image/png" hidden data-testid="import-file" onChange={(e) => void onFile(e.target.files?.[0])} />
    </>
  );
}
