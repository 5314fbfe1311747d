// Runs side by side: the runs ticked in the list overlaid on one uPlot chart (one colour per run, the
// legend names them, values under the cursor), on iterations or wall-clock time; and for two runs their
// config differences from runs.compare, the same diff `proda runs compare` prints.
import { useEffect, useMemo, useRef, useState } from 'react';
import type uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ContractClient, ResponseOf } from '../../../../shared/contract/index';
import type { RunSummary } from '../../../../shared/contract/runs';
import { SERIES_COLORS } from './chart';
import { formatConfigValue, overlayMetrics, overlaySeries, VAL_MIOU } from './overlay';
import type { OverlayRun, XAxis } from './overlay';
import { AXIS, useUplot, useWidth } from './RunChart';

const runLabel = (r: Pick<RunSummary, 'id' | 'name'>) => (r.name ? `${r.name} (${r.id})` : r.id);

export function RunsCompare(props: { client: ContractClient; ids: readonly string[]; tick: number }) {
  const { client, ids } = props;
  const [details, setDetails] = useState<Record<string, ResponseOf<'runs.get'>>>({});
  const [error, setError] = useState<string | null>(null);
  const idsKey = ids.join('\n');
  useEffect(() => {
    let live = true;
    setError(null);
    Promise.all(ids.map((id) => client.call('runs.get', { id }))).then(
      (ds) => live && setDetails(Object.fromEntries(ds.map((d) => [d.summary.id, d]))),
      (e: Error) => live && setError(e.message),
    );
    return () => {
      live = false;
    };
  }, [client, idsKey, props.tick]);
  const runs: OverlayRun[] = ids.filter((id) => details[id]).map((id) => ({ id, label: runLabel(details[id].summary), metrics: details[id].metrics }));
  return (
    <div className="runs-compare" data-testid="runs-compare">
      <h4>
        Comparing {ids.length} run{ids.length === 1 ? '' : 's'}
      </h4>
      {error && <div className="error">{error}</div>}
      <OverlayChart runs={runs} />
      {ids.length === 2 && <ConfigDiff client={client} a={ids[0]} b={ids[1]} />}
      {ids.length > 2 && <div className="muted">tick exactly two runs to see their config differences</div>}
    </div>
  );
}

