// Colour scale legend for the heatmap in view, and class swatches for label overlays.
import type { Rgb } from '../../../../shared/classes';
import { legendGradient, rgbCss } from '../../lib/colormaps';
import type { ScaleName } from '../../lib/colormaps';
import { legendTicks } from '../../lib/heatmap-scale';
import type { ValueRange } from '../../lib/heatmap-scale';
import { ERROR_COLORS } from '../../lib/error-map';

export function HeatmapLegend(props: { title: string; scale: ScaleName; range: ValueRange; robust: boolean; warning?: string | null }) {
  const ticks = legendTicks(props.range, 5);
  return (
    <div className="legend" data-testid="heatmap-legend">
      <div className="legend-title">
        {props.title}
        {props.robust && <span className="muted"> (2–98 % range)</span>}
        {props.warning && (
          <span className="legend-warning" data-testid="heatmap-no-prototype">
            {' '}
            · {props.warning}
          </span>
        )}
      </div>
      <div className="legend-bar" style={{ background: legendGradient(props.scale), height: 10, borderRadius: 2 }} />
      <div className="legend-ticks" style={{ display: 'flex', justifyContent: 'space-between', fontSize: 11 }}>
        {ticks.map((t) => (
          <span key={t.t} data-value={t.value}>
            {t.label}
          </span>
        ))}
      </div>
    </div>
  );
}

export function ErrorLegend(props: { focus: string | null }) {
  const sw = (i: number) => rgbCss(ERROR_COLORS[i]!.slice(0, 3) as unknown as Rgb);
  const items = props.focus
    ? [
        ['TP', 1],
        ['FP', 2],
        ['FN', 3],
      ]
    : [['wrong', 4]];
  return (
    <div className="legend" data-testid="error-legend">
      {items.map(([name, i]) => (
        <span key={name} style={{ marginRight: 8 }}>
          <span className="swatch" style={{ background: sw(i as number) }} /> {name}
          {props.focus ? ` (${props.focus})` : ''}
        </span>
      ))}
    </div>
  );
}

export function Swatch(props: { rgb: Rgb | undefined }) {
  return <span className="swatch" style={{ background: props.rgb ? rgbCss(props.rgb) : 'transparent' }} />;
}
