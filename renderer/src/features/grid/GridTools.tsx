// The grid's query bar: search by id, a filter, a sort with its direction, the class for presence, and
// the run whose per-image statistics and pseudo-labels the sort and filters read. Selects give focus
// back (blur) once used, and Esc or Enter leaves the search box, so the viewer's keys work again.
import type { RunSummary } from '../../../../shared/contract/runs';
import { gridFilters, gridFilterTitles, gridSorts, gridSortTitles } from './grid-query';
import type { GridFilter, GridQuery, GridSort } from './grid-query';

const blurAfter =
  <E extends HTMLSelectElement | HTMLButtonElement>(f: (el: E) => void) =>
  (e: { currentTarget: E }) => {
    f(e.currentTarget);
    e.currentTarget.blur();
  };

export function GridTools(props: {
  q: GridQuery;
  onChange: (q: GridQuery) => void;
  runs: readonly RunSummary[];
  statsRun: string | null;
  onStatsRun: (runId: string | null) => void;
  classNames: readonly string[];
}) {
  const { q, onChange } = props;
  const set = (patch: Partial<GridQuery>) => onChange({ ...q, ...patch });
  const withClass = q.sort === 'classShare' || q.minPresence > 0;
  return (
    <div className="grid-tools" data-testid="grid-tools">
      <input
        type="search"
        placeholder="search id"
        aria-label="search images by id"
        data-testid="grid-search"
        value={q.search}
        size={10}
        onChange={(e) => set({ search: e.target.value })}
        onKeyDown={(e) => {
          if (e.key === 'Escape' || e.key === 'Enter') {
            if (e.key === 'Escape') set({ search: '' });
            e.currentTarget.blur();
            e.preventDefault();
          }
        }}
      />
      <select aria-label="filter images" data-testid="grid-filter" value={q.filter} onChange={blurAfter((el) => set({ filter: el.value as GridFilter }))}>
        {gridFilters.map((f) => (
          <option key={f} value={f}>
            {gridFilterTitles[f]}
          </option>
        ))}
      </select>
      <select aria-label="sort images by" data-testid="grid-sort" value={q.sort} onChange={blurAfter((el) => set({ sort: el.value as GridSort }))}>
        {gridSorts.map((s) => (
          <option key={s} value={s}>
            {gridSortTitles[s]}
          </option>
        ))}
      </select>
      <button type="button" data-testid="grid-direction" title="sort direction" onClick={blurAfter(() => set({ ascending: !q.ascending }))}>
        {q.ascending ? '↑' : '↓'}
      </button>
      <label title="keep images where the prediction gives the class at least this share of pixels">
        {withClass ? '' : 'class '}
        <select aria-label="class for presence" data-testid="grid-class" value={q.cls} onChange={blurAfter((el) => set({ cls: Number(el.value) }))}>
          {props.classNames.map((n, k) => (
            <option key={k} value={k}>
              {n}
            </option>
          ))}
        </select>{' '}
        ≥
        <input
          type="number"
          min={0}
          max={100}
          step={1}
          aria-label="minimum class presence in percent"
          data-testid="grid-presence"
          className="grid-presence"
          value={Math.round(q.minPresence * 100)}
          onChange={(e) => set({ minPresence: Math.max(0, Math.min(100, Number(e.target.value) || 0)) / 100 })}
        />
        %
      </label>
      <select
        aria-label="run whose statistics and pseudo-labels the grid reads"
        title="run whose per-image statistics and pseudo-labels the sort, filters and badges read"
        data-testid="grid-stats-run"
        value={props.statsRun ?? ''}
        onChange={blurAfter((el) => props.onStatsRun(el.value || null))}
      >
        <option value="">stats: none</option>
        {props.runs.map((r) => (
          <option key={r.id} value={r.id}>
            stats: {r.name ?? r.id} · {r.stage}
          </option>
        ))}
      </select>
    </div>
  );
}
