import { describe, expect, it } from 'vitest';
import type { DatasetRef } from '../../../../shared/datasets';
import { presetValues } from './presets';

const refs = (folder: string): DatasetRef[] =>
  (['source', 'target-train', 'target-val'] as const).map((split) => ({
    id: `${folder}-${split}`,
    name: `${folder} ${split}`,
    format: 'demo',
    root: `/ws/datasets/${folder}`,
    split,
    role: split === 'source' ? 'source' : 'target',
    classSet: '19',
  }));

describe('run-form presets', () => {
  it('each demo preset reads its own benchmark when a workspace holds both', () => {
    const both = [...refs('demo-quick'), ...refs('demo')];
    expect(presetValues('demo', 'stage1', both)['source.root']).toBe('/ws/datasets/demo');
    expect(presetValues('demo-quick', 'stage1', both)['target.root']).toBe('/ws/datasets/demo-quick');
    expect(presetValues('demo-quick', 'distill', both)['optim.iterations']).toBe('16');
  });

  it('falls back to any demo benchmark', () => {
    expect(presetValues('demo-quick', 'stage1', refs('demo'))['source.root']).toBe('/ws/datasets/demo');
    expect(presetValues('paper', 'stage1', refs('demo'))).toEqual({});
  });
});
