import { describe, expect, it } from 'vitest';
import { stage1ConfigSchema } from '../../../../shared/runs-config';
import { buildConfig, formFields, initialValues, validate } from './schema-form';

describe('schema-generated run form', () => {
  const fields = formFields(stage1ConfigSchema);
  const byKey = Object.fromEntries(fields.map((f) => [f.key, f]));

  it('derives fields with kinds, defaults, bounds and descriptions', () => {
    expect(byKey['emaDecay']).toMatchObject({ kind: 'number', default: 0.999, min: 0, max: 1 });
    expect(byKey['optim.iterations']).toMatchObject({ kind: 'number', default: 62412, int: true, min: 1 });
    expect(byKey['optim.iterations'].description).toMatch(/Loop length/);
    expect(byKey['init'].description).toMatch(/Warm-up run/);
    expect(byKey['strongAug']).toMatchObject({ kind: 'boolean', default: true });
    expect(byKey['aug.resizeRange']).toMatchObject({ kind: 'pair' });
    expect(byKey['target.root']).toMatchObject({ kind: 'string', optional: false });
    expect(byKey['stage']).toBeUndefined();
  });

  it('round-trips defaults and reports the offending field', () => {
    const values = initialValues(fields);
    expect(values['optim.lr']).toBe('0.0001');
    const cfg = buildConfig(fields, values, { stage: 'stage1' });
    const bad = validate(stage1ConfigSchema, fields, cfg);
    expect(bad.ok).toBe(false);
    expect(Object.keys(bad.errors)).toEqual(expect.arrayContaining(['init', 'pseudo', 'source.root', 'target.root']));
    const filled = {
      ...values,
      init: 'warmup-1',
      pseudo: 'pseudo-1',
      'source.root': '/d',
      'source.format': 'demo',
      'target.root': '/d',
      'target.format': 'demo',
      emaDecay: '1.5',
    };
    const r = validate(stage1ConfigSchema, fields, buildConfig(fields, filled, { stage: 'stage1' }));
    expect(r.errors).toEqual({ emaDecay: expect.stringMatching(/1/) });
    const ok = validate(stage1ConfigSchema, fields, buildConfig(fields, { ...filled, emaDecay: '0.99' }, { stage: 'stage1' }));
    expect(ok.ok).toBe(true);
    expect((ok.value as { emaDecay: number; aug: { resizeRange: number[] } }).aug.resizeRange).toEqual([0.5, 1.5]);
  });
});
