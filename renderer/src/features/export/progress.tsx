// Progress of one export/import job from export.progress events.
import { useEffect, useState } from 'react';
import type { ContractClient, EventOf } from '../../../../shared/contract/index';
import { progressFraction, progressText } from './report';

type Progress = EventOf<'export.progress'>;

/**
 * One export/import job at a time: its progress events, busy flag, result or error message. `start` takes the
 * job id the call carries (so progress events can be matched) and the call itself; `onDone` runs either way.
 */
export function useJob<T>(client: ContractClient, onDone: () => void) {
  const [job, setJob] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const progress = useJobProgress(client, job);
  const start = (jobId: string, call: () => Promise<T>) => {
    setJob(jobId);
    setBusy(true);
    setResult(null);
    setError(null);
    call()
      .then((r) => setResult(() => r), (e: Error) => setError(e.message))
      .finally(() => {
        setBusy(false);
        onDone();
      });
  };
  return { busy, result, error, progress, start };
}

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

