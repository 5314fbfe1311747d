import { describe, expect, it, vi } from 'vitest';
import { AppError } from '../../shared/contract/errors';
import { requestNames } from '../../shared/contract/index';
import { ServiceContext } from '../services/context';
import type { Handlers } from '../services/handler';
import { handlers as realHandlers } from '../services/registry';
import { dispatch } from './dispatch';

function spyHandlers(): Handlers {
  const spied = { ...realHandlers };
  for (const name of requestNames) (spied as Record<string, unknown>)[name] = vi.fn(async () => ({ total: 0, offset: 0, items: [] }));
  return spied;
}

describe('dispatch', () => {
  const ctx = new ServiceContext({ transport: 'http' });

  it('the registry has a handler for every contract request', () => {
    expect(Object.keys(realHandlers).sort()).toEqual([...requestNames].sort());
  });

  it('never reaches a handler on a malformed payload and names the field', async () => {
    const h = spyHandlers();
    const cases: [string, unknown, string][] = [
      ['images.list', { datasetId: 'a', limit: 'ten' }, 'limit'],
      ['images.list', { datasetId: '', offset: 0 }, 'datasetId'],
      ['images.list', { datasetId: 'a', offset: -1 }, 'offset'],
      ['images.thumbnail', { datasetId: 'a', imageId: 'x', maxSide: 1e6 }, 'maxSide'],
      ['workspace.open', { path: 42 }, 'path'],
      ['workspace.open', { path: '/x', extra: true }, '(root)'],
      ['workspace.open', null, '(root)'],
    ];
    for (const [name, payload, field] of cases) {
      const r = await dispatch(h, ctx, name, payload);
      expect(r.ok).toBe(false);
      if (r.ok) continue;
      expect(r.error.code).toBe('validation');
      expect(r.error.message).toContain(name);
      expect(r.error.message).toContain(`${field}:`);
      if (field !== '(root)') expect(r.error.where).toBe(field);
    }
    for (const name of requestNames) expect(h[name]).not.toHaveBeenCalled();
  });

  it('refuses unknown request names', async () => {
    const r = await dispatch(spyHandlers(), ctx, '__proto__', {});
    expect(r).toMatchObject({ ok: false, error: { code: 'not-found' } });
  });

  it('passes parsed input (with defaults) to the handler and returns its value', async () => {
    const h = spyHandlers();
    const r = await dispatch(h, ctx, 'images.list', { datasetId: 'd' });
    expect(r).toEqual({ ok: true, value: { total: 0, offset: 0, items: [] } });
    expect(h['images.list']).toHaveBeenCalledWith({ datasetId: 'd', offset: 0, limit: 500 }, ctx);
  });

  it('turns thrown AppErrors into data and a contract-breaking response into an internal error', async () => {
    const h = spyHandlers();
    h['workspace.current'] = async () => {
      throw new AppError('conflict', 'nope', { where: 'x' });
    };
    expect(await dispatch(h, ctx, 'workspace.current', {})).toEqual({
      ok: false,
      error: { code: 'conflict', message: 'nope', where: 'x', details: undefined },
    });
    h['images.get'] = async () => ({ mime: 'image/png', bytes: 'not bytes' }) as never;
    const r = await dispatch(h, ctx, 'images.get', { datasetId: 'a', imageId: 'b' });
    expect(r).toMatchObject({ ok: false, error: { code: 'internal', where: 'bytes' } });
  });
});
