// Runs one batched maps request with a job id, following its progress events; cancellable.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ContractClient } from '../../../../shared/contract/index';

export interface JobState<T> {
  result: T | null;
  running: boolean;
  progress: { done: number; total: number } | null;
  error: string | null;
}

let seq = 0;

export function useMapsJob<T>(client: ContractClient, run: ((jobId: string) => Promise<T>) | null, deps: readonly unknown[]) {
  const [state, setState] = useState<JobState<T>>({ result: null, running: false, progress: null, error: null });
  const job = useRef<string | null>(null);
  useEffect(() => {
    if (!run) return;
    const jobId = `ui-${Date.now().toString(36)}-${++seq}`;
    job.current = jobId;
    let live = true;
    setState({ result: null, running: true, progress: null, error: null });
    const off = client.subscribe('maps.progress', (p) => {
      if (p.jobId === jobId && live) setState((s) => ({ ...s, progress: { done: p.done, total: p.total } }));
    });
    run(jobId).then(
      (result) => live && setState({ result, running: false, progress: null, error: null }),
      (err: unknown) => live && setState((s) => ({ ...s, running: false, error: err instanceof Error ? err.message : String(err) })),
    );
    return () => {
      live = false;
      off();
    };
    // deps stand for run.
  }, [client, ...deps]);
  const cancel = useCallback(() => {
    if (job.current) void client.call('maps.cancel', { jobId: job.current });
  }, [client]);
  return { ...state, cancel };
}

export function Progress(props: { progress: { done: number; total: number } | null; running: boolean; onCancel?: () => void; label: string }) {
  if (!props.running) return null;
  const p = props.progress;
  return (
    <div className="job-progress" data-testid="job-progress">
      {props.label} {p ? `${p.done}/${p.total}` : '…'}
      {p && <progress max={p.total} value={p.done} style={{ marginLeft: 6 }} />}
      {props.onCancel && (
        <button onClick={props.onCancel} style={{ marginLeft: 6 }}>
          cancel
        </button>
      )}
    </div>
  );
}
