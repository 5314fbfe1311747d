// Per-class IoU bars for one source, or two side by side (A and B, captioned) with their difference Δ = B − A.
import type { ContractClient } from '../../../../shared/contract/index';
import type { MapSource } from '../../../../shared/contract/maps';
import { iouDiff } from './triage';
import { useConfusion } from './ConfusionMatrix';
import { Progress } from './use-maps-job';

const label = (s: MapSource) => (s.kind === 'run' ? s.runId : s.dir.split(/[\\/]/).pop());

export function IouBars(props: { client: ContractClient; a: MapSource; b: MapSource | null; datasetId: string }) {
  const ja = useConfusion(props.client, props.a, props.datasetId);
  const jb = useConfusion(props.client, props.b, props.datasetId);
  if (!ja.result || (props.b && !jb.result)) {
    return <Progress progress={ja.progress ?? jb.progress} running={ja.running || jb.running} label="per-class IoU" />;
  }
  const names = ja.result.classNames;
  const rows = iouDiff(ja.result.iou, jb.result?.iou ?? ja.result.iou.map(() => null));
  const W = 160;
  const A = '#6ea8ff';
  const B = '#ffa657';
  const bar = (v: number | null, color: string) => <span className="bar" style={{ width: v === null ? 0 : Math.round(v * W), background: color, height: 8, display: 'inline-block' }} />;
  return (
    <div className="iou-compare">
      <div className="iou-caption" data-testid="iou-caption">
        <span className="swatch" style={{ background: A }} /> A = {label(props.a)}
        {props.b && (
          <>
            {' '}
            · <span className="swatch" style={{ background: B }} /> B = {label(props.b)} · Δ = B − A in IoU points (positive: B is better)
          </>
        )}
      </div>
    <table className="iou-bars" data-testid="iou-bars">
      <thead>
        <tr>
          <th>class</th>
          <th>IoU % {props.b ? '(A top, B below)' : ''}</th>
          {props.b && <th title="B − A">Δ (B − A)</th>}
        </tr>
      </thead>
      <tbody>
        {rows.map((r, k) => (
          <tr key={k} data-class={k} data-iou-a={r.a ?? ''} data-iou-b={r.b ?? ''}>
            <td>{names[k]}</td>
            <td style={{ width: W + 90 }}>
              <div className="iou-bar-row">
                {bar(r.a, A)} <span className="iou-value">{r.a === null ? '–' : (r.a * 100).toFixed(1)}</span>
              </div>
              {props.b && (
                <div className="iou-bar-row">
                  {bar(r.b, B)} <span className="iou-value">{r.b === null ? '–' : (r.b * 100).toFixed(1)}</span>
                </div>
              )}
            </td>
            {props.b && (
              <td className={r.diff === null ? 'muted' : r.diff >= 0 ? 'delta-up' : 'delta-down'} data-testid="iou-delta">
                {r.diff === null ? '–' : `${r.diff >= 0 ? '+' : '−'}${Math.abs(r.diff * 100).toFixed(1)}`}
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
    </div>
  );
}
