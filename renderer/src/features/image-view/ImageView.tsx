// A simple image view: the encoded image decoded off the main thread, drawn on a Konva stage that fits
// the panel, with wheel zoom around the pointer, drag to pan, and the ground-truth label as a
// half-transparent overlay when the dataset has one. The full inspector lives in features/viewer and
// features/inspector; this is the grid's quick look.
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { Image as KImage, Layer, Stage } from 'react-konva';
import type Konva from 'konva';
import { classSets, type ClassSetId } from '../../../../shared/classes';
import type { ImageEntry } from '../../../../shared/datasets';
import { useClient } from '../../app/client-context';
import { paletteLut, visibleClasses } from '../../lib/colormaps';
import { labelsToRgba } from '../../lib/colorize';

interface Props {
  datasetId: string;
  classSet: ClassSetId;
  entry: ImageEntry;
  onClose: () => void;
}

/** The label map as an RGBA bitmap in the class set's palette, void transparent. */
async function labelBitmap(label: { width: number; height: number; data: Uint8Array }, classSet: ClassSetId): Promise<ImageBitmap> {
  const set = classSets[classSet];
  const rgba = labelsToRgba(label.data, label.width, label.height, paletteLut(set.palette, 140), {
    visible: visibleClasses(set.numClasses, new Set(), null),
    outline: false,
  });
  return createImageBitmap(new ImageData(rgba as Uint8ClampedArray<ArrayBuffer>, label.width, label.height));
}

export function ImageView({ datasetId, classSet, entry, onClose }: Props) {
  const client = useClient();
  const box = useRef<HTMLDivElement>(null);
  const [size, setSize] = useState({ width: 400, height: 300 });
  const [bitmap, setBitmap] = useState<ImageBitmap | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [view, setView] = useState({ scale: 1, x: 0, y: 0 });
  const [showLabel, setShowLabel] = useState(false);
  // undefined: not loaded; null: the image has no label.
  const [label, setLabel] = useState<ImageBitmap | null | undefined>(undefined);

  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    const measure = () => setSize({ width: Math.max(1, el.clientWidth), height: Math.max(1, el.clientHeight) });
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  useEffect(() => {
    let live = true;
    let made: ImageBitmap | null = null;
    setError(null);
    setBitmap(null);
    client
      .call('images.get', { datasetId, imageId: entry.id })
      .then((img) => createImageBitmap(new Blob([img.bytes as Uint8Array<ArrayBuffer>], { type: img.mime })))
      .then((bmp) => {
        made = bmp;
        if (live) setBitmap(bmp);
        else bmp.close();
      })
      .catch((e: unknown) => live && setError(String((e as Error).message ?? e)));
    return () => {
      live = false;
      made?.close();
    };
  }, [client, datasetId, entry.id]);

  useEffect(() => {
    setLabel(undefined);
    if (!showLabel) return;
    let live = true;
    let made: ImageBitmap | null = null;
    client
      .call('images.label', { datasetId, imageId: entry.id })
      .then((l) => (l ? labelBitmap(l, classSet) : null))
      .then((bmp) => {
        made = bmp;
        if (live) setLabel(bmp);
        else bmp?.close();
      })
      .catch((e: unknown) => live && setError(String((e as Error).message ?? e)));
    return () => {
      live = false;
      made?.close();
    };
  }, [client, datasetId, entry.id, classSet, showLabel]);

  // Fit the image whenever it or the panel changes.
  useEffect(() => {
    if (!bitmap) return;
    const scale = Math.min(size.width / bitmap.width, size.height / bitmap.height);
    setView({ scale, x: (size.width - bitmap.width * scale) / 2, y: (size.height - bitmap.height * scale) / 2 });
  }, [bitmap, size.width, size.height]);

  const onWheel = (e: Konva.KonvaEventObject<WheelEvent>) => {
    e.evt.preventDefault();
    const stage = e.target.getStage();
    const p = stage?.getPointerPosition();
    if (!p) return;
    setView((v) => {
      const scale = Math.min(64, Math.max(0.05, v.scale * Math.exp(-e.evt.deltaY * 0.0015)));
      // Keep the image point under the pointer fixed.
      return { scale, x: p.x - ((p.x - v.x) / v.scale) * scale, y: p.y - ((p.y - v.y) / v.scale) * scale };
    });
  };

  return (
    <section className="image-view" data-testid="image-view" aria-label={`image ${entry.name}`}>
      <header>
        <span className="title" data-testid="image-view-title">
          {entry.name}
        </span>
        <span className="dims" data-testid="image-view-size">
          {bitmap ? `${bitmap.width}×${bitmap.height}` : ''}
        </span>
        <span className="zoom">{Math.round(view.scale * 100)}%</span>
        <label className="toggle">
          <input type="checkbox" data-testid="image-view-labels" checked={showLabel} onChange={(e) => setShowLabel(e.target.checked)} />
          labels{showLabel && label === null ? ' (none)' : ''}
        </label>
        <button type="button" onClick={onClose} aria-label="close image">
          ✕
        </button>
      </header>
      <div className="stage-box" ref={box}>
        {error && <div className="error">{error}</div>}
        <Stage
          width={size.width}
          height={size.height}
          onWheel={onWheel}
          draggable
          x={view.x}
          y={view.y}
          scaleX={view.scale}
          scaleY={view.scale}
          onDragEnd={(e) => setView((v) => ({ ...v, x: e.target.x(), y: e.target.y() }))}
        >
          <Layer listening={false} imageSmoothingEnabled={view.scale < 2}>
            {bitmap && <KImage image={bitmap} />}
          </Layer>
          {/* Label pixels stay crisp at any zoom: a class boundary is exact, not blurred. */}
          <Layer listening={false} imageSmoothingEnabled={false}>
            {showLabel && label && bitmap && <KImage image={label} width={bitmap.width} height={bitmap.height} />}
          </Layer>
        </Stage>
      </div>
    </section>
  );
}
