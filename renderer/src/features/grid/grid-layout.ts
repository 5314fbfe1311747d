// Pure geometry of the virtualised grid: which rows and items are visible for a scroll position.
// Only these are rendered, so 25,000 images cost as much as one screenful.
export interface GridLayout {
  columns: number;
  rows: number;
  /** Cell plus gap, in CSS pixels. */
  rowHeight: number;
  colWidth: number;
  totalHeight: number;
}

export function gridLayout(viewportWidth: number, cell: number, gap: number, total: number): GridLayout {
  const colWidth = cell + gap;
  const columns = Math.max(1, Math.floor((Math.max(0, viewportWidth) + gap) / colWidth));
  const rows = Math.ceil(total / columns);
  const rowHeight = cell + gap;
  return { columns, rows, rowHeight, colWidth, totalHeight: rows * rowHeight };
}

export interface VisibleRange {
  firstRow: number;
  /** Exclusive. */
  endRow: number;
  firstIndex: number;
  /** Exclusive. */
  endIndex: number;
}

export function visibleRange(layout: GridLayout, total: number, scrollTop: number, viewportHeight: number, overscanRows = 2): VisibleRange {
  const firstRow = Math.max(0, Math.floor(scrollTop / layout.rowHeight) - overscanRows);
  const endRow = Math.min(layout.rows, Math.ceil((scrollTop + viewportHeight) / layout.rowHeight) + overscanRows);
  return {
    firstRow,
    endRow: Math.max(firstRow, endRow),
    firstIndex: Math.min(total, firstRow * layout.columns),
    endIndex: Math.min(total, Math.max(firstRow, endRow) * layout.columns),
  };
}

/** The page numbers (of size pageSize) that cover [start, end). */
export function pagesFor(start: number, end: number, pageSize: number): number[] {
  if (end <= start) return [];
  const out: number[] = [];
  for (let p = Math.floor(start / pageSize); p <= Math.floor((end - 1) / pageSize); p++) out.push(p);
  return out;
}
