// Runs: the list, a new-run form, and the selected run's live view (loss and mIoU curves from
// run.progress events on top of its recorded metrics, ETA, throughput), cancel/resume, and opening a
// finished run's maps in the inspector.
import { useEffect, useState } from 'react';
import type { ContractClient, ResponseOf } from '../../../../shared/contract/index';
import type { RunProgress, RunSummary } from '../../../../shared/contract/runs';
import type { DatasetRef } from '../../../../shared/datasets';
import { formatEta } from './chart';
import { EvalScores, RunChart } from './RunChart';
import { RunForm } from './RunForm';
import { RunsCompare } from './RunsCompare';
import { chartFrom } from './run-series';

type RunDetail = ResponseOf<'runs.get'>;

const bnWord = { running: 'running', reestimate: 're-est.' } as const;
/** The list's score with the BN mode it was computed with, both where an eval scored both ways. */
function miouCell(r: RunSummary): string {
  if (r.miou === null) return '';
  const first = `${(r.miou * 100).toFixed(1)}${r.miouBn ? ` (${bnWord[r.miouBn]})` : ''}`;
  return r.miouReestimate == null ? first : `${first} · ${(r.miouReestimate * 100).toFixed(1)} (${bnWord.reestimate})`;
}

/** A run that failed before its first iteration has no checkpoint to resume from: start a new one. */
const canResume = (s: Pick<RunSummary, 'state' | 'iteration'>): boolean => s.state === 'cancelled' || (s.state === 'failed' && s.iteration > 0);

