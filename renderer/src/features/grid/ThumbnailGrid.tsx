// A virtualised thumbnail grid: absolutely positioned cells for the visible rows only, image entries
// fetched a page at a time as they scroll into view, thumbnails loaded lazily through ThumbnailCache.
// With a query (search, filter, sort: grid-query.ts) it lists the whole dataset once and shows the
// query's result instead; badges mark hand-corrected and pseudo-labelled images.
import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { ImageStats } from '../../../../shared/contract/maps';
import type { RunSummary } from '../../../../shared/contract/runs';
import { MAX_PAGE } from '../../../../shared/contract/datasets';
import type { ImageEntry } from '../../../../shared/datasets';
import { useClient } from '../../app/client-context';
import { Progress, useMapsJob } from '../triage/use-maps-job';
import { gridLayout, pagesFor, visibleRange } from './grid-layout';
import { defaultGridQuery, needsPseudo, needsStats, queryActive, queryGrid } from './grid-query';
import type { GridQuery } from './grid-query';
import { GridTools } from './GridTools';
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
  /** The dataset's class names (the class-presence sort and filter). */
  classNames: readonly string[];
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

/** Runs with maps (finished, not eval), and the one the grid reads by default: the newest stage 1, else the newest. */
function useMapRuns(client: ReturnType<typeof useClient>): { runs: RunSummary[]; preferred: string | null } {
  const [runs, setRuns] = useState<RunSummary[]>([]);
  useEffect(() => {
    const load = () => client.call('runs.list', {}).then((rs) => setRuns(rs.filter((r) => r.state === 'succeeded' && r.stage !== 'eval')), () => {});
    void load();
    return client.subscribe('run.state', () => void load());
  }, [client]);
  return { runs, preferred: (runs.find((r) => r.stage === 'stage1') ?? runs[0])?.id ?? null };
}

/** The whole listing (paged requests of MAX_PAGE), loaded only while a query needs it. */
function useAllEntries(client: ReturnType<typeof useClient>, datasetId: string, wanted: boolean): ImageEntry[] | null {
  const [all, setAll] = useState<ImageEntry[] | null>(null);
  useEffect(() => setAll(null), [datasetId]);
  useEffect(() => {
    if (!wanted || all) return;
    let live = true;
    (async () => {
      const out: ImageEntry[] = [];
      for (let offset = 0; ; offset += MAX_PAGE) {
        const r = await client.call('images.list', { datasetId, offset, limit: MAX_PAGE });
        out.push(...r.items);
        if (r.items.length === 0 || out.length >= r.total) break;
      }
      if (live) setAll(out);
    })().catch(() => {});
    return () => {
      live = false;
    };
  }, [client, datasetId, wanted, all]);
  return all;
}