function OverlayChart({ runs, height = 220 }: { runs: readonly OverlayRun[]; height?: number }) {
  const box = useRef<HTMLDivElement>(null);
  const plotEl = useRef<HTMLDivElement>(null);
  const width = useWidth(box);
  const metrics = useMemo(() => overlayMetrics(runs), [runs]);
  const [chosen, setChosen] = useState<string | null>(null);
  const metric = chosen && metrics.includes(chosen) ? chosen : (metrics[0] ?? null);
  const [xAxis, setXAxis] = useState<XAxis>('iteration');
  const [log, setLog] = useState(false);
  const [smoothing, setSmoothing] = useState(0.6);
  const data = useMemo(() => (metric ? overlaySeries(runs, metric, { xAxis, smoothing, log }) : null), [runs, metric, xAxis, smoothing, log]);
  const shape = `${runs.map((r) => r.id).join(',')}|${metric}|${xAxis}|${log}`;
  const aligned = useMemo(() => (data ? ([data.x, ...data.series.map((s) => s.y)] as uPlot.AlignedData) : null), [data]);
  const options = (): uPlot.Options | null => {
    if (!data || !metric) return null;
    const isMiou = metric === VAL_MIOU;
    return {
      width,
      height,
      scales: { x: { time: false }, y: isMiou ? { range: [0, 100] } : { distr: log ? 3 : 1 } },
      axes: [
        { ...AXIS, label: xAxis === 'iteration' ? 'iteration' : 'wall time since start (s)', size: 40 },
        { ...AXIS, label: isMiou ? 'val mIoU %' : `${metric}${log ? ' (log)' : ''}`, size: 56, values: (_u, vals) => vals.map((v) => (v == null ? '' : Math.abs(v) >= 100 || v === 0 ? String(v) : v.toPrecision(2))) },
      ],
      series: [
        { label: xAxis === 'iteration' ? 'iteration' : 'seconds' },
        ...data.series.map((s, i) => ({
          label: s.label,
          stroke: SERIES_COLORS[i % SERIES_COLORS.length],
          width: 1.5,
          spanGaps: true,
          points: { show: isMiou },
          value: (_u: uPlot, v: number | null) => (v == null ? '–' : v.toPrecision(4)),
        })),
      ],
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
    };
  };
  useUplot(plotEl, shape, options, aligned, width, height);

  const blur = (e: { currentTarget: HTMLElement }) => e.currentTarget.blur();
  return (
    <div className="run-chart" ref={box} data-testid="overlay-chart" data-series={data?.series.length ?? 0} data-x-axis={xAxis} data-metric={metric ?? ''}>
      <div className="run-chart-controls">
        <label>
          metric{' '}
          <select
            data-testid="overlay-metric"
            value={metric ?? ''}
            onChange={(e) => {
              setChosen(e.target.value);
              blur(e);
            }}
          >
            {metrics.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
        </label>
        <label>
          x axis{' '}
          <select
            data-testid="overlay-x-axis"
            value={xAxis}
            onChange={(e) => {
              setXAxis(e.target.value as XAxis);
              blur(e);
            }}
          >
            <option value="iteration">iteration</option>
            <option value="wall">wall time</option>
          </select>
        </label>
        <label>
          <input type="checkbox" checked={log} disabled={metric === VAL_MIOU} onChange={(e) => setLog(e.target.checked)} /> log scale
        </label>
        <label>
          smoothing <input type="range" min={0} max={0.99} step={0.01} value={smoothing} onChange={(e) => setSmoothing(Number(e.target.value))} aria-label="overlay smoothing" /> {smoothing.toFixed(2)}
        </label>
      </div>
      {runs.length > 0 && !metric && <div className="muted">these runs recorded no losses or validation scores</div>}
      <div ref={plotEl} />
    </div>
  );
}

function ConfigDiff({ client, a, b }: { client: ContractClient; a: string; b: string }) {
  const [diff, setDiff] = useState<ResponseOf<'runs.compare'> | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    setDiff(null);
    setError(null);
    client.call('runs.compare', { a, b }).then(
      (r) => live && setDiff(r),
      (e: Error) => live && setError(e.message),
    );
    return () => {
      live = false;
    };
  }, [client, a, b]);
  if (error) return <div className="error">{error}</div>;
  if (!diff) return <div className="muted">comparing configs…</div>;
  return (
    <div className="config-diff" data-testid="config-diff">
      <h4>Config differences</h4>
      {diff.configDiff.length === 0 ? (
        <div className="muted">the two configs are identical</div>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">field</th>
              <th scope="col">{runLabel(diff.a)}</th>
              <th scope="col">{runLabel(diff.b)}</th>
            </tr>
          </thead>
          <tbody>
            {diff.configDiff.map((d) => (
              <tr key={d.path} data-path={d.path}>
                <th scope="row">{d.path}</th>
                <td>{formatConfigValue(d.a)}</td>
                <td>{formatConfigValue(d.b)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {diff.metrics.length > 0 && (
        <table className="config-diff-metrics" data-testid="compare-metrics">
          <thead>
            <tr>
              <th scope="col">metric (final IoU per class where scored)</th>
              <th scope="col">{runLabel(diff.a)}</th>
              <th scope="col">{runLabel(diff.b)}</th>
            </tr>
          </thead>
          <tbody>
            {diff.metrics.map((m) => (
              <tr key={m.name}>
                <th scope="row">{m.name}</th>
                <td>{m.a === null ? '–' : m.a.toPrecision(4)}</td>
                <td>{m.b === null ? '–' : m.b.toPrecision(4)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
