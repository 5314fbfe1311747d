// The image list ordered for triage: by per-image mIoU, mean confidence, flipped share, or a chosen
// class's presence or IoU, with a presence filter. Clicking a row opens the image in the inspector.
import { useState } from 'react';
import type { ContractClient } from '../../../../shared/contract/index';
import type { ImageStats, MapSource } from '../../../../shared/contract/maps';
import { Progress, useMapsJob } from './use-maps-job';
import { noFlipsSummary, sortKeyTitles, sortKeys, triage, valueOf, whyNoValue } from './triage';
import type { SortKey, TriageQuery } from './triage';
import { defaultQuery } from './triage';

const pct = (v: number | null) => (v === null ? '–' : `${(v * 100).toFixed(1)}`);

export function TriagePanel(props: {
  client: ContractClient;
  source: MapSource;
  datasetId: string;
  selected: string | null;
  onOpen: (imageId: string) => void;
  /** Receives the statistics (for next-worst navigation) once loaded. */
  onStats?: (stats: ImageStats[]) => void;
  classNames: readonly string[];
}) {
  const { client, source, datasetId } = props;
  const [q, setQ] = useState<TriageQuery>(defaultQuery);
  const key = JSON.stringify(source) + datasetId;
  const job = useMapsJob(
    client,
    (jobId) =>
      client.call('maps.stats', { source, datasetId, jobId }).then((r) => {
        props.onStats?.(r.images);
        return r;
      }),
    [key],
  );
  const rows = job.result ? triage(job.result.images, q) : [];
  const pseudo = job.result?.pseudo;
  const labelled = new Set(job.result?.pseudoLabelled ?? []);
  const why = (st: ImageStats, col: 'miou' | 'flippedShare') => (pseudo ? (whyNoValue(st, col, pseudo, labelled) ?? undefined) : undefined);
  const flipsNote = job.result && pseudo ? noFlipsSummary(job.result.images, pseudo) : null;
  const classNames = job.result?.classNames ?? props.classNames;
  const needsClass = q.key === 'classShare' || q.key === 'classIou' || q.minPresence > 0;
  return (
    <div className="triage" data-testid="triage">
      <div className="triage-controls">
        sort by{' '}
        <select data-testid="triage-key" value={q.key} onChange={(e) => setQ({ ...q, key: e.target.value as SortKey })}>
          {sortKeys.map((k) => (
            <option key={k} value={k}>
              {sortKeyTitles[k]}
            </option>
          ))}
        </select>{' '}
        <button data-testid="triage-direction" onClick={() => setQ({ ...q, ascending: !q.ascending })}>
          {q.ascending ? 'worst first ↑' : 'best first ↓'}
        </button>{' '}
        class{' '}
        <select value={q.cls} onChange={(e) => setQ({ ...q, cls: Number(e.target.value) })}>
          {classNames.map((n, k) => (
            <option key={k} value={k}>
              {n}
            </option>
          ))}
        </select>{' '}
        <label title="keep images where the class covers at least this share">
          presence ≥{' '}
          <input type="number" min={0} max={100} step={1} style={{ width: 48 }} value={Math.round(q.minPresence * 100)} onChange={(e) => setQ({ ...q, minPresence: Number(e.target.value) / 100 })} /> %
        </label>
      </div>
      <Progress progress={job.progress} running={job.running} onCancel={job.cancel} label="computing image statistics" />
      {job.error && <div className="error">{job.error}</div>}
      {flipsNote && (
        <div className="muted triage-note" data-testid="triage-why-missing">
          {flipsNote} (hover a “–” for the reason)
        </div>
      )}
      <table className="triage-table" data-testid="triage-table">
        <thead>
          <tr>
            <th>image</th>
            <th>mIoU</th>
            <th>conf</th>
            <th>flipped</th>
            {needsClass && <th>{`${classNames[q.cls]} ${q.key === 'classIou' ? 'IoU' : 'share'}`}</th>}
          </tr>
        </thead>
        <tbody>
          {rows.map((s) => (
            <tr
              key={s.imageId}
              data-image={s.imageId}
              className={s.imageId === props.selected ? 'selected' : ''}
              onClick={() => props.onOpen(s.imageId)}
              style={{ cursor: 'pointer' }}
            >
              <td>{s.imageId}</td>
              <td title={why(s, 'miou')}>{pct(s.miou)}</td>
              <td>{pct(s.meanConfidence)}</td>
              <td title={why(s, 'flippedShare')} data-testid="triage-flipped">
                {pct(s.flippedShare)}
              </td>
              {needsClass && <td>{pct(valueOf(s, q.key === 'classIou' ? 'classIou' : 'classShare', q.cls))}</td>}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
