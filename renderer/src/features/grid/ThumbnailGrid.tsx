// A virtualised thumbnail grid: absolutely positioned cells for the visible rows only, image entries
// fetched a page at a time as they scroll into view, thumbnails loaded lazily through ThumbnailCache.
import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { ImageEntry } from '../../../../shared/datasets';
import { useClient } from '../../app/client-context';
import { gridLayout, pagesFor, visibleRange } from './grid-layout';
import { ThumbnailCache } from './thumbnail-cache';

const CELL = 128;
const GAP = 8;
const PAGE = 500;

interface Props {
  datasetId: string;
  selectedId: string | null;
  onOpen: (entry: ImageEntry, index: number) => void;
  /** Shown in the header when the shell lets the grid collapse. */
  onCollapse?: () => void;
}

/** Images with hand corrections (labels.counts), kept current by labels.saved events. */
function useCorrected(client: ReturnType<typeof useClient>, datasetId: string): ReadonlySet<string> {
  const [ids, setIds] = useState<ReadonlySet<string>>(new Set());
  useEffect(() => {
    let live = true;
    const load = () =>
      client.call('labels.counts', { datasetId }).then(
        (r) => live && setIds(new Set(r.items.map((i) => i.imageId))),
        () => {},
      );
    void load();
    const off = client.subscribe('labels.saved', (e) => {
      if (e.datasetId === datasetId) void load();
    });
    return () => {
      live = false;
      off();
    };
  }, [client, datasetId]);
  return ids;
}

export function ThumbnailGrid({ datasetId, selectedId, onOpen, onCollapse }: Props) {
  const client = useClient();
  const scroller = useRef<HTMLDivElement>(null);
  const [viewport, setViewport] = useState({ width: 800, height: 600, scrollTop: 0 });
  const [total, setTotal] = useState<number | null>(null);
  const [pages, setPages] = useState<Map<number, ImageEntry[]>>(new Map());
  const [error, setError] = useState<string | null>(null);
  const requested = useRef(new Set<number>());
  const cache = useMemo(() => new ThumbnailCache(client), [client]);
  useEffect(() => () => cache.dispose(), [cache]);
  const corrected = useCorrected(client, datasetId);

  // A new dataset starts from an empty listing and the top of the grid.
  useEffect(() => {
    requested.current = new Set([0]);
    setPages(new Map());
    setTotal(null);
    setError(null);
    scroller.current?.scrollTo({ top: 0 });
    let live = true;
    client
      .call('images.list', { datasetId, offset: 0, limit: PAGE })
      .then((r) => {
        if (!live) return;
        setTotal(r.total);
        setPages(new Map([[0, r.items]]));
      })
      .catch((e: unknown) => live && setError(String((e as Error).message ?? e)));
    return () => {
      live = false;
    };
  }, [client, datasetId]);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const measure = () => setViewport({ width: el.clientWidth, height: el.clientHeight, scrollTop: el.scrollTop });
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const onScroll = useCallback(() => {
    const el = scroller.current;
    // One state update per animation frame at most; the browser coalesces scroll events per frame.
    if (el) setViewport((v) => (v.scrollTop === el.scrollTop ? v : { ...v, scrollTop: el.scrollTop }));
  }, []);

  const count = total ?? 0;
  const layout = gridLayout(viewport.width, CELL, GAP, count);
  const range = visibleRange(layout, count, viewport.scrollTop, viewport.height);

  // Fetch the listing pages the visible range needs.
  useEffect(() => {
    if (total === null) return;
    for (const p of pagesFor(range.firstIndex, range.endIndex, PAGE)) {
      if (requested.current.has(p)) continue;
      requested.current.add(p);
      client
        .call('images.list', { datasetId, offset: p * PAGE, limit: PAGE })
        .then((r) => setPages((prev) => new Map(prev).set(p, r.items)))
        .catch((e: unknown) => {
          requested.current.delete(p);
          setError(String((e as Error).message ?? e));
        });
    }
  }, [client, datasetId, total, range.firstIndex, range.endIndex]);

  const cells: { index: number; entry: ImageEntry | undefined }[] = [];
  for (let i = range.firstIndex; i < range.endIndex; i++) cells.push({ index: i, entry: pages.get(Math.floor(i / PAGE))?.[i % PAGE] });

  // The image opened elsewhere (inspector navigation, triage) is scrolled into view when it is listed.
  useEffect(() => {
    const el = scroller.current;
    if (!el || !selectedId) return;
    for (const [p, items] of pages) {
      const k = items.findIndex((e) => e.id === selectedId);
      if (k < 0) continue;
      const top = Math.floor((p * PAGE + k) / layout.columns) * layout.rowHeight;
      if (top < el.scrollTop || top + layout.rowHeight > el.scrollTop + el.clientHeight) el.scrollTo({ top: Math.max(0, top - layout.rowHeight) });
      return;
    }
  }, [selectedId, pages, layout.columns, layout.rowHeight]);

  const visibleIds = cells.map((c) => c.entry?.id).filter((x): x is string => !!x);
  const visibleKey = visibleIds.join('\n');
  useEffect(() => {
    cache.cancelExcept(new Set(visibleKey.split('\n')));
  }, [cache, visibleKey]);

  return (
    <div className="grid-panel">
      <div className="grid-header">
        <span data-testid="grid-count">{error ? <span className="error">{error}</span> : total === null ? 'Loading…' : `${total.toLocaleString()} images`}</span>
        {corrected.size > 0 && <span data-testid="grid-corrected-count"> · {corrected.size} corrected</span>}
        {onCollapse && (
          <button type="button" className="grid-collapse" data-testid="grid-collapse" title="Hide the grid (more room for the viewer)" onClick={onCollapse}>
            ◂ hide
          </button>
        )}
      </div>
      <div className="grid-scroller" ref={scroller} onScroll={onScroll} data-testid="grid" tabIndex={0}>
        <div className="grid-canvas" style={{ height: layout.totalHeight }}>
          {cells.map(({ index, entry }) => (
            <Cell
              key={index}
              index={index}
              entry={entry}
              datasetId={datasetId}
              cache={cache}
              selected={!!entry && entry.id === selectedId}
              corrected={!!entry && corrected.has(entry.id)}
              left={(index % layout.columns) * layout.colWidth}
              top={Math.floor(index / layout.columns) * layout.rowHeight}
              onOpen={onOpen}
            />
          ))}
        </div>
      </div>
    </div>
  );
}

