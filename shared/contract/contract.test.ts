import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { eventNames, events, httpRoute, ipcChannel, isRequestName, requestNames, requests } from './index';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (/\.(ts|tsx)$/.test(name) && !/\.test\.tsx?$/.test(name)) out.push(p);
  }
  return out;
}

describe('the contract', () => {
  it('names every request and event as feature.verb, once', () => {
    for (const n of [...requestNames, ...eventNames]) expect(n).toMatch(/^[a-z]+(\.[a-zA-Z]+)+$/);
    const channels = [...requestNames.map(ipcChannel.request), ...eventNames.map(ipcChannel.event)];
    expect(new Set(channels).size).toBe(channels.length);
    expect(isRequestName('toString')).toBe(false);
    expect(isRequestName('__proto__')).toBe(false);
  });

  it('rejects payloads that are not objects for every request, and parses every event payload schema', () => {
    for (const name of requestNames) {
      for (const junk of [42, 'x', null, undefined, [1]]) expect(requests[name].request.safeParse(junk).success, `${name} accepted ${String(junk)}`).toBe(false);
      expect(requests[name].summary.length).toBeGreaterThan(5);
    }
    for (const name of eventNames) expect(events[name].payload.safeParse(undefined).success).toBe(false);
  });

  it('spells channel and route strings only in shared/contract/index.ts', () => {
    const offenders: string[] = [];
    const patterns = [/['"`]proda:(req|evt):/, /['"`]\/api\//, /['"`]\/events['"`]/];
    for (const dir of ['main', 'shared', path.join('renderer', 'src')]) {
      for (const file of sources(path.join(root, dir))) {
        if (file === path.join(root, 'shared', 'contract', 'index.ts')) continue;
        const text = readFileSync(file, 'utf8');
        if (patterns.some((p) => p.test(text))) offenders.push(path.relative(root, file));
      }
    }
    expect(offenders).toEqual([]);
    expect(httpRoute.request('system.info')).toBe(`${httpRoute.apiPrefix}system.info`);
  });
});
