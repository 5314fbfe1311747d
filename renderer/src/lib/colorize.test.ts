import { describe, expect, it } from 'vitest';
import { PALETTE_19 } from '../../../shared/classes';
import { paletteLut, scaleColor, scaleLut, visibleClasses } from './colormaps';
import { errorToRgba, flipsToRgba, labelsToRgba, scalarToRgba } from './colorize';
import { ErrorCode, countErrors, errorMap } from './error-map';

const lut = paletteLut(PALETTE_19);
const all = visibleClasses(19, new Set(), null);
const px = (rgba: Uint8ClampedArray, i: number) => Array.from(rgba.subarray(i * 4, i * 4 + 4));

describe('label colourisation', () => {
  it('paints classes with the palette and leaves ignore transparent', () => {
    const rgba = labelsToRgba(new Uint8Array([0, 13, 250]), 3, 1, lut, { visible: all, outline: false });
    expect(px(rgba, 0)).toEqual([128, 64, 128, 255]);
    expect(px(rgba, 1)).toEqual([0, 0, 142, 255]);
    expect(px(rgba, 2)).toEqual([0, 0, 0, 0]);
  });

  it('hides classes, and solo shows only the soloed class', () => {
    const labels = new Uint8Array([0, 13, 8]);
    const hidden = labelsToRgba(labels, 3, 1, lut, { visible: visibleClasses(19, new Set([13]), null), outline: false });
    expect(px(hidden, 1)[3]).toBe(0);
    expect(px(hidden, 0)[3]).toBe(255);
    const solo = labelsToRgba(labels, 3, 1, lut, { visible: visibleClasses(19, new Set([13]), 8), outline: false });
    expect([px(solo, 0)[3], px(solo, 1)[3], px(solo, 2)[3]]).toEqual([0, 0, 255]);
  });

  it('outline mode keeps only boundary pixels', () => {
    // 4×3: left half class 0, right half class 13 → boundary at columns 1 and 2.
    const labels = new Uint8Array([0, 0, 13, 13, 0, 0, 13, 13, 0, 0, 13, 13]);
    const rgba = labelsToRgba(labels, 4, 3, lut, { visible: all, outline: true });
    const alpha = Array.from({ length: 12 }, (_, i) => rgba[i * 4 + 3]);
    expect(alpha).toEqual([0, 255, 255, 0, 0, 255, 255, 0, 0, 255, 255, 0]);
  });
});

describe('flips', () => {
  it('stripes from and to colours on changed pixels only', () => {
    const from = new Uint8Array([0, 0, 0, 0, 2, 2, 2, 2]);
    const to = new Uint8Array([0, 13, 13, 13, 2, 13, 13, 13]);
    const rgba = flipsToRgba(from, to, 4, 2, lut, all, 1);
    expect(px(rgba, 0)[3]).toBe(0);
    expect(px(rgba, 4)[3]).toBe(0);
    // x+y odd → "to" colour, even → "from" colour (period 1).
    expect(px(rgba, 1).slice(0, 3)).toEqual([0, 0, 142]);
    expect(px(rgba, 2).slice(0, 3)).toEqual([128, 64, 128]);
    expect(px(rgba, 5).slice(0, 3)).toEqual([70, 70, 70]);
  });
});

describe('heatmaps', () => {
  it('maps the range ends to the scale ends and non-finite to transparent', () => {
    const rgba = scalarToRgba(new Float32Array([0, 10, 5, NaN, -3]), { min: 0, max: 10 }, scaleLut('viridis'));
    expect(px(rgba, 0).slice(0, 3)).toEqual([0x44, 0x01, 0x54]);
    expect(px(rgba, 1).slice(0, 3)).toEqual([0xfd, 0xe7, 0x25]);
    expect(px(rgba, 2).slice(0, 3)).toEqual(scaleColor('viridis', 128 / 255).slice());
    expect(px(rgba, 3)[3]).toBe(0);
    expect(px(rgba, 4).slice(0, 3)).toEqual([0x44, 0x01, 0x54]);
  });

  it('scales are monotonic in lightness', () => {
    for (const name of ['viridis', 'magma', 'gray'] as const) {
      const l = (t: number) => {
        const [r, g, b] = scaleColor(name, t);
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
      };
      for (let t = 0; t < 1; t += 0.125) expect(l(t + 0.125)).toBeGreaterThan(l(t));
    }
  });
});

describe('error map', () => {
  const pred = new Uint8Array([13, 13, 0, 0, 13]);
  const ref = new Uint8Array([13, 0, 13, 0, 250]);

  it('right/wrong without a focus class, ignore unscored', () => {
    const codes = errorMap(pred, ref);
    expect(Array.from(codes)).toEqual([ErrorCode.right, ErrorCode.wrong, ErrorCode.wrong, ErrorCode.right, ErrorCode.none]);
  });

  it('TP/FP/FN for a focus class', () => {
    const codes = errorMap(pred, ref, 13);
    expect(Array.from(codes)).toEqual([ErrorCode.tp, ErrorCode.fp, ErrorCode.fn, ErrorCode.none, ErrorCode.none]);
    expect(countErrors(codes)).toMatchObject({ tp: 1, fp: 1, fn: 1 });
    const rgba = errorToRgba(codes);
    expect(px(rgba, 0)).toEqual([40, 200, 90, 255]);
    expect(px(rgba, 3)[3]).toBe(0);
  });

  it('rejects layers of different sizes', () => {
    expect(() => errorMap(new Uint8Array(3), new Uint8Array(4))).toThrow(/differ in size/);
  });
});
