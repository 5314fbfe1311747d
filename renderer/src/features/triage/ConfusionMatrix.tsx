// Confusion matrix of a source over a dataset: rows GT, columns prediction, cells shaded by the
// row-normalised share. Clicking a cell lists the images contributing most pixels to it.
import { useState } from 'react';
import type { ContractClient } from '../../../../shared/contract/index';
import type { ConfusionResult, MapSource } from '../../../../shared/contract/maps';
import { scaleColor, rgbCss } from '../../lib/colormaps';
import { rowNormalise } from './triage';
import { Progress, useMapsJob } from './use-maps-job';

export function useConfusion(client: ContractClient, source: MapSource | null, datasetId: string) {
  return useMapsJob<ConfusionResult>(client, source ? (jobId) => client.call('maps.confusion', { source, datasetId, top: 8, jobId }) : null, [JSON.stringify(source), datasetId]);
}

export function ConfusionMatrix(props: { client: ContractClient; source: MapSource; datasetId: string; onOpen: (imageId: string) => void }) {
  const job = useConfusion(props.client, props.source, props.datasetId);
  const [cell, setCell] = useState<{ r: number; c: number } | null>(null);
  const r = job.result;
  if (!r) return <Progress progress={job.progress} running={job.running} onCancel={job.cancel} label="confusion matrix" />;
  const norm = rowNormalise(r.matrix);
  const size = 18;
  const top = cell ? (r.topImages[`${cell.r},${cell.c}`] ?? []) : [];
  return (
    <div className="confusion" data-testid="confusion">
      <div className="muted">
        {r.images} images · mIoU {r.miou === null ? '–' : (r.miou * 100).toFixed(1)} · rows = ground truth, columns = prediction
      </div>
      <svg width={140 + size * r.numClasses} height={20 + size * r.numClasses} role="grid">
        {r.classNames.map((n, k) => (
          <text key={`r${k}`} x={136} y={20 + k * size + size * 0.7} textAnchor="end" fontSize={10}>
            {n}
          </text>
        ))}
        {norm.map((row, i) =>
          row.map((v, j) => (
            <rect
              key={`${i},${j}`}
              data-testid={`cm-${i}-${j}`}
              data-count={r.matrix[i][j]}
              x={140 + j * size}
              y={20 + i * size}
              width={size - 1}
              height={size - 1}
              fill={r.matrix[i][j] ? rgbCss(scaleColor('magma', 1 - v)) : '#f4f4f4'}
              stroke={cell && cell.r === i && cell.c === j ? '#1565c0' : 'none'}
              strokeWidth={2}
              style={{ cursor: r.matrix[i][j] ? 'pointer' : 'default' }}
              onClick={() => r.matrix[i][j] && setCell({ r: i, c: j })}
            >
              <title>{`${r.classNames[i]} → ${r.classNames[j]}: ${r.matrix[i][j]} px (${(v * 100).toFixed(1)} % of ${r.classNames[i]})`}</title>
            </rect>
          )),
        )}
      </svg>
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
