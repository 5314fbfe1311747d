import { describe, expect, it } from 'vitest';
import {
  IGNORE_LABEL,
  MIOU13_OF_16,
  PALETTE_19,
  applyLut,
  cityscapesLabelIdLut,
  classSets,
  colorize,
  synthiaIdLut,
  trainId19Lut,
} from './classes';

// The tables exactly as proda-reference §3.1 states them.
const CS16 = [7, 8, 11, 12, 13, 17, 19, 20, 21, 23, 24, 25, 26, 28, 32, 33];
const CS13 = [7, 8, 11, 19, 20, 21, 23, 24, 25, 26, 28, 32, 33];
const SYN16 = [3, 4, 2, 21, 5, 7, 15, 9, 6, 1, 10, 17, 8, 19, 12, 11];
const SYN13 = [3, 4, 2, 15, 9, 6, 1, 10, 17, 8, 19, 12, 11];

describe('class sets', () => {
  it('derive the reference 16/13 tables from to19', () => {
    expect(classSets['16'].cityscapesLabelIds).toEqual(CS16);
    expect(classSets['13'].cityscapesLabelIds).toEqual(CS13);
    expect(classSets['16'].synthiaIds).toEqual(SYN16);
    expect(classSets['13'].synthiaIds).toEqual(SYN13);
    expect(classSets['16'].names).not.toContain('terrain');
    expect(classSets['13'].names).not.toContain('pole');
    expect(classSets['13'].palette[3]).toEqual([250, 170, 30]);
    expect(PALETTE_19).toHaveLength(19);
  });

  it('LUTs map every raw id, the rest to 250', () => {
    const lut = cityscapesLabelIdLut('19');
    expect(lut[7]).toBe(0);
    expect(lut[33]).toBe(18);
    expect(lut[22]).toBe(9);
    expect(lut[0]).toBe(IGNORE_LABEL);
    expect(lut[255]).toBe(IGNORE_LABEL);
    expect(cityscapesLabelIdLut('16')[22]).toBe(IGNORE_LABEL);
    expect(cityscapesLabelIdLut('16')[23]).toBe(9);
    const syn = synthiaIdLut('13');
    expect(syn.length).toBe(65536);
    expect(syn[15]).toBe(3);
    expect(syn[21]).toBe(IGNORE_LABEL);
    expect(syn[300]).toBe(IGNORE_LABEL);
    expect(Array.from(applyLut([9, 10, 250, 3], trainId19Lut('16')))).toEqual([250, 9, 250, 3]);
  });

  it('mIoU13 indices pick 13 of the 16 classes, skipping wall, fence, pole', () => {
    expect(MIOU13_OF_16).toEqual([0, 1, 2, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
  });

  it('colorizes with the palette, ignore black', () => {
    expect(Array.from(colorize(Uint8Array.of(0, 250, 9), '16'))).toEqual([128, 64, 128, 0, 0, 0, 0, 130, 180]);
  });
});
