// Progress of one export/import job from export.progress events.
import { useEffect, useState } from 'react';
import type { ContractClient, EventOf } from '../../../../shared/contract/index';
import { progressFraction, progressText } from './report';

type Progress = EventOf<'export.progress'>;

/** Follows export.progress for one job id; the id changes per job so stale events never show. */
export function useJobProgress(client: ContractClient, jobId: string | null): Progress | null {
  const [p, setP] = useState<Progress | null>(null);
  useEffect(() => {
    setP(null);
    if (!jobId) return;
    return client.subscribe('export.progress', (e) => e.jobId === jobId && setP(e));
  }, [client, jobId]);
  return p;
}

export function ProgressLine(props: { progress: Progress | null; testId: string }) {
  const p = props.progress;
  return (
    <div data-testid={props.testId} data-step={p?.step ?? ''}>
      <progress max={1} value={progressFraction(p)} /> <span className="muted">{p ? progressText(p) : 'starting…'}</span>
    </div>
  );
}