export function RunsPanel(props: { client: ContractClient; datasets: readonly DatasetRef[]; preset?: 'demo' | 'demo-quick'; onOpenRun?: (runId: string) => void }) {
  const { client } = props;
  const [runs, setRuns] = useState<RunSummary[]>([]);
  const [selected, setSelected] = useState<string | null>(null);
  const [detail, setDetail] = useState<RunDetail | null>(null);
  const [live, setLive] = useState<RunProgress[]>([]);
  const [showForm, setShowForm] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  // Runs ticked for the overlay chart and (two of them) the config diff, in the order ticked.
  const [overlay, setOverlay] = useState<string[]>([]);
  const toggleOverlay = (id: string, on: boolean) => setOverlay((xs) => (on ? [...xs.filter((x) => x !== id), id] : xs.filter((x) => x !== id)));

  useEffect(() => {
    client.call('runs.list', {}).then(setRuns, (e: Error) => setError(e.message));
    return client.subscribe('run.state', () => setTick((t) => t + 1));
  }, [client, tick]);

  // A Slurm run's process sends this server no events: while a run or its job is still going, its
  // folder (and Slurm's word on the job) is re-read.
  const watchingSlurm = runs.some(
    (r) => r.slurm && (!['succeeded', 'failed', 'cancelled'].includes(r.state) || ['PENDING', 'CONFIGURING', 'RUNNING', 'COMPLETING'].includes(r.slurm.state)),
  );
  useEffect(() => {
    if (!watchingSlurm) return;
    const timer = setInterval(() => setTick((t) => t + 1), 3000);
    return () => clearInterval(timer);
  }, [watchingSlurm]);

  useEffect(() => {
    if (!selected) return;
    setLive([]);
    client.call('runs.get', { id: selected }).then(setDetail, (e: Error) => setError(e.message));
    return client.subscribe('run.progress', (p) => {
      if (p.runId === selected) setLive((xs) => (xs.length > 2000 ? [...xs.slice(-1000), p] : [...xs, p]));
    });
  }, [client, selected, tick]);

  const last = live[live.length - 1];
  const summary = runs.find((r) => r.id === selected) ?? detail?.summary;
  const act = (what: 'runs.cancel' | 'runs.resume') => {
    if (!selected) return;
    setError(null);
    client.call(what, { id: selected }).then(() => setTick((t) => t + 1), (e: Error) => setError(e.message));
  };

  return (
    <div className="runs-panel" data-testid="runs-panel">
      <div className="runs-list">
        <button data-testid="new-run" onClick={() => setShowForm((s) => !s)}>
          {showForm ? 'close form' : 'New run…'}
        </button>
        <table>
          <thead>
            <tr>
              <th scope="col" title="tick runs to overlay their curves on one chart; two ticked runs also show their config differences">
                compare
              </th>
              <th scope="col">run</th>
              <th scope="col">stage</th>
              <th scope="col">state</th>
              <th scope="col">iteration</th>
              <th scope="col" title="Scored with BatchNorm statistics as trained (running) and, where the run computed it, re-estimated on target images (the fair score, README)">
                mIoU (BN)
              </th>
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <tr key={r.id} data-run={r.id} data-state={r.state} className={r.id === selected ? 'selected' : ''} onClick={() => setSelected(r.id)} style={{ cursor: 'pointer' }}>
                <td onClick={(e) => e.stopPropagation()}>
                  <input
                    type="checkbox"
                    data-testid="run-compare"
                    aria-label={`compare ${r.name ?? r.id}`}
                    checked={overlay.includes(r.id)}
                    onChange={(e) => toggleOverlay(r.id, e.target.checked)}
                  />
                </td>
                <td>
                  {r.id}
                  {r.name && <div className="run-name">{r.name}</div>}
                </td>
                <td>
                  {r.stage}
                  {r.variant && <span className="run-variant"> ({r.variant})</span>}
                </td>
                <td className={`state-${r.state}`}>
                  {r.state}
                  {r.slurm && (
                    <div className="run-slurm" data-testid="run-slurm" title={r.slurm.reason ?? undefined}>
                      Slurm {r.slurm.jobId} {r.slurm.state}
                    </div>
                  )}
                </td>
                <td>
                  {r.id === selected && last ? last.iteration : r.iteration}/{r.iterations}
                </td>
                <td data-testid="run-miou">{miouCell(r)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {showForm && (
        <RunForm
          client={client}
          datasets={props.datasets}
          preset={props.preset}
          runs={runs}
          onStarted={(id) => {
            setSelected(id);
            setShowForm(false);
            setTick((t) => t + 1);
          }}
        />
      )}
      {error && <div className="error">{error}</div>}
      {overlay.length > 0 && <RunsCompare client={client} ids={overlay} tick={tick} />}
      {selected && summary && (
        <div className="run-detail" data-testid="run-detail" data-run={selected} data-state={summary.state}>
          <h4>
            {selected}
            {summary.name && <span data-testid="run-name"> “{summary.name}”</span>} · {summary.stage} · <span data-testid="run-state">{summary.state}</span>
            {summary.slurm && (
              <span data-testid="run-slurm-job">
                {' '}
                · Slurm job {summary.slurm.jobId} {summary.slurm.state}
                {summary.slurm.reason ? ` (${summary.slurm.reason})` : ''}
              </span>
            )}
          </h4>
          {summary.state === 'failed' && detail?.status.message && (
            <div className="error run-error" data-testid="run-error">
              {detail.status.message}
            </div>
          )}
          <div className="run-stats" data-testid="run-stats">
            iteration <b data-testid="run-iteration">{last?.iteration ?? summary.iteration}</b>/{last?.iterations ?? summary.iterations}
            {last && (
              <>
                {' '}
                · {last.itPerSec.toFixed(2)} it/s · ETA {formatEta(last.etaSec)} · lr {last.lr.toExponential(2)}
                {last.val && ` · val mIoU ${(last.val.miou * 100).toFixed(1)}`}
              </>
            )}
          </div>
          {summary.corrected && (
            <div className="run-corrections" data-testid="run-corrections">
              trained on hand corrections: {summary.corrected.pixels.toLocaleString()} pixels in {summary.corrected.images} image{summary.corrected.images === 1 ? '' : 's'}
            </div>
          )}
          {summary.state === 'running' && (
            <div className="run-progress-bar">
              <progress data-testid="run-progress" max={last?.iterations ?? summary.iterations} value={last?.iteration ?? summary.iteration} />
            </div>
          )}
          {summary.stage === 'eval' || summary.stage === 'pseudo' ? (
            summary.stage === 'eval' && <EvalScores evals={detail?.report?.evals ?? []} />
          ) : (
            <RunChart data={chartFrom(detail, live)} />
          )}
          <div className="run-actions">
            <button data-testid="run-cancel" disabled={summary.state !== 'running' && summary.state !== 'queued'} onClick={() => act('runs.cancel')}>
              Cancel
            </button>{' '}
            <button
              data-testid="run-resume"
              disabled={!canResume(summary)}
              title={summary.state === 'failed' && !canResume(summary) ? 'failed before its first iteration: nothing to resume, start a new run' : undefined}
              onClick={() => act('runs.resume')}
            >
              Resume
            </button>{' '}
            <button data-testid="run-open" disabled={summary.state !== 'succeeded' || !props.onOpenRun} onClick={() => props.onOpenRun?.(selected)}>
              Open in viewer
            </button>
          </div>
          {detail?.status.logTail && detail.status.logTail.length > 0 && summary.state === 'failed' && <pre className="log-tail">{detail.status.logTail.join('\n')}</pre>}
        </div>
      )}
    </div>
  );
}
