// The Konva viewer. Layers in order of how often they change: the photo (per image), the overlays
// (per setting change), an optional annotation layer (per stroke, mounted by the annotation editor as
// children), and the HUD (per pointer move). Photo and overlays never listen for hit events. Zoom and
// pan never re-render React: a store subscription sets the stage transform and redraws.
import { useEffect, useRef } from 'react';
import type { ReactNode } from 'react';
import Konva from 'konva';
import { Group, Image as KImage, Layer, Line, Rect, Stage } from 'react-konva';
import type { OverlayId } from '../../lib/overlay-render';
import { cropFor, smoothImage, screenPx, toImage, visibleImageRect, wheelFactor } from './view-math';
import type { ViewStore } from './view-store';
import { pan, zoomBy } from './view-store';

export interface ViewerOverlay {
  id: OverlayId;
  bitmap: ImageBitmap;
  opacity: number;
}

export interface ViewerProps {
  store: ViewStore;
  width: number;
  height: number;
  photo: ImageBitmap | null;
  imageWidth: number;
  imageHeight: number;
  /** Bottom to top. */
  overlays: readonly ViewerOverlay[];
  /** Swipe: overlay `a` left of the divider, `b` right of it (split is 0..1 of the image width). */
  swipe?: { a: ViewerOverlay | null; b: ViewerOverlay | null; split: number } | null;
  /** Konva <Layer>s drawn above the overlays and below the HUD (the annotation editor). */
  children?: ReactNode;
  /** Called when a drag ends without moving (a click), in image pixels. */
  onImageClick?: (x: number, y: number) => void;
  testId?: string;
}

// One device pixel per canvas pixel: big HiDPI canvases cost more than they show for label maps.
Konva.pixelRatio = 1;

export function Viewer(props: ViewerProps) {
  const { store, width, height, photo, imageWidth: W, imageHeight: H } = props;
  const stageRef = useRef<Konva.Stage>(null);
  const photoLayer = useRef<Konva.Layer>(null);
  const hudLayer = useRef<Konva.Layer>(null);
  const cursorRect = useRef<Konva.Rect>(null);
  const drag = useRef<{ x: number; y: number; moved: boolean } | null>(null);

  useEffect(() => {
    const apply = () => {
      const stage = stageRef.current;
      if (!stage) return;
      const { view, cursor } = store.get();
      stage.scale({ x: view.scale, y: view.scale });
      stage.position({ x: view.x, y: view.y });
      photoLayer.current?.imageSmoothingEnabled(smoothImage(view.scale));
      // Draw only what is on screen: at high zoom that is a small part of a 2048×1024 bitmap.
      const vis = visibleImageRect(view, width, height, W, H);
      // Only the viewer's own images: layers mounted as children (the annotation editor) manage theirs.
      stage.find((n: Konva.Node) => n.getClassName() === 'Image' && (n.name() === 'photo' || n.name().startsWith('overlay-'))).forEach((node) => {
        const img = node as Konva.Image;
        const bm = img.image() as ImageBitmap | undefined;
        if (!bm) return;
        const { crop, dest } = cropFor(vis, bm.width, bm.height, W, H);
        img.visible(crop.width > 0 && crop.height > 0);
        img.crop(crop);
        img.position({ x: dest.x, y: dest.y });
        img.size({ width: dest.width, height: dest.height });
      });
      const r = cursorRect.current;
      if (r) {
        r.visible(cursor !== null);
        if (cursor) r.position({ x: Math.floor(cursor.x), y: Math.floor(cursor.y) });
        r.strokeWidth(1.5 / view.scale);
      }
      stage.batchDraw();
    };
    apply();
    return store.subscribe((s, prev) => {
      if (s.view !== prev.view || s.cursor !== prev.cursor) apply();
    });
  });

  const local = (e: { clientX: number; clientY: number; currentTarget: HTMLElement }) => {
    const r = e.currentTarget.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  };

  const onWheel = (e: React.WheelEvent<HTMLDivElement>) => {
    zoomBy(store, wheelFactor(e.deltaY), local(e));
  };
  const onPointerDown = (e: React.PointerEvent<HTMLDivElement>) => {
    if (e.button !== 0) return;
    const p = local(e);
    drag.current = { ...p, moved: false };
    e.currentTarget.setPointerCapture(e.pointerId);
  };
  const onPointerMove = (e: React.PointerEvent<HTMLDivElement>) => {
    const p = local(e);
    const d = drag.current;
    if (d) {
      const dx = p.x - d.x;
      const dy = p.y - d.y;
      if (d.moved || Math.abs(dx) + Math.abs(dy) > 3) {
        d.moved = true;
        d.x = p.x;
        d.y = p.y;
        pan(store, dx, dy);
      }
    }
    const s = store.get();
    const ip = toImage(s.view, screenPx(p.x, p.y));
    const inside = ip.x >= 0 && ip.y >= 0 && ip.x < W && ip.y < H;
    const cur = s.cursor;
    if (!inside) {
      if (cur) store.set({ ...s, cursor: null });
    } else if (!cur || Math.floor(cur.x) !== Math.floor(ip.x) || Math.floor(cur.y) !== Math.floor(ip.y)) {
      store.set({ ...s, cursor: ip });
    }
  };
  const onPointerUp = (e: React.PointerEvent<HTMLDivElement>) => {
    const d = drag.current;
    drag.current = null;
    if (d && !d.moved && props.onImageClick) {
      const ip = toImage(store.get().view, screenPx(local(e).x, local(e).y));
      if (ip.x >= 0 && ip.y >= 0 && ip.x < W && ip.y < H) props.onImageClick(Math.floor(ip.x), Math.floor(ip.y));
    }
  };
  const onPointerLeave = () => {
    const s = store.get();
    if (s.cursor) store.set({ ...s, cursor: null });
  };

  const img = (o: ViewerOverlay) => (
    <KImage key={o.id} image={o.bitmap} width={W} height={H} opacity={o.opacity} listening={false} name={`overlay-${o.id}`} />
  );
  const swipe = props.swipe;
  const splitX = swipe ? Math.round(swipe.split * W) : 0;

  return (
    <div
      className="viewer-canvas"
      data-testid={props.testId ?? 'viewer'}
      style={{ width, height, overflow: 'hidden', cursor: drag.current?.moved ? 'grabbing' : 'crosshair', touchAction: 'none' }}
      onWheel={onWheel}
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={onPointerUp}
      onPointerLeave={onPointerLeave}
    >
      <Stage ref={stageRef} width={width} height={height} listening={false}>
        <Layer ref={photoLayer} listening={false}>
          {photo && <KImage image={photo} width={W} height={H} listening={false} name="photo" />}
        </Layer>
        <Layer listening={false} imageSmoothingEnabled={false}>
          {swipe ? (
            <>
              <Group clipX={0} clipY={0} clipWidth={splitX} clipHeight={H} listening={false}>
                {swipe.a && img(swipe.a)}
              </Group>
              <Group clipX={splitX} clipY={0} clipWidth={W - splitX} clipHeight={H} listening={false}>
                {swipe.b && img(swipe.b)}
              </Group>
            </>
          ) : (
            props.overlays.map(img)
          )}
        </Layer>
        {props.children}
        <Layer ref={hudLayer} listening={false}>
          {swipe && <Line points={[splitX, 0, splitX, H]} stroke="#fff" strokeWidth={2} strokeScaleEnabled={false} shadowColor="#000" shadowBlur={2} />}
          <Rect ref={cursorRect} width={1} height={1} stroke="#ffeb3b" strokeWidth={1} visible={false} />
        </Layer>
      </Stage>
    </div>
  );
}
