// Per-class IoU bars for one source, or two side by side with their difference.
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
  const bar = (v: number | null, color: string) => <span className="bar" style={{ width: v === null ? 0 : Math.round(v * W), background: color, height: 6, display: 'block' }} />;
  return (
    <table className="iou-bars" data-testid="iou-bars">
      <thead>
        <tr>
          <th>class</th>
          <th>
            <span style={{ color: '#5c6bc0' }}>{label(props.a)}</span>
            {props.b && (
              <>
                {' '}
                vs <span style={{ color: '#ef6c00' }}>{label(props.b)}</span>
              </>
            )}
          </th>
          {props.b && <th>Δ</th>}
        </tr>
      </thead>
      <tbody>
        {rows.map((r, k) => (
          <tr key={k} data-class={k} data-iou-a={r.a ?? ''} data-iou-b={r.b ?? ''}>
            <td>{names[k]}</td>
            <td style={{ width: W }}>
              {bar(r.a, '#5c6bc0')}
              {props.b && bar(r.b, '#ef6c00')}
            </td>
            {props.b && <td style={{ color: r.diff === null ? '#888' : r.diff >= 0 ? '#2e7d32' : '#c62828' }}>{r.diff === null ? '–' : `${r.diff >= 0 ? '+' : ''}${(r.diff * 100).toFixed(1)}`}</td>}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
