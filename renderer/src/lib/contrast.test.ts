import { describe, expect, it } from 'vitest';
import { contrastRatio, readableTextOn } from './contrast';
import { scaleColor, scaleNames } from './colormaps';

describe('contrast', () => {
  it('matches the WCAG extremes', () => {
    expect(contrastRatio([0, 0, 0], [255, 255, 255])).toBeCloseTo(21, 5);
    expect(contrastRatio([119, 119, 119], [255, 255, 255])).toBeCloseTo(4.48, 2);
  });
  it('picks a text colour of at least 4.5:1 on every colour of every heatmap scale', () => {
    for (const name of scaleNames)
      for (let i = 0; i <= 255; i++) {
        const bg = scaleColor(name, i / 255);
        const fg = readableTextOn(bg) === '#000' ? ([0, 0, 0] as const) : ([255, 255, 255] as const);
        expect(contrastRatio(bg, fg)).toBeGreaterThanOrEqual(4.5);
      }
  });
});
