// One image in the inspector: the Konva viewer with the overlays the maps allow, the layer panel,
// the legend, the pixel inspector and the keyboard. Talks to main only through the contract client.
import { useEffect, useMemo, useRef, useState } from 'react';
import type { ReactNode } from 'react';
import type { Rgb } from '../../../../shared/classes';
import type { ContractClient } from '../../../../shared/contract/index';
import { pseudoLayersMissing } from '../../../../shared/contract/maps';
import type { ImageRef, MapSource } from '../../../../shared/contract/maps';
import { availableOverlays, overlayKind, overlayTitles } from '../../lib/overlay-render';
import type { OverlayId } from '../../lib/overlay-render';
import { actionForKey } from '../viewer/shortcuts';
import { Viewer } from '../viewer/Viewer';
import type { ViewerOverlay } from '../viewer/Viewer';
import { createViewStore, fitToWindow, pan, setImage, setViewport, zoomBy } from '../viewer/view-store';
import type { ViewStore } from '../viewer/view-store';
import { createStore, useStore } from '../viewer/store';
import type { Store } from '../viewer/store';
import { drawOrder, initialViewerState, setCompare, stepOpacity, toggleNth } from '../viewer/viewer-state';
import type { ViewerState } from '../viewer/viewer-state';
import { ErrorLegend, HeatmapLegend } from './Legend';
import { LayerPanel } from './LayerPanel';
import { PixelInspector } from './PixelInspector';
import { ShortcutsSheet } from './ShortcutsSheet';
import { useImageData } from './use-image-data';
import { useOverlayBitmaps } from './use-overlay-bitmaps';
import './inspector.css';

export interface InspectorViewProps {
  client: ContractClient;
  source: MapSource | null;
  image: ImageRef;
  palette: readonly Rgb[];
  onNavigate?: (where: 'next' | 'prev' | 'worst') => void;
  /** Shared zoom/pan store (the annotation editor passes its own to stay in sync). */
  viewStore?: ViewStore;
  /** Overlay settings store, kept across images by the caller. */
  settings?: Store<ViewerState>;
  /** Konva layers drawn above the overlays (the annotation editor's mount point). */
  annotationLayer?: ReactNode;
  /** Where the image sits in the dataset's list, for the status line. */
  position?: { index: number; count: number };
}

/** Typing targets keep their keys; after a checkbox, button or slider the viewer's keys work again. */
function isTypingTarget(t: HTMLElement | null): boolean {
  if (!t) return false;
  if (t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable) return true;
  return t.tagName === 'INPUT' && !['checkbox', 'radio', 'button', 'range', 'color'].includes((t as HTMLInputElement).type);
}

const COMPARE_CYCLE = ['none', 'swipe', 'side'] as const;

