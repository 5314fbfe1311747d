import { describe, expect, it } from 'vitest';
import { gridLayout, pagesFor, visibleRange } from './grid-layout';

describe('virtualised grid geometry', () => {
  it('renders only a screenful (plus overscan) of 25,000 images wherever it is scrolled', () => {
    const total = 25_000;
    const layout = gridLayout(1000, 120, 8, total);
    expect(layout.columns).toBe(7); // 7*128-8 = 888 fits in 1000, 8 columns would need 1016
    expect(layout.rows).toBe(Math.ceil(total / 7));
    for (const scrollTop of [0, 12_345, layout.totalHeight - 800]) {
      const r = visibleRange(layout, total, scrollTop, 800, 2);
      expect(r.endIndex - r.firstIndex).toBeLessThanOrEqual((Math.ceil(800 / 128) + 1 + 4) * 7);
      expect(r.firstIndex).toBeLessThanOrEqual(Math.floor(scrollTop / 128) * 7);
    }
    const end = visibleRange(layout, total, layout.totalHeight - 800, 800);
    expect(end.endIndex).toBe(total);
  });

  it('handles tiny viewports and empty datasets', () => {
    const l = gridLayout(10, 120, 8, 0);
    expect(l.columns).toBe(1);
    expect(visibleRange(l, 0, 0, 500)).toEqual({ firstRow: 0, endRow: 0, firstIndex: 0, endIndex: 0 });
  });

  it('maps an index range to the pages that cover it', () => {
    expect(pagesFor(0, 0, 500)).toEqual([]);
    expect(pagesFor(0, 500, 500)).toEqual([0]);
    expect(pagesFor(499, 501, 500)).toEqual([0, 1]);
    expect(pagesFor(1200, 2600, 500)).toEqual([2, 3, 4, 5]);
  });
});
