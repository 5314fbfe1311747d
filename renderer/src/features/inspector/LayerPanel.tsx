// Layer controls: one row per overlay the maps can draw (numbered for the 1–9 keys), with opacity,
// fill/outline and per-class show/hide/solo; the class the distance/ω/error layers focus on; the
// heatmap scale; and the two-layer comparison.
import { useState } from 'react';
import type { Rgb } from '../../../../shared/classes';
import { scaleNames } from '../../lib/colormaps';
import type { ScaleName } from '../../lib/colormaps';
import { overlayKind, overlayTitles } from '../../lib/overlay-render';
import type { OverlayId } from '../../lib/overlay-render';
import type { CompareMode, ViewerState } from '../viewer/viewer-state';
import { setCompare, setOn, setOpacity, setOutline, show, soloClass, toggleClass } from '../viewer/viewer-state';
import { Swatch } from './Legend';

export interface LayerPanelProps {
  state: ViewerState;
  update: (f: (s: ViewerState) => ViewerState) => void;
  available: readonly OverlayId[];
  labelLayers: readonly string[];
  classNames: readonly string[];
  palette: readonly Rgb[];
  /** Why the pseudo-label layers (raw, denoised, flips) are not in the list, if they are not. */
  missing?: string | null;
}

export function LayerPanel({ state, update, available, labelLayers, classNames, palette, missing }: LayerPanelProps) {
  const [open, setOpen] = useState<OverlayId | null>(null);
  return (
    <div className="layer-panel" data-testid="layer-panel">
      <h4>Layers</h4>
      {available.map((id, i) => {
        const o = state.overlays.find((x) => x.id === id)!;
        const kind = overlayKind(id);
        return (
          <div key={id} className={`layer-row${o.on ? ' on' : ''}`} data-testid={`layer-${id}`}>
            <label>
              <input
                type="checkbox"
                checked={o.on}
                onChange={(e) => update((s) => (e.target.checked ? show(s, id) : setOn(s, id, false)))}
                aria-label={overlayTitles[id]}
              />
              {i < 9 && <kbd>{i + 1}</kbd>} {overlayTitles[id]}
              {(id === 'distClass' || id === 'omega') && <span className="muted"> · {classNames[state.focusClass]}</span>}
            </label>
            <input
              type="range"
              min={0}
              max={1}
              step={0.05}
              value={o.opacity}
              aria-label={`${overlayTitles[id]} opacity`}
              onChange={(e) => update((s) => setOpacity(s, id, Number(e.target.value)))}
            />
            {(kind === 'label' || kind === 'flips') && (
              <>
                {kind === 'label' && (
                  <button className={o.outline ? 'active' : ''} title="fill / outline" onClick={() => update((s) => setOutline(s, id, !o.outline))}>
                    {o.outline ? 'outline' : 'fill'}
                  </button>
                )}
                <button title="per-class show/hide/solo" onClick={() => setOpen(open === id ? null : id)}>
                  classes{o.solo !== null ? ' (solo)' : o.hidden.length ? ` (−${o.hidden.length})` : ''}
                </button>
              </>
            )}
            {open === id && (
              <div className="class-chips">
                {classNames.map((name, k) => {
                  const visible = o.solo === null ? !o.hidden.includes(k) : o.solo === k;
                  return (
                    <button
                      key={k}
                      className={`chip${visible ? '' : ' off'}${o.solo === k ? ' solo' : ''}`}
                      title="click: show/hide · shift+click: solo"
                      onClick={(e) => update((s) => (e.shiftKey ? soloClass(s, id, k) : toggleClass(s, id, k)))}
                    >
                      <Swatch rgb={palette[k]} /> {name}
                    </button>
                  );
                })}
              </div>
            )}
          </div>
        );
      })}

      {missing && (
        <div className="layers-missing muted" data-testid="layers-missing">
          raw · denoised · flips: {missing}
        </div>
      )}

      <h4>Focus</h4>
      <label>
        class{' '}
        <select data-testid="focus-class" value={state.focusClass} onChange={(e) => update((s) => ({ ...s, focusClass: Number(e.target.value) }))}>
          {classNames.map((n, k) => (
            <option key={k} value={k}>
              {n}
            </option>
          ))}
        </select>
      </label>
      <label>
        {' '}scale{' '}
        <select value={state.scale} onChange={(e) => update((s) => ({ ...s, scale: e.target.value as ScaleName }))}>
          {scaleNames.map((n) => (
            <option key={n}>{n}</option>
          ))}
        </select>
      </label>
      {available.includes('error') && (
        <div className="error-settings">
          error map: <LayerSelect value={state.errorOf} options={labelLayers} onChange={(v) => update((s) => ({ ...s, errorOf: v as ViewerState['errorOf'] }))} /> vs{' '}
          <LayerSelect value={state.errorRef} options={labelLayers} onChange={(v) => update((s) => ({ ...s, errorRef: v as ViewerState['errorRef'] }))} />
          <label>
            <input type="checkbox" checked={state.errorFocus} onChange={(e) => update((s) => ({ ...s, errorFocus: e.target.checked }))} /> TP/FP/FN of focus class
          </label>
        </div>
      )}

      <h4>Compare</h4>
      <div className="compare" data-testid="compare">
        <select value={state.compare.mode} aria-label="compare mode" onChange={(e) => update((s) => setCompare(s, { mode: e.target.value as CompareMode }))}>
          <option value="none">off</option>
          <option value="swipe">swipe</option>
          <option value="side">side by side</option>
        </select>
        <LayerSelect value={state.compare.a} options={available} onChange={(v) => update((s) => setCompare(s, { a: v as OverlayId }))} />
        <LayerSelect value={state.compare.b} options={available} onChange={(v) => update((s) => setCompare(s, { b: v as OverlayId }))} />
        {state.compare.mode === 'swipe' && (
          <input type="range" min={0} max={1} step={0.01} value={state.compare.split} aria-label="swipe position" onChange={(e) => update((s) => setCompare(s, { split: Number(e.target.value) }))} />
        )}
      </div>
    </div>
  );
}

function LayerSelect(props: { value: string; options: readonly string[]; onChange: (v: string) => void }) {
  return (
    <select value={props.value} onChange={(e) => props.onChange(e.target.value)}>
      {props.options.map((o) => (
        <option key={o} value={o}>
          {o in overlayTitles ? overlayTitles[o as OverlayId] : o}
        </option>
      ))}
    </select>
  );
}