export function InspectorView(props: InspectorViewProps) {
  const { client, source, image, palette } = props;
  const viewStore = useMemo(() => props.viewStore ?? createViewStore(), [props.viewStore]);
  const settings = useMemo(() => props.settings ?? createStore(initialViewerState()), [props.settings]);
  const state = useStore(settings, (s) => s);
  const update = (f: (s: ViewerState) => ViewerState) => settings.set(f);
  const data = useImageData(client, source, image);
  const maps = data.maps;
  const W = maps?.width ?? data.photo?.width ?? 0;
  const H = maps?.height ?? data.photo?.height ?? 0;
  const available = useMemo(() => (maps ? availableOverlays(maps.layers) : []), [maps]);
  const labelLayers = useMemo(() => (maps ? maps.layers.filter((l) => l.kind === 'label').map((l) => l.id) : []), [maps]);
  const classNames = maps?.classNames ?? [];
  // Raw, denoised and flips exist only where the source has a soft pseudo-label: say why when they do not.
  const missing = maps ? pseudoLayersMissing(maps.pseudo, maps.hasPseudo) : null;
  const [help, setHelp] = useState(false);
  const zoom = useStore(viewStore, (s) => s.view.scale);
  const [pinned, setPinned] = useState<{ x: number; y: number } | null>(null);

  const compare = state.compare;
  const shown = drawOrder(state).filter((o) => available.includes(o.id));
  const wanted: OverlayId[] = compare.mode === 'none' ? shown.map((o) => o.id) : [...new Set([compare.a, compare.b])].filter((id) => available.includes(id));
  const mapsKey = maps ? `${image.datasetId}/${image.imageId}/${JSON.stringify(source)}` : null;
  const bitmaps = useOverlayBitmaps(mapsKey, maps?.layers ?? null, palette, maps?.numClasses ?? 0, state, wanted);

  // Viewer size follows its box.
  const box = useRef<HTMLDivElement>(null);
  const [size, setSize] = useState({ w: 800, h: 500 });
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setSize({ w: Math.max(100, el.clientWidth), h: Math.max(100, el.clientHeight) }));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const paneW = compare.mode === 'side' ? Math.floor(size.w / 2) - 2 : size.w;
  useEffect(() => setViewport(viewStore, paneW, size.h), [viewStore, paneW, size.h]);
  useEffect(() => {
    if (W && H) setImage(viewStore, W, H);
  }, [viewStore, W, H]);
  useEffect(() => setPinned(null), [image.imageId]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      // Keys another component already handled (the grid's arrow navigation) are not ours.
      if (e.defaultPrevented) return;
      const t = e.target as HTMLElement | null;
      if (isTypingTarget(t)) return;
      const a = actionForKey(e);
      if (!a) return;
      // A slider keeps its own arrow keys.
      if (t?.tagName === 'INPUT' && (t as HTMLInputElement).type === 'range' && e.key.startsWith('Arrow')) return;
      e.preventDefault();
      switch (a.type) {
        case 'nextImage':
          return props.onNavigate?.('next');
        case 'prevImage':
          return props.onNavigate?.('prev');
        case 'nextWorst':
          return props.onNavigate?.('worst');
        case 'toggleLayer':
          return update((s) => toggleNth(s, available, a.n));
        case 'opacity':
          return update((s) => stepOpacity(s, a.delta));
        case 'zoom':
          return zoomBy(viewStore, a.factor);
        case 'fit':
          return fitToWindow(viewStore);
        case 'pan':
          return pan(viewStore, a.dx, a.dy);
        case 'swipe':
          return update((s) => setCompare(s, { split: s.compare.split + a.delta }));
        case 'cycleCompare':
          return update((s) => setCompare(s, { mode: COMPARE_CYCLE[(COMPARE_CYCLE.indexOf(s.compare.mode) + 1) % COMPARE_CYCLE.length] }));
        case 'help':
          return setHelp((h) => !h);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
    // update/settings are stable per store; available changes with the maps.
  }, [available, viewStore, props.onNavigate, settings]);

  const ov = (id: OverlayId): ViewerOverlay | null => {
    const bm = bitmaps.bitmaps[id];
    const o = state.overlays.find((x) => x.id === id)!;
    return bm ? { id, bitmap: bm, opacity: o.opacity } : null;
  };
  const normal = shown.map((o) => ov(o.id)).filter((x): x is ViewerOverlay => x !== null);
  const heat = shown.find((o) => overlayKind(o.id) === 'heatmap');
  const heatRange = heat ? bitmaps.ranges[heat.id] : undefined;
  const errorOn = shown.some((o) => o.id === 'error');

  const viewer = (w: number, overlays: readonly ViewerOverlay[], swipe: Parameters<typeof Viewer>[0]['swipe'], testId: string, withAnnotation: boolean) => (
    <Viewer
      store={viewStore}
      width={w}
      height={size.h}
      photo={data.photo}
      imageWidth={W}
      imageHeight={H}
      overlays={overlays}
      swipe={swipe}
      testId={testId}
      onImageClick={(x, y) => setPinned((p) => (p && p.x === x && p.y === y ? null : { x, y }))}
    >
      {withAnnotation ? props.annotationLayer : null}
    </Viewer>
  );

  return (
    <div className="inspector" data-testid="inspector" data-image={image.imageId}>
      <div className="inspector-main">
        <div className="inspector-canvas" ref={box}>
          {W > 0 &&
            (compare.mode === 'side' ? (
              <div style={{ display: 'flex', gap: 4 }}>
                <div className="pane">
                  {viewer(paneW, [ov(compare.a)].filter((x): x is ViewerOverlay => !!x), null, 'viewer-a', true)}
                  <div className="pane-caption" data-testid="caption-a">
                    {overlayTitles[compare.a]}
                  </div>
                </div>
                <div className="pane">
                  {viewer(paneW, [ov(compare.b)].filter((x): x is ViewerOverlay => !!x), null, 'viewer-b', false)}
                  <div className="pane-caption" data-testid="caption-b">
                    {overlayTitles[compare.b]}
                  </div>
                </div>
              </div>
            ) : compare.mode === 'swipe' ? (
              <div className="pane">
                {viewer(paneW, [], { a: ov(compare.a), b: ov(compare.b), split: compare.split }, 'viewer', true)}
                <div className="pane-caption" data-testid="caption-a">
                  ◀ {overlayTitles[compare.a]}
                </div>
                <div className="pane-caption right" data-testid="caption-b">
                  {overlayTitles[compare.b]} ▶
                </div>
              </div>
            ) : (
              viewer(paneW, normal, null, 'viewer', true)
            ))}
        </div>
        {heat && heatRange && (
          <HeatmapLegend
            title={`${overlayTitles[heat.id]}${heat.id === 'distClass' || heat.id === 'omega' ? ` · ${classNames[state.focusClass]}` : ''}`}
            scale={state.scale}
            range={heatRange}
            robust={heat.id === 'distClass' || heat.id === 'distNearest'}
            warning={(heat.id === 'distClass' || heat.id === 'omega') && maps?.pseudo.prototypes?.[state.focusClass] === false ? 'no prototype for this class: the values mean nothing' : null}
          />
        )}
        {errorOn && <ErrorLegend focus={state.errorFocus ? classNames[state.focusClass] : null} />}
        <div className="inspector-image-line" data-testid="inspector-image">
          <b>{image.imageId}</b>
          {props.position && props.position.index >= 0 && (
            <span>
              {' '}
              · image {props.position.index + 1} of {props.position.count}
            </span>
          )}
          <span data-testid="inspector-zoom"> · zoom {Math.round(zoom * 100)} %</span>
        </div>
        <div className="inspector-status" data-testid="inspector-status" data-overlays-ready={bitmaps.ready ? 'yes' : 'no'}>
          {data.loading ? (data.progress ?? 'loading…') : data.error ? <span className="error">{data.error}</span> : maps ? `${W}×${H} · ${maps.cached ? 'cached' : 'computed'} maps` : source ? '' : 'no map source chosen'}
          {bitmaps.error && <span className="error"> · {bitmaps.error}</span>}
          {bitmaps.lastMs > 0 && <span className="muted"> · colourised in {bitmaps.lastMs.toFixed(0)} ms</span>}
          {maps?.stats.miou != null && <span> · mIoU {(maps.stats.miou * 100).toFixed(1)}</span>}
          {maps?.stats.flippedShare != null && <span> · flipped {(maps.stats.flippedShare * 100).toFixed(1)} %</span>}
          <button className="link" onClick={() => setHelp(true)}>
            shortcuts (?)
          </button>
        </div>
      </div>
      <div className="inspector-side">
        {maps && <PixelInspector store={viewStore} layers={maps.layers} width={W} height={H} classNames={classNames} palette={palette} pinned={pinned} prototypes={maps.pseudo.prototypes} />}
        {maps && <LayerPanel state={state} update={update} available={available} labelLayers={labelLayers} classNames={classNames} palette={palette} missing={missing} />}
      </div>
      {help && (
        <ShortcutsSheet
          onClose={() => {
            setHelp(false);
            (document.activeElement as HTMLElement | null)?.blur();
          }}
        />
      )}
    </div>
  );
}
