// Export and import: a finished run out as ONNX / TF.js / safetensors / official ProDA checkpoint with
// its parity report, label maps out (from a run or from hand corrections), earlier exports, and a
// PyTorch checkpoint in with its key-matching report. Long jobs report through export.progress, keyed
// by the id this panel picks for them.
import { useEffect, useState } from 'react';
import type { ContractClient, ResponseOf } from '../../../../shared/contract/index';
import { labelExportLayouts, modelExportFormats, type ExportEntry } from '../../../../shared/contract/export';
import type { RunSummary } from '../../../../shared/contract/runs';
import { canDownload, ExportFiles } from './ExportFiles';
import { ImportSection } from './ImportSection';
import { ProgressLine, useJob } from './progress';
import { parityRows, paritySummary, percent, relativeTo } from './report';

type Format = (typeof modelExportFormats)[number];
type Layout = (typeof labelExportLayouts)[number];

const newJobId = (prefix: string) => `${prefix.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 60)}-ui-${Date.now().toString(36)}`;
const toggle = <T,>(xs: readonly T[], x: T): T[] => (xs.includes(x) ? xs.filter((y) => y !== x) : [...xs, x]);

export function ExportPanel(props: { client: ContractClient; datasetId: string }) {
  const { client } = props;
  const [runs, setRuns] = useState<RunSummary[]>([]);
  const [entries, setEntries] = useState<ExportEntry[]>([]);
  const [tick, setTick] = useState(0);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    client.call('runs.list', {}).then((rs) => setRuns(rs.filter((r) => r.state === 'succeeded')), (e: Error) => setError(e.message));
    client.call('export.list', {}).then((r) => setEntries(r.entries), (e: Error) => setError(e.message));
    return client.subscribe('run.state', () => setTick((t) => t + 1));
  }, [client, tick]);
  const refresh = () => setTick((t) => t + 1);

  return (
    <div className="export-panel" data-testid="export-panel" style={{ flex: 1, overflowY: 'auto', padding: '8px 12px', borderLeft: '1px solid var(--line)' }}>
      {error && <p className="error">{error}</p>}
      <ModelExport client={client} runs={runs} onDone={refresh} />
      <LabelExport client={client} runs={runs} datasetId={props.datasetId} onDone={refresh} />
      <ImportSection client={client} onDone={refresh} />
      <section>
        <h3>Previous exports and imports</h3>
        {entries.length === 0 ? (
          <p className="muted">none yet</p>
        ) : (
          <table data-testid="export-list">
            <tbody>
              {entries.map((e) => (
                <tr key={`${e.kind}/${e.id}`} data-export={e.id} data-kind={e.kind}>
                  <td>{e.kind}</td>
                  <td>{e.id}</td>
                  <td>{e.runId ?? ''}</td>
                  <td>{e.contents.join(', ')}</td>
                  <td>{e.argmaxAgreement === null ? (e.summary ?? '') : `agreement ${percent(e.argmaxAgreement)}`}</td>
                  <td className="muted">{e.dir}</td>
                  {canDownload() && <td>{e.kind !== 'import' && <ExportFiles client={client} exportId={e.id} />}</td>}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}

function ModelExport(props: { client: ContractClient; runs: RunSummary[]; onDone: () => void }) {
  const { client, runs } = props;
  const [runId, setRunId] = useState('');
  const [formats, setFormats] = useState<Format[]>(['onnx', 'tfjs', 'safetensors', 'pytorch']);
  const [parityImages, setParityImages] = useState(4);
  const { busy, result, error, progress, start: startJob } = useJob<ResponseOf<'export.model'>>(client, props.onDone);
  const run = runId || runs[0]?.id || '';

  const start = () => {
    const exportId = newJobId(run);
    startJob(exportId, () => client.call('export.model', { runId: run, formats, parityImages, exportId }));
  };

  return (
    <section data-testid="model-export">
      <h3>Export a model</h3>
      {runs.length === 0 ? (
        <p className="muted">no finished run to export</p>
      ) : (
        <div style={{ display: 'flex', gap: 10, flexWrap: 'wrap', alignItems: 'center' }}>
          <label>
            run{' '}
            <select data-testid="export-run" value={run} onChange={(e) => setRunId(e.target.value)}>
              {runs.map((r) => (
                <option key={r.id} value={r.id}>
                  {r.id} ({r.stage}
                  {r.miou === null ? '' : `, mIoU ${(r.miou * 100).toFixed(1)}`})
                </option>
              ))}
            </select>
          </label>
          {modelExportFormats.map((f) => (
            <label key={f}>
              <input type="checkbox" data-testid={`format-${f}`} checked={formats.includes(f)} onChange={() => setFormats((xs) => toggle(xs, f))} /> {f}
            </label>
          ))}
          <label>
            parity images{' '}
            <input data-testid="parity-images" type="number" min={1} max={100} value={parityImages} onChange={(e) => setParityImages(Math.max(1, Math.min(100, Number(e.target.value) || 1)))} style={{ width: 60 }} />
          </label>
          <button data-testid="export-start" disabled={busy || !run || formats.length === 0} onClick={start}>
            {busy ? 'exporting…' : 'Export'}
          </button>
        </div>
      )}
      {busy && <ProgressLine progress={progress} testId="export-progress" />}
      {error && (
        <p className="error" data-testid="export-error">
          {error}
        </p>
      )}
      {result && <ParityReport result={result} />}
    </section>
  );
}

function ParityReport({ result }: { result: ResponseOf<'export.model'> }) {
  const p = result.parity;
  return (
    <div data-testid="parity-report" data-passed={String(p.passed)} data-agreement={p.argmaxAgreement} data-max-diff={p.maxAbsLogitDiff}>
      <p className={p.passed ? '' : 'error'}>{paritySummary(p)}</p>
      <table>
        <thead>
          <tr>
            <th>format</th>
            <th>image</th>
            <th>size</th>
            <th>max |Δlogit|</th>
            <th>argmax agreement</th>
          </tr>
        </thead>
        <tbody>
          {parityRows(p).map((r) => (
            <tr key={`${r.format}/${r.image}`} data-format={r.format}>
              <td>{r.format}</td>
              <td>{r.image}</td>
              <td>{r.size}</td>
              <td>{r.maxAbsLogitDiff}</td>
              <td>{r.agreement}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p>
        written to <code data-testid="export-dir">{result.dir}</code>
      </p>
      <ul data-testid="export-files">
        {result.files.map((f) => (
          <li key={f} data-file={f}>
            <code>{relativeTo(result.dir, f)}</code>
          </li>
        ))}
      </ul>
    </div>
  );
}

function LabelExport(props: { client: ContractClient; runs: RunSummary[]; datasetId: string; onDone: () => void }) {
  const { client, runs } = props;
  // '' means the hand corrections of the dataset.
  const [source, setSource] = useState('');
  const [layouts, setLayouts] = useState<Layout[]>(['cityscapes', 'proda']);
  const { busy, result, error, progress, start: startJob } = useJob<ResponseOf<'export.labels'>>(client, props.onDone);

  const start = () => {
    const exportId = newJobId(`labels-${source || 'corrections'}`);
    startJob(exportId, () => client.call('export.labels', { datasetId: props.datasetId, source: source ? { kind: 'run', runId: source } : { kind: 'corrections' }, layouts, exportId }));
  };

  return (
    <section data-testid="label-export">
      <h3>Export labels of {props.datasetId}</h3>
      <div style={{ display: 'flex', gap: 10, flexWrap: 'wrap', alignItems: 'center' }}>
        <label>
          from{' '}
          <select data-testid="labels-source" value={source} onChange={(e) => setSource(e.target.value)}>
            <option value="">hand corrections</option>
            {runs.map((r) => (
              <option key={r.id} value={r.id}>
                run {r.id}
              </option>
            ))}
          </select>
        </label>
        {labelExportLayouts.map((l) => (
          <label key={l}>
            <input type="checkbox" checked={layouts.includes(l)} onChange={() => setLayouts((xs) => toggle(xs, l))} /> {l}
          </label>
        ))}
        <button data-testid="labels-start" disabled={busy || layouts.length === 0} onClick={start}>
          {busy ? 'exporting…' : 'Export labels'}
        </button>
      </div>
      {busy && <ProgressLine progress={progress} testId="labels-progress" />}
      {error && (
        <p className="error" data-testid="labels-error">
          {error}
        </p>
      )}
      {result && (
        <p data-testid="labels-result">
          {result.images} images, {result.files} files in <code>{result.dir}</code>
        </p>
      )}
    </section>
  );
}