export function ThumbnailGrid({ datasetId, selectedId, onOpen, onCollapse, classNames }: Props) {
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
  const [q, setQ] = useState<GridQuery>(defaultGridQuery);
  const mapRuns = useMapRuns(client);
  // undefined: follow the preferred run as runs finish; null: the user chose none.
  const [statsChoice, setStatsChoice] = useState<string | null | undefined>(undefined);
  const statsRun = statsChoice === undefined ? mapRuns.preferred : statsChoice;
  const source = statsRun ? ({ kind: 'run', runId: statsRun } as const) : null;
  // Which images are pseudo-labelled costs no forward pass (an empty batch answers the source's index).
  const [pseudoLabelled, setPseudoLabelled] = useState<ReadonlySet<string> | null>(null);
  useEffect(() => {
    setPseudoLabelled(null);
    if (!statsRun) return;
    let live = true;
    client.call('maps.stats', { source: { kind: 'run', runId: statsRun }, datasetId, imageIds: [] }).then(
      (r) => live && setPseudoLabelled(new Set(r.pseudoLabelled)),
      () => {},
    );
    return () => {
      live = false;
    };
  }, [client, datasetId, statsRun]);
  const wantStats = needsStats(q) && !!source;
  const statsJob = useMapsJob(client, wantStats && source ? (jobId) => client.call('maps.stats', { source, datasetId, jobId }) : null, [wantStats, statsRun, datasetId]);
  const statsById = useMemo(() => (statsJob.result ? new Map<string, ImageStats>(statsJob.result.images.map((s) => [s.imageId, s])) : null), [statsJob.result]);
  const active = queryActive(q);
  const all = useAllEntries(client, datasetId, active);
  const ordered = useMemo(
    () => (active && all ? queryGrid(all, q, { corrected, pseudoLabelled, stats: wantStats ? statsById : null }) : null),
    [active, all, q, corrected, pseudoLabelled, wantStats, statsById],
  );

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

  const count = active ? (ordered?.length ?? 0) : (total ?? 0);
  const layout = gridLayout(viewport.width, CELL, GAP, count);
  const range = visibleRange(layout, count, viewport.scrollTop, viewport.height);

  // Fetch the listing pages the visible range needs.
  useEffect(() => {
    if (total === null || active) return;
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
  }, [client, datasetId, total, active, range.firstIndex, range.endIndex]);

  const cells: { index: number; entry: ImageEntry | undefined }[] = [];
  for (let i = range.firstIndex; i < range.endIndex; i++) cells.push({ index: i, entry: ordered ? ordered[i] : pages.get(Math.floor(i / PAGE))?.[i % PAGE] });

  // A new query shows its result from the top.
  const queryKey = JSON.stringify(q);
  useEffect(() => {
    scroller.current?.scrollTo({ top: 0 });
  }, [queryKey]);

  // The image opened elsewhere (inspector navigation, triage) is scrolled into view when it is listed.
  useEffect(() => {
    const el = scroller.current;
    if (!el || !selectedId) return;
    let index = -1;
    if (ordered) index = ordered.findIndex((e) => e.id === selectedId);
    else {
      for (const [p, items] of pages) {
        const k = items.findIndex((e) => e.id === selectedId);
        if (k >= 0) index = p * PAGE + k;
      }
    }
    if (index < 0) return;
    const top = Math.floor(index / layout.columns) * layout.rowHeight;
    if (top < el.scrollTop || top + layout.rowHeight > el.scrollTop + el.clientHeight) el.scrollTo({ top: Math.max(0, top - layout.rowHeight) });
  }, [selectedId, pages, ordered, layout.columns, layout.rowHeight]);

  const visibleIds = cells.map((c) => c.entry?.id).filter((x): x is string => !!x);
  const visibleKey = visibleIds.join('\n');
  useEffect(() => {
    cache.cancelExcept(new Set(visibleKey.split('\n')));
  }, [cache, visibleKey]);

  return (
    <div className="grid-panel">
      <div className="grid-header">
        <span data-testid="grid-count" data-shown={active ? (ordered?.length ?? '') : (total ?? '')}>
          {error ? (
            <span className="error">{error}</span>
          ) : total === null ? (
            'Loading…'
          ) : active ? (
            ordered ? `${ordered.length.toLocaleString()} of ${total.toLocaleString()} images` : 'Listing…'
          ) : (
            `${total.toLocaleString()} images`
          )}
        </span>
        {corrected.size > 0 && <span data-testid="grid-corrected-count"> · {corrected.size} corrected</span>}
        {onCollapse && (
          <button type="button" className="grid-collapse" data-testid="grid-collapse" title="Hide the grid (more room for the viewer)" onClick={onCollapse}>
            ◂ hide
          </button>
        )}
      </div>
      <GridTools q={q} onChange={setQ} runs={mapRuns.runs} statsRun={statsRun} onStatsRun={setStatsChoice} classNames={classNames} />
      {needsStats(q) && !source && <div className="grid-note muted">choose a run for its per-image statistics</div>}
      {needsPseudo(q) && !statsRun && <div className="grid-note muted">choose a run: pseudo-labels come from a run</div>}
      <Progress progress={statsJob.progress} running={statsJob.running} onCancel={statsJob.cancel} label="image statistics" />
      {statsJob.error && <div className="grid-note error">{statsJob.error}</div>}
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
              pseudo={!!entry && !!pseudoLabelled?.has(entry.id)}
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
  pseudo: boolean;
  left: number;
  top: number;
  onOpen: (entry: ImageEntry, index: number) => void;
}

const Cell = memo(function Cell({ index, entry, datasetId, cache, selected, corrected, pseudo, left, top, onOpen }: CellProps) {
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
      data-image={entry?.id}
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
      {pseudo && (
        <span className="cell-badge pseudo" data-testid="grid-pseudo" title="has a soft pseudo-label in the chosen run">
          PL
        </span>
      )}
    </button>
  );
});
