import { describe, expect, it } from 'vitest';
import { STRONG_ALIGN_DEFAULTS, STRONG_ALIGN_REFERENCE } from '../../engine/aug/align';
import { runConfigSchema, type ConfigOf } from '../../../shared/runs-config';
import { strongAlignOf } from './batches';

const ds = { root: '/d', format: 'demo' as const, split: 'target-train' };

describe('strong-view alignment options in the run config', () => {
  it('default to the correct behaviour; the released code (fixed order, TranslateX over H) is selectable', () => {
    for (const base of [
      { stage: 'stage1', source: ds, target: ds, init: 'a', pseudo: 'b' },
      { stage: 'distill', source: ds, target: ds, teacher: 'a', labels: 'b' },
    ] as const) {
      const plain = runConfigSchema.parse(base) as ConfigOf<'stage1' | 'distill'>;
      expect(strongAlignOf(plain)).toEqual(STRONG_ALIGN_DEFAULTS);
      const faithful = runConfigSchema.parse({ ...base, strongAlign: { order: 'fixed-reference', translateXScale: 'height-reference-bug' } }) as ConfigOf<'stage1' | 'distill'>;
      expect(strongAlignOf(faithful)).toEqual(STRONG_ALIGN_REFERENCE);
    }
    expect(runConfigSchema.safeParse({ stage: 'stage1', source: ds, target: ds, init: 'a', pseudo: 'b', strongAlign: { order: 'sorted' } }).success).toBe(false);
  });
});
