// The pixel under the cursor: every layer's label, the class probabilities, the distance to each
// prototype and ω. Reads the maps the viewer already has (same cell rule as maps.pixel in main).
import { useEffect, useState } from 'react';
import { IGNORE_LABEL } from '../../../../shared/classes';
import type { Rgb } from '../../../../shared/classes';
import type { MapLayer, PixelValues } from '../../../../shared/contract/maps';
import { inspectPixel, rankClasses } from '../../lib/pixel-inspect';
import type { ViewStore } from '../viewer/view-store';
import { Swatch } from './Legend';

const fmt = (v: number, digits = 3) => (Number.isFinite(v) ? v.toFixed(digits) : '–');

export function PixelInspector(props: {
  store: ViewStore;
  layers: readonly MapLayer[];
  width: number;
  height: number;
  classNames: readonly string[];
  palette: readonly Rgb[];
  /** A pinned pixel (clicked) overrides the cursor. */
  pinned: { x: number; y: number } | null;
  /** Per class, whether the source's prototype was ever initialised (maps.get's pseudo.prototypes). */
  prototypes: readonly boolean[] | null;
}) {
  const { store, layers, width, height, pinned } = props;
  const [values, setValues] = useState<PixelValues | null>(null);
  useEffect(() => {
    if (pinned) {
      setValues(inspectPixel(layers, width, height, pinned.x, pinned.y));
      return;
    }
    let frame = 0;
    const update = () => {
      frame = 0;
      const c = store.get().cursor;
      setValues(c ? inspectPixel(layers, width, height, c.x, c.y) : null);
    };
    update();
    // At most one update per animation frame, however fast the pointer moves.
    return store.subscribe((s, prev) => {
      if (s.cursor !== prev.cursor && !frame) frame = requestAnimationFrame(update);
    });
  }, [store, layers, width, height, pinned]);

  if (!values) return <div className="pixel-inspector muted">Move over the image (click to pin a pixel)</div>;
  const name = (k: number) => (k === IGNORE_LABEL ? 'ignore' : (props.classNames[k] ?? `#${k}`));
  const probs = values.vectors.probs ?? values.vectors.soft;
  const dist = values.vectors.dist;
  const omega = values.vectors.omega;
  const noProto = new Set<number>(dist || omega ? (props.prototypes ?? []).flatMap((present, k) => (present ? [] : [k])) : []);
  return (
    <div className="pixel-inspector" data-testid="pixel-inspector" data-x={values.x} data-y={values.y}>
      <div className="pi-head">
        pixel ({values.x}, {values.y}){pinned ? ' · pinned' : ''}
      </div>
      <table className="pi-labels">
        <tbody>
          {Object.entries(values.labels).map(([id, k]) => (
            <tr key={id} data-layer={id} data-label={k}>
              <td>{id}</td>
              <td>
                <Swatch rgb={props.palette[k]} /> {name(k)}
              </td>
            </tr>
          ))}
          {Object.entries(values.scalars).map(([id, v]) => (
            <tr key={id} data-scalar={id} data-value={v}>
              <td>{id}</td>
              <td>{fmt(v)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {(probs || dist || omega) && (
        <table className="pi-classes" data-testid="pi-classes">
          <thead>
            <tr>
              <th>class</th>
              {probs && <th>{values.vectors.probs ? 'p' : 'p₀'}</th>}
              {dist && <th>dist</th>}
              {omega && <th>ω</th>}
            </tr>
          </thead>
          <tbody>
            {rankClasses(probs ?? omega ?? dist!.map((d) => -d), false).map((k) => (
              <tr key={k} data-class={k} data-prob={probs?.[k]} data-dist={dist?.[k]} data-omega={omega?.[k]}>
                <td>
                  <Swatch rgb={props.palette[k]} /> {name(k)}
                </td>
                {probs && (
                  <td>
                    <span className="bar" style={{ width: `${Math.round(probs[k] * 60)}px` }} /> {fmt(probs[k])}
                  </td>
                )}
                {noProto.has(k) ? (
                  (dist || omega) && (
                    <td colSpan={(dist ? 1 : 0) + (omega ? 1 : 0)} className="muted" data-testid="no-prototype">
                      no prototype for this class
                    </td>
                  )
                ) : (
                  <>
                    {dist && <td>{fmt(dist[k], 2)}</td>}
                    {omega && <td>{fmt(omega[k])}</td>}
                  </>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {noProto.size > 0 && (
        <div className="muted pi-note" data-testid="pi-no-prototype-note">
          {noProto.size} of {props.classNames.length} classes have no prototype (the prototype EMA never saw a pixel of them in the pseudo-labels): no distance or ω for them.
        </div>
      )}
    </div>
  );
}
