// Live curves of a run: each loss term (smoothed) and validation mIoU on a second axis.
import type { ChartData } from './run-series';
import { extent, linePath, smooth } from './chart';

const COLORS = ['#5c6bc0', '#ef6c00', '#2e7d32', '#8e24aa', '#00838f', '#6d4c41'];


export function RunChart({ data, width = 420, height = 160 }: { data: ChartData; width?: number; height?: number }) {
  const names = Object.keys(data.losses);
  const all = names.flatMap((n) => data.losses[n].map((p) => p.y));
  const xs = { min: 0, max: Math.max(1, data.iterations) };
  const ys = extent(all);
  const ms = { min: 0, max: 1 };
  const pad = 28;
  const w = width - pad * 2;
  const h = height - 24;
  return (
    <svg width={width} height={height} data-testid="run-chart" data-points={names.reduce((a, n) => a + data.losses[n].length, 0)}>
      <g transform={`translate(${pad},4)`}>
        <rect width={w} height={h} fill="none" stroke="#ddd" />
        {names.map((n, i) => {
          const pts = data.losses[n];
          const sm = smooth(pts.map((p) => p.y));
          return <path key={n} d={linePath(pts.map((p, j) => ({ x: p.x, y: sm[j] })), xs, ys, w, h)} fill="none" stroke={COLORS[i % COLORS.length]} strokeWidth={1.5} />;
        })}
        {data.miou.length > 0 && <path d={linePath(data.miou, xs, ms, w, h)} fill="none" stroke="#c62828" strokeWidth={2} strokeDasharray="4 2" />}
        <text x={-4} y={10} fontSize={9} textAnchor="end">
          {ys.max.toFixed(2)}
        </text>
        <text x={-4} y={h} fontSize={9} textAnchor="end">
          {ys.min.toFixed(2)}
        </text>
        <text x={w} y={h + 14} fontSize={9} textAnchor="end">
          it {data.iterations}
        </text>
      </g>
      <g transform={`translate(${pad},${height - 6})`} fontSize={10}>
        {names.map((n, i) => (
          <text key={n} x={i * 70} fill={COLORS[i % COLORS.length]}>
            {n}
          </text>
        ))}
        {data.miou.length > 0 && (
          <text x={names.length * 70} fill="#c62828">
            val mIoU
          </text>
        )}
      </g>
    </svg>
  );
}
