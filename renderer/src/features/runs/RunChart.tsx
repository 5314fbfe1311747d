// Live curves of a run with uPlot: one series per loss term in its own colour, smoothed (slider), on a
// linear or log axis (the regulariser's scale no longer flattens the rest), validation mIoU in percent on
// a right-hand axis where the run validated, values under the cursor in the legend. An eval run has no
// curves: it shows its per-class IoU instead.
import { useEffect, useMemo, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { EvalResult } from '../../../../shared/contract/runs';
import type { ChartData } from './run-series';
import { alignSeries, MIOU_COLOR, SERIES_COLORS } from './chart';

/** uPlot axis styling shared by the run charts (legible on the dark panels). */
export const AXIS = { stroke: '#e3e6eb', grid: { stroke: '#2f333b', width: 1 }, ticks: { stroke: '#2f333b', width: 1 }, font: '12px system-ui, sans-serif', labelFont: '12px system-ui, sans-serif' };

/**
 * One uPlot inside a component: built when `shape` (the series set, axes) or the height changes, fed new
 * data otherwise, resized with its box. `data` must keep its identity between renders that do not change it.
 */
export function useUplot(el: React.RefObject<HTMLDivElement | null>, shape: string, options: () => uPlot.Options | null, data: uPlot.AlignedData | null, width: number, height: number): void {
  const plot = useRef<uPlot | null>(null);
  const latest = useRef({ options, data });
  latest.current = { options, data };
  useEffect(() => {
    const opts = latest.current.options();
    if (!el.current || !opts || !latest.current.data) return;
    const u = new uPlot(opts, latest.current.data, el.current);
    plot.current = u;
    return () => {
      u.destroy();
      plot.current = null;
    };
  }, [el, shape, height]);
  useEffect(() => {
    if (data) plot.current?.setData(data);
  }, [data]);
  useEffect(() => plot.current?.setSize({ width, height }), [width, height]);
}

export function useWidth(ref: React.RefObject<HTMLElement | null>): number {
  const [w, setW] = useState(480);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setW(Math.max(260, Math.floor(el.clientWidth))));
    ro.observe(el);
    return () => ro.disconnect();
  }, [ref]);
  return w;
}

export function RunChart({ data, height = 220 }: { data: ChartData; height?: number }) {
  const box = useRef<HTMLDivElement>(null);
  const plotEl = useRef<HTMLDivElement>(null);
  const width = useWidth(box);
  const [log, setLog] = useState(false);
  const [smoothing, setSmoothing] = useState(0.6);
  const series = useMemo(() => alignSeries(data.losses, data.miou, { smoothing, log }), [data, smoothing, log]);
  const points = Object.values(data.losses).reduce((a, p) => a + p.length, 0);
  const shape = `${series.losses.map((s) => s.name).join(',')}|${series.miou ? 1 : 0}|${log}`;
  const aligned = useMemo(() => [series.x, ...series.losses.map((s) => s.y), ...(series.miou ? [series.miou] : [])] as uPlot.AlignedData, [series]);
  const options = (): uPlot.Options => ({
    width,
    height,
    scales: { x: { time: false }, y: { distr: log ? 3 : 1 }, miou: { range: [0, 100] } },
    axes: [
      { ...AXIS, label: 'iteration', size: 40 },
      { ...AXIS, label: log ? 'loss (log)' : 'loss', size: 56, values: (_u, vals) => vals.map((v) => (v == null ? '' : Math.abs(v) >= 100 || v === 0 ? String(v) : v.toPrecision(2))) },
      ...(series.miou ? [{ ...AXIS, scale: 'miou', side: 1 as const, label: 'val mIoU %', size: 50, grid: { show: false } }] : []),
    ],
    series: [
      { label: 'iteration' },
      ...series.losses.map((s, i) => ({ label: s.name, stroke: SERIES_COLORS[i % SERIES_COLORS.length], width: 1.5, spanGaps: true, value: (_u: uPlot, v: number | null) => (v == null ? '–' : v.toPrecision(4)) })),
      ...(series.miou
        ? [{ label: 'val mIoU', scale: 'miou', stroke: MIOU_COLOR, width: 2, dash: [6, 3], spanGaps: true, points: { show: true }, value: (_u: uPlot, v: number | null) => (v == null ? '–' : `${v.toFixed(1)} %`) }]
        : []),
    ],
    legend: { live: true },
    cursor: { drag: { x: true, y: false } },
  });
  useUplot(plotEl, shape, options, aligned, width, height);

  return (
    <div className="run-chart" ref={box} data-testid="run-chart" data-points={points}>
      <div className="run-chart-controls">
        <label>
          <input type="checkbox" data-testid="chart-log" checked={log} onChange={(e) => setLog(e.target.checked)} /> log scale
        </label>
        <label>
          smoothing{' '}
          <input type="range" min={0} max={0.99} step={0.01} value={smoothing} data-testid="chart-smoothing" onChange={(e) => setSmoothing(Number(e.target.value))} aria-label="smoothing" />{' '}
          {smoothing.toFixed(2)}
        </label>
        <span className="muted">{data.miou.length ? '' : 'no validation mIoU recorded during this run'}</span>
      </div>
      {points === 0 && <div className="muted">no iterations recorded yet</div>}
      <div ref={plotEl} />
    </div>
  );
}

/** An eval run's scores: per-class IoU for each BN mode it scored with. */
export function EvalScores({ evals }: { evals: readonly EvalResult[] }) {
  if (evals.length === 0) return <div className="muted">no scores yet</div>;
  const names = evals[0].classNames;
  return (
    <table className="eval-scores" data-testid="eval-scores">
      <thead>
        <tr>
          <th scope="col">class</th>
          {evals.map((e) => (
            <th key={e.bn} scope="col">
              IoU % (BN {e.bn === 'reestimate' ? 're-estimated' : 'running'})
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {names.map((n, k) => (
          <tr key={n}>
            <th scope="row">{n}</th>
            {evals.map((e) => {
              const v = e.perClass[k];
              return (
                <td key={e.bn}>
                  <span className="eval-bar" style={{ width: v == null ? 0 : Math.round(v * 120) }} /> {v == null ? '–' : (v * 100).toFixed(1)}
                </td>
              );
            })}
          </tr>
        ))}
        <tr className="eval-mean">
          <th scope="row">mIoU</th>
          {evals.map((e) => (
            <td key={e.bn}>{(e.miou * 100).toFixed(1)}</td>
          ))}
        </tr>
      </tbody>
    </table>
  );
}
