// The label editor: the shared Konva viewer (same zoom/pan store as the inspector) with a label layer and
// a tool preview on top, a toolbar, a class picker with the class set's palette, and the keyboard.
// Painting never re-renders React: the session reports changed pixels, which are recoloured into one
// canvas and redrawn; stroke previews move Konva nodes directly.
import { useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import type Konva from 'konva';
import { Circle, Image as KImage, Layer, Line } from 'react-konva';
import { classSets, type ClassSetId } from '../../../../shared/classes';
import type { ContractClient } from '../../../../shared/contract/index';
import type { LabelExportFormat, LabelStart } from '../../../../shared/contract/labels';
import { Viewer } from '../viewer/Viewer';
import { screenPx, toImage } from '../viewer/view-math';
import { createViewStore, setImage, setViewport, type ViewStore } from '../viewer/view-store';
import { boundsOf, paintLabels } from './label-colors';
import { AnnotationSession } from './session';
import { StartMenu, type StartLayer } from './StartMenu';
import { initialToolState, isStrokeTool, type Point, keyAction, reduceTool, strokeOp, toolIds, toolInfo, type ToolAction, type ToolState } from './tools';
import './annotation.css';

export interface AnnotationEditorProps {
  client: ContractClient;
  datasetId: string;
  imageId: string;
  classSet: ClassSetId;
  /** The photo under the labels; fetched with images.get when not given. */
  photo?: ImageBitmap | null;
  /** Where corrections start when the image has none yet (default: ground truth where readable, else empty). */
  start?: LabelStart;
  /** Shared with the inspector's viewer so both stay locked together. */
  viewStore?: ViewStore;
  /** Label layers the host already has (e.g. the inspector's maps), offered as starting points. */
  layers?: readonly StartLayer[];
  onClose?: () => void;
}

export function AnnotationEditor(props: AnnotationEditorProps) {
  const { client, datasetId, imageId } = props;
  const set = classSets[props.classSet];
  const viewStore = useMemo(() => props.viewStore ?? createViewStore(), [props.viewStore]);
  const session = useMemo(() => new AnnotationSession(client, datasetId, imageId), [client, datasetId, imageId]);
  const snap = useSyncExternalStore(session.subscribe, session.getSnapshot);
  const [tools, setTools] = useState<ToolState>(initialToolState);
  const toolsRef = useRef(tools);
  toolsRef.current = tools;
  const photo = usePhoto(client, datasetId, imageId, props.photo);
  const startRef = useRef(props.start);
  const [localError, setLocalError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const counts = useDatasetCounts(client, datasetId);

  // Steps already shown are still sent after the editor closes: closing must not lose a stroke.
  useEffect(() => {
    void session.load(startRef.current);
  }, [session]);

  // The label canvas: one pixel per image pixel, recoloured where pixels change.
  const layers = snap.layers;
  const W = layers?.width ?? photo?.width ?? 0;
  const H = layers?.height ?? photo?.height ?? 0;
  const canvas = useMemo(() => {
    if (!layers) return null;
    const c = document.createElement('canvas');
    c.width = layers.width;
    c.height = layers.height;
    return c;
  }, [layers]);
  const labelLayer = useRef<Konva.Layer>(null);
  useEffect(() => {
    if (!canvas || !layers) return;
    const ctx = canvas.getContext('2d')!;
    const img = ctx.createImageData(layers.width, layers.height);
    paintLabels(img.data, layers, set.palette, null);
    ctx.putImageData(img, 0, 0);
    labelLayer.current?.batchDraw();
    return session.onPixels((changed) => {
      const current = session.getLayers();
      if (!current || current !== layers) return; // a reload brings new layers and a new canvas
      paintLabels(img.data, layers, set.palette, changed);
      const b = changed ? boundsOf(changed, layers.width) : { x: 0, y: 0, w: layers.width, h: layers.height };
      if (b) ctx.putImageData(img, 0, 0, b.x, b.y, b.w, b.h);
      labelLayer.current?.batchDraw();
    });
  }, [canvas, layers, session, set.palette]);

  // Viewer size follows its box; the view fits the image until the user moves it.
  const box = useRef<HTMLDivElement>(null);
  const [size, setSize] = useState({ w: 600, h: 400 });
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const measure = () => setSize({ w: Math.max(100, el.clientWidth), h: Math.max(100, el.clientHeight) });
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  useEffect(() => setViewport(viewStore, size.w, size.h), [viewStore, size.w, size.h]);
  // The view transform as a DOM attribute (set directly, no re-render): tests and tools map image pixels
  // to screen positions with it.
  useEffect(() => {
    const show = () => {
      const v = viewStore.get().view;
      box.current?.setAttribute('data-view', `${v.scale} ${v.x} ${v.y}`);
    };
    show();
    return viewStore.subscribe(show);
  }, [viewStore]);
  useEffect(() => {
    if (W && H) setImage(viewStore, W, H);
  }, [viewStore, W, H]);

  // Stroke and polygon previews live in Konva nodes moved directly.
  const previewLine = useRef<Konva.Line>(null);
  const polygonLine = useRef<Konva.Line>(null);
  const brushCursor = useRef<Konva.Circle>(null);
  const stroke = useRef<{ points: Point[]; fromClass: number } | null>(null);
  const polygon = useRef<Point[]>([]);
  const spaceDown = useRef(false);

  const redrawPreview = () => {
    const s = stroke.current;
    previewLine.current?.points(s ? s.points.flat() : []);
    polygonLine.current?.points(polygon.current.flat());
    labelLayer.current?.batchDraw();
  };

  const commitPolygon = () => {
    const vs = polygon.current;
    polygon.current = [];
    if (vs.length >= 3) session.apply({ tool: 'polygon', vertices: vs, rule: toolsRef.current.rule, classId: toolsRef.current.classId });
    redrawPreview();
  };

  const dispatch = (a: ToolAction) => {
    switch (a.type) {
      case 'undo':
        return void session.undo();
      case 'redo':
        return void session.redo();
      case 'commitPolygon':
        return commitPolygon();
      case 'cancel':
        stroke.current = null;
        polygon.current = [];
        return redrawPreview();
      default:
        setTools((t) => reduceTool(t, a));
    }
  };
  const dispatchRef = useRef(dispatch);
  dispatchRef.current = dispatch;

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (t && (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA' || t.isContentEditable)) return;
      if (e.key === ' ') {
        spaceDown.current = e.type === 'keydown';
        e.preventDefault();
        return;
      }
      if (e.type !== 'keydown') return;
      const a = keyAction(e);
      if (!a) return;
      if (a.type === 'class' && a.classId >= set.numClasses) return;
      // preventDefault tells the inspector's own key handler (1–9 toggle layers there) the key is taken.
      e.preventDefault();
      dispatchRef.current(a);
    };
    // Capture phase: this runs before the inspector view's window listener.
    window.addEventListener('keydown', onKey, true);
    window.addEventListener('keyup', onKey, true);
    return () => {
      window.removeEventListener('keydown', onKey, true);
      window.removeEventListener('keyup', onKey, true);
    };
  }, [set.numClasses]);

  // Pointer input is taken in the capture phase, before the viewer's own handlers (which pan): painting
  // tools stop the pointer-down there; the pan tool, Space, and non-primary buttons fall through.
  const imagePoint = (e: React.PointerEvent<HTMLDivElement> | React.MouseEvent<HTMLDivElement>): Point => {
    const r = e.currentTarget.getBoundingClientRect();
    const ip = toImage(viewStore.get().view, screenPx(e.clientX - r.left, e.clientY - r.top));
    return [ip.x, ip.y];
  };
  const painting = (e: React.PointerEvent<HTMLDivElement>) => e.button === 0 && toolsRef.current.tool !== 'pan' && !spaceDown.current;

  const onPointerDownCapture = (e: React.PointerEvent<HTMLDivElement>) => {
    const current = session.getLayers();
    if (!painting(e) || !current) return;
    e.stopPropagation();
    const p = imagePoint(e);
    const t = toolsRef.current;
    const inside = p[0] >= 0 && p[1] >= 0 && p[0] < current.width && p[1] < current.height;
    const labelAt = inside ? current.labels[Math.floor(p[1]) * current.width + Math.floor(p[0])] : -1;
    if (e.altKey && inside) {
      if (labelAt < set.numClasses) setTools((s) => reduceTool(s, { type: 'class', classId: labelAt }));
      return;
    }
    if (t.tool === 'fill') {
      if (inside) session.apply({ tool: 'fill', x: p[0], y: p[1], classId: t.classId });
      return;
    }
    if (t.tool === 'polygon') {
      polygon.current = [...polygon.current, p];
      redrawPreview();
      return;
    }
    if (isStrokeTool(t.tool)) {
      e.currentTarget.setPointerCapture(e.pointerId);
      stroke.current = { points: [p], fromClass: labelAt };
      redrawPreview();
    }
  };
  const onPointerMove = (e: React.PointerEvent<HTMLDivElement>) => {
    const p = imagePoint(e);
    const c = brushCursor.current;
    if (c) {
      c.position({ x: p[0], y: p[1] });
      c.radius(toolsRef.current.size / 2);
      c.visible(isStrokeTool(toolsRef.current.tool));
    }
    const s = stroke.current;
    if (s) {
      const last = s.points[s.points.length - 1];
      if (Math.hypot(p[0] - last[0], p[1] - last[1]) >= 0.5) s.points.push(p);
    }
    redrawPreview();
  };
  const onPointerUpCapture = (e: React.PointerEvent<HTMLDivElement>) => {
    const s = stroke.current;
    if (!s) return;
    e.stopPropagation();
    stroke.current = null;
    const op = strokeOp(toolsRef.current, s.points, s.fromClass);
    if (op) session.apply(op);
    redrawPreview();
  };

  const exportAs = async (format: LabelExportFormat) => {
    await session.idle();
    const r = await client.call('labels.export', { datasetId, imageId, format });
    const url = URL.createObjectURL(new Blob([r.bytes as Uint8Array<ArrayBuffer>], { type: r.mime }));
    const a = document.createElement('a');
    a.href = url;
    a.download = r.fileName;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };

  const colour = (id: number) => {
    const c = set.palette[id];
    return c ? `rgb(${c[0]}, ${c[1]}, ${c[2]})` : '#000';
  };
  const previewColour = tools.tool === 'eraser' ? '#ffffff' : tools.tool === 'ignore' ? '#141414' : colour(tools.classId);

  return (
    <section className="annotation-editor" data-testid="annotation-editor" data-seq={snap.seq} data-pending={snap.pending}>
      <div className="annotation-toolbar">
        <div className="group" role="toolbar" aria-label="tools">
          {toolIds.map((id) => (
            <button
              key={id}
              type="button"
              data-testid={`tool-${id}`}
              className={tools.tool === id ? 'active' : ''}
              title={`${toolInfo[id].title} (${toolInfo[id].key})`}
              onClick={() => dispatch({ type: 'tool', tool: id })}
            >
              {id}
            </button>
          ))}
        </div>
        <span className="sep" />
        <div className="group">
          <button type="button" onClick={() => dispatch({ type: 'size', step: -1 })} title="smaller brush ([)">
            −
          </button>
          <span data-testid="brush-size">{tools.size}px</span>
          <button type="button" onClick={() => dispatch({ type: 'size', step: 1 })} title="bigger brush (])">
            +
          </button>
          {tools.tool === 'polygon' && (
            <select value={tools.rule} onChange={(e) => setTools((t) => ({ ...t, rule: e.target.value as ToolState['rule'] }))} aria-label="fill rule">
              <option value="evenodd">even-odd</option>
              <option value="nonzero">nonzero</option>
            </select>
          )}
        </div>
        <span className="sep" />
        <div className="group">
          <button type="button" data-testid="undo" disabled={!session.canUndo} onClick={() => dispatch({ type: 'undo' })} title="undo (Ctrl+Z)">
            undo
          </button>
          <button type="button" data-testid="redo" disabled={!session.canRedo} onClick={() => dispatch({ type: 'redo' })} title="redo (Ctrl+Shift+Z)">
            redo
          </button>
        </div>
        <span className="sep" />
        <div className="group">
          <label className="muted">
            opacity{' '}
            <input type="range" min={0} max={1} step={0.05} value={tools.opacity} onChange={(e) => setTools((t) => ({ ...t, opacity: Number(e.target.value) }))} />
          </label>
          {layers && <StartMenu client={client} session={session} width={layers.width} height={layers.height} layers={props.layers} onError={setLocalError} />}
        </div>
        <span className="sep" />
        <div className="group">
          {(['trainId', 'labelId', 'color'] as const).map((f) => (
            <button key={f} type="button" data-testid={`export-${f}`} onClick={() => void exportAs(f)} title={`download the corrected labels as a ${f} PNG`}>
              ⤓ {f}
            </button>
          ))}
          <button
            type="button"
            data-testid="export-all"
            title="write every corrected image of this dataset as trainId PNGs into the workspace's exports folder"
            onClick={() =>
              void session
                .idle()
                .then(() => client.call('labels.exportAll', { datasetId, format: 'trainId' }))
                .then((r) => setNotice(`${r.files.length} images exported to ${r.dir}`), (e: unknown) => setLocalError(String((e as Error).message ?? e)))
            }
          >
            ⤓ all
          </button>
          {props.onClose && (
            <button type="button" onClick={props.onClose} aria-label="close editor">
              ✕
            </button>
          )}
        </div>
      </div>
      <div className="annotation-classes" role="radiogroup" aria-label="class">
        {set.names.map((name, id) => (
          <button
            key={name}
            type="button"
            role="radio"
            aria-checked={tools.classId === id}
            data-testid={`class-${id}`}
            className={tools.classId === id ? 'active' : ''}
            title={`key ${id >= 10 ? 'Shift+' : ''}${(id % 10) + 1 === 10 ? 0 : (id % 10) + 1}`}
            onClick={() => dispatch({ type: 'class', classId: id })}
          >
            <span className="swatch" style={{ background: colour(id) }} />
            <kbd className="class-key">{id < 20 ? `${id >= 10 ? '⇧' : ''}${(id + 1) % 10}` : ''}</kbd>
            {name}
          </button>
        ))}
      </div>
      <div
        className="annotation-canvas"
        ref={box}
        onPointerDownCapture={onPointerDownCapture}
        onPointerMove={onPointerMove}
        onPointerUpCapture={onPointerUpCapture}
        onDoubleClick={() => toolsRef.current.tool === 'polygon' && commitPolygon()}
        style={{ cursor: tools.tool === 'pan' ? 'grab' : 'crosshair' }}
      >
        {W > 0 && (
          <Viewer store={viewStore} width={size.w} height={size.h} photo={photo} imageWidth={W} imageHeight={H} overlays={[]} testId="annotation-viewer">
            <Layer ref={labelLayer} listening={false} imageSmoothingEnabled={false}>
              {canvas && <KImage image={canvas} width={W} height={H} opacity={tools.opacity} listening={false} />}
              <Line ref={previewLine} stroke={previewColour} strokeWidth={tools.size} lineCap="round" lineJoin="round" opacity={0.7} listening={false} />
              <Line ref={polygonLine} stroke="#ffffff" strokeWidth={1} strokeScaleEnabled={false} fill={colour(tools.classId)} opacity={0.5} closed listening={false} />
              <Circle ref={brushCursor} radius={tools.size / 2} stroke="#ffffff" strokeWidth={1} strokeScaleEnabled={false} visible={false} listening={false} />
            </Layer>
          </Viewer>
        )}
      </div>
      <div className="annotation-status" data-testid="annotation-status">
        <span>{snap.start ? `from ${snap.start.source}${snap.start.label ? `: ${snap.start.label}` : ''}` : 'loading…'}</span>
        <span data-testid="touched-count">{snap.touchedPixels} px corrected</span>
        <span>step {snap.seq}</span>
        <span data-testid="save-state">{snap.pending > 0 ? 'saving…' : 'saved'}</span>
        {snap.history && <span>{snap.history.undo.length} undo · {(snap.history.bytes / 1024).toFixed(0)} KiB history</span>}
        {counts && (
          <span data-testid="dataset-counts" title="what a run with corrections on this dataset would use">
            dataset: {counts.images} images, {counts.touchedPixels} px corrected
          </span>
        )}
        {notice && <span>{notice}</span>}
        {(snap.error ?? localError) && <span className="error">{snap.error ?? localError}</span>}
      </div>
    </section>
  );
}

function usePhoto(client: ContractClient, datasetId: string, imageId: string, given: ImageBitmap | null | undefined): ImageBitmap | null {
  const [loaded, setLoaded] = useState<ImageBitmap | null>(null);
  useEffect(() => {
    if (given !== undefined) return;
    let live = true;
    let made: ImageBitmap | null = null;
    client
      .call('images.get', { datasetId, imageId })
      .then((img) => createImageBitmap(new Blob([img.bytes as Uint8Array<ArrayBuffer>], { type: img.mime })))
      .then((bmp) => {
        made = bmp;
        if (live) setLoaded(bmp);
        else bmp.close();
      })
      .catch(() => undefined);
    return () => {
      live = false;
      made?.close();
    };
  }, [client, datasetId, imageId, given]);
  return given ?? loaded;
}

/** Per-dataset correction counts, refreshed whenever main reports a save. */
function useDatasetCounts(client: ContractClient, datasetId: string): { images: number; touchedPixels: number } | null {
  const [counts, setCounts] = useState<{ images: number; touchedPixels: number } | null>(null);
  useEffect(() => {
    let live = true;
    const refresh = () =>
      client.call('labels.counts', { datasetId }).then(
        (c) => live && setCounts({ images: c.images, touchedPixels: c.touchedPixels }),
        () => undefined,
      );
    void refresh();
    const off = client.subscribe('labels.saved', (e) => {
      if (e.datasetId === datasetId) void refresh();
    });
    return () => {
      live = false;
      off();
    };
  }, [client, datasetId]);
  return counts;
}
