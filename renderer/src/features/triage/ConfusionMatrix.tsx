// Confusion matrix of a source over a dataset: rows ground truth, columns prediction, each cell the share
// of its row's pixels in percent, shaded on the same scale as the app's heatmaps (magma: dark = low,
// bright = high) with a colour bar. An HTML table, so labels and numbers are real text (and contrast can
// be checked); each number is drawn in black or white, whichever reads better on its cell. Clicking a
// cell lists the images contributing most pixels to it.
import { useState } from 'react';
import type { ContractClient } from '../../../../shared/contract/index';
import type { ConfusionResult, MapSource } from '../../../../shared/contract/maps';
import { legendGradient, rgbCss, scaleColor } from '../../lib/colormaps';
import { readableTextOn } from '../../lib/contrast';
import { rowNormalise } from './triage';
import { Progress, useMapsJob } from './use-maps-job';

export function useConfusion(client: ContractClient, source: MapSource | null, datasetId: string) {
  return useMapsJob<ConfusionResult>(client, source ? (jobId) => client.call('maps.confusion', { source, datasetId, top: 8, jobId }) : null, [JSON.stringify(source), datasetId]);
}

const SCALE = 'magma' as const;

export function ConfusionMatrix(props: { client: ContractClient; source: MapSource; datasetId: string; onOpen: (imageId: string) => void }) {
  const job = useConfusion(props.client, props.source, props.datasetId);
  const [cell, setCell] = useState<{ r: number; c: number } | null>(null);
  const r = job.result;
  if (!r) return <Progress progress={job.progress} running={job.running} onCancel={job.cancel} label="confusion matrix" />;
  const norm = rowNormalise(r.matrix);
  const top = cell ? (r.topImages[`${cell.r},${cell.c}`] ?? []) : [];
  return (
    <div className="confusion" data-testid="confusion">
      <div className="muted">
        {r.images} images · mIoU {r.miou === null ? '–' : (r.miou * 100).toFixed(1)} · rows = ground truth, columns = prediction, cells = % of the row's pixels
      </div>
      <div className="cm-colorbar" data-testid="cm-colorbar">
        <span>0 %</span>
        <span className="cm-colorbar-bar" style={{ background: legendGradient(SCALE) }} />
        <span>100 % of the ground-truth class</span>
      </div>
      <div className="cm-scroll">
        <table className="cm-table" role="grid">
          <thead>
            <tr>
              <th className="cm-corner" scope="col">
                GT ↓ / pred →
              </th>
              {r.classNames.map((n, j) => (
                <th key={j} scope="col" className="cm-col" data-testid={`cm-col-${j}`}>
                  <span>{n}</span>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {norm.map((row, i) => (
              <tr key={i}>
                <th scope="row" className="cm-row" data-testid={`cm-row-${i}`}>
                  {r.classNames[i]}
                </th>
                {row.map((v, j) => {
                  const count = r.matrix[i][j];
                  const bg = scaleColor(SCALE, v);
                  const selected = cell !== null && cell.r === i && cell.c === j;
                  return (
                    <td
                      key={j}
                      data-testid={`cm-${i}-${j}`}
                      data-count={count}
                      className={`cm-cell${selected ? ' selected' : ''}${count ? ' has' : ''}`}
                      style={count ? { background: rgbCss(bg), color: readableTextOn(bg) } : undefined}
                      title={`${r.classNames[i]} → ${r.classNames[j]}: ${count} px (${(v * 100).toFixed(1)} % of ${r.classNames[i]})`}
                      onClick={() => count && setCell({ r: i, c: j })}
                    >
                      {count ? (v >= 0.995 ? '100' : v < 0.005 ? '<1' : (v * 100).toFixed(0)) : ''}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {cell && (
        <div className="cell-images" data-testid="cell-images">
          <div>
            <b>
              {r.classNames[cell.r]} → {r.classNames[cell.c]}
            </b>
            : images contributing most
          </div>
          <ul>
            {top.map((t) => (
              <li key={t.imageId}>
                <button className="link" data-image={t.imageId} onClick={() => props.onOpen(t.imageId)}>
                  {t.imageId}
                </button>{' '}
                {t.pixels} px
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
