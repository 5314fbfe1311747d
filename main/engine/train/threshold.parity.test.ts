import { describe, expect, it } from 'vitest';
import { fixture, mismatches } from '../../../fixtures/parity/proda_fixtures';
import { float16AtMost, roundToFloat16, thresholdPseudoLabels } from './distill';

describe('hard pseudo-label threshold vs numpy on the float16 conf array (lp[conf <= t] = 250)', () => {
  const labels = fixture('threshold', 'labels').data;
  const conf16 = fixture('threshold', 'conf16').data;
  const conf32 = fixture('threshold', 'conf32').data;

  for (const t of [95, 90, 50]) {
    it(`threshold 0.${t}: labels exact, from the stored float16 conf and from the unrounded conf`, () => {
      const expected = fixture('threshold', `labels_${t}`).data;
      expect(mismatches(thresholdPseudoLabels(labels, conf16, t / 100), expected)).toBe(0);
      expect(mismatches(thresholdPseudoLabels(labels, conf32, t / 100), expected)).toBe(0);
    });
  }

  it('a conf stored as float16(0.95) = 0.9501953125 is ignored; the next half up is kept', () => {
    expect(roundToFloat16(0.95)).toBe(0.9501953125);
    expect(conf16[0]).toBe(0.9501953125);
    const out = thresholdPseudoLabels([3, 4, 5], [0.9501953125, 0.94970703125, 0.95068359375], 0.95);
    expect([...out]).toEqual([250, 250, 5]);
    // a float64 comparison would keep the first one: the fixture must tell the two apart
    expect(0.9501953125 <= 0.95).toBe(false);
    expect(fixture('threshold', 'labels_95').data[0]).toBe(250);
  });

  it('rounding ties go to even, as numpy casts', () => {
    const atMost = float16AtMost(0.95);
    const mid = (0.9501953125 + 0.95068359375) / 2; // 0.9501953125 has an even mantissa: the tie rounds down to it
    expect(atMost(mid)).toBe(true);
    expect(atMost(Math.fround(mid + 1e-7))).toBe(false);
    expect(roundToFloat16(mid)).toBe(0.9501953125);
    expect(roundToFloat16(1 + 2 ** -11)).toBe(1); // tie between 1 and 1 + 2^-10: even mantissa 1
    expect(roundToFloat16(1 + 3 * 2 ** -11)).toBe(1 + 2 * 2 ** -10);
    expect(roundToFloat16(2 ** -20)).toBe(2 ** -20); // subnormal, exact
    expect(roundToFloat16(70000)).toBe(Infinity);
    expect(float16AtMost(0)(0)).toBe(true);
    expect(float16AtMost(0)(2 ** -24)).toBe(false);
  });
});