interface CellProps {
  index: number;
  entry: ImageEntry | undefined;
  datasetId: string;
  cache: ThumbnailCache;
  selected: boolean;
  corrected: boolean;
  left: number;
  top: number;
  onOpen: (entry: ImageEntry, index: number) => void;
}

const Cell = memo(function Cell({ index, entry, datasetId, cache, selected, corrected, left, top, onOpen }: CellProps) {
  const [url, setUrl] = useState<string | undefined>(() => (entry ? cache.peek(datasetId, entry.id) : undefined));
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    if (!entry) return;
    let live = true;
    const hit = cache.peek(datasetId, entry.id);
    setUrl(hit);
    setFailed(false);
    if (!hit) {
      cache.get(datasetId, entry.id).then(
        (u) => live && setUrl(u),
        () => live && setFailed(true),
      );
    }
    return () => {
      live = false;
    };
  }, [cache, datasetId, entry]);

  return (
    <button
      type="button"
      className={`grid-cell${selected ? ' selected' : ''}`}
      style={{ left, top, width: CELL, height: CELL }}
      data-testid="grid-cell"
      data-index={index}
      disabled={!entry}
      title={entry?.id}
      onClick={() => entry && onOpen(entry, index)}
    >
      {url ? <img src={url} alt={entry?.name} draggable={false} /> : <span className="placeholder">{failed ? '⚠' : ''}</span>}
      <span className="cell-name">{entry?.name ?? ''}</span>
      {corrected && (
        <span className="cell-badge" data-testid="grid-corrected" title="has hand corrections">
          ✎ corrected
        </span>
      )}
    </button>
  );
});
