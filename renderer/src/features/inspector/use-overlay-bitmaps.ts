// Keeps one ImageBitmap per overlay that is shown (or compared), re-rendering in the worker only the
// overlays whose spec changed. Opacity is not part of the spec: Konva applies it at draw time.
import { useEffect, useMemo, useRef, useState } from 'react';
import type { Rgb } from '../../../../shared/classes';
import type { MapLayer } from '../../../../shared/contract/maps';
import { visibleClasses } from '../../lib/colormaps';
import type { ValueRange } from '../../lib/heatmap-scale';
import { OverlayClient } from '../../lib/overlay-client';
import { overlayKind } from '../../lib/overlay-render';
import type { OverlayId, OverlaySpec } from '../../lib/overlay-render';
import type { ViewerState } from '../viewer/viewer-state';

export interface OverlayBitmaps {
  bitmaps: Partial<Record<OverlayId, ImageBitmap>>;
  ranges: Partial<Record<OverlayId, ValueRange>>;
  error: string | null;
  /** Worker time of the last render, ms. */
  lastMs: number;
  /** Every wanted overlay has its bitmap for its current spec (tests and screenshots wait on this). */
  ready: boolean;
}

export function specFor(state: ViewerState, id: OverlayId, numClasses: number): OverlaySpec {
  const o = state.overlays.find((x) => x.id === id)!;
  const kind = overlayKind(id);
  return {
    id,
    cls: kind === 'error' ? (state.errorFocus ? state.focusClass : null) : id === 'distClass' || id === 'omega' ? state.focusClass : null,
    errorOf: state.errorOf,
    errorRef: state.errorRef,
    visible: visibleClasses(numClasses, new Set(o.hidden), o.solo),
    outline: o.outline,
    scale: state.scale,
    range: null,
  };
}

const specKey = (s: OverlaySpec) =>
  JSON.stringify({ ...s, visible: Array.from(s.visible.subarray(0, 64)).join('') });

export function useOverlayBitmaps(
  mapsKey: string | null,
  layers: MapLayer[] | null,
  palette: readonly Rgb[],
  numClasses: number,
  state: ViewerState,
  wanted: readonly OverlayId[],
): OverlayBitmaps {
  const client = useMemo(() => new OverlayClient(), []);
  useEffect(() => () => client.dispose(), [client]);
  const [out, setOut] = useState<Omit<OverlayBitmaps, 'ready'>>({ bitmaps: {}, ranges: {}, error: null, lastMs: 0 });
  const done = useRef(new Map<OverlayId, string>());
  /** Per overlay, the maps and spec its current bitmap was rendered from. */
  const [drawn, setDrawn] = useState<Partial<Record<OverlayId, string>>>({});

  useEffect(() => {
    if (!mapsKey || !layers) return;
    client.setMaps(mapsKey, layers, palette);
    done.current.clear();
    setOut({ bitmaps: {}, ranges: {}, error: null, lastMs: 0 });
    setDrawn({});
    return () => client.drop(mapsKey);
  }, [client, mapsKey, layers, palette]);

  const specs = wanted.map((id) => specFor(state, id, numClasses));
  const key = specs.map(specKey).join('|');
  useEffect(() => {
    if (!mapsKey || !layers) return;
    let live = true;
    for (const spec of specs) {
      const k = specKey(spec);
      if (done.current.get(spec.id) === `${mapsKey}:${k}`) continue;
      done.current.set(spec.id, `${mapsKey}:${k}`);
      client.render(mapsKey, spec).then(
        (r) => {
          if (!live && done.current.get(spec.id) !== `${mapsKey}:${k}`) return;
          setOut((prev) => ({
            bitmaps: { ...prev.bitmaps, [spec.id]: r.bitmap },
            ranges: r.range ? { ...prev.ranges, [spec.id]: r.range } : prev.ranges,
            error: null,
            lastMs: r.ms,
          }));
          setDrawn((prev) => ({ ...prev, [spec.id]: `${mapsKey}:${k}` }));
        },
        (err: Error) => {
          done.current.delete(spec.id);
          setOut((prev) => ({ ...prev, error: err.message }));
        },
      );
    }
    return () => {
      live = false;
    };
    // `key` encodes specs.
  }, [client, mapsKey, layers, key]);
  const ready = !!mapsKey && specs.every((spec) => drawn[spec.id] === `${mapsKey}:${specKey(spec)}`);
  return { ...out, ready };
}
