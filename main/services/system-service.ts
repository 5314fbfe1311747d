// system.info: versions and the compute backend. Selecting a backend loads tfjs (and maybe wasm), so
// it starts once, lazily, and the answer is shared by every later call. system.eventLoop: how long main's
// event loop was blocked, measured from the moment main loads its services.
import { backendSummary, initBackend } from '../engine/backend';
import { LagMonitor } from './event-loop-lag';
import type { BackendInfo } from '../../shared/contract/system';
import type { HandlersFor } from './handler';

const lag = new LagMonitor();

let backend: Promise<BackendInfo | null> | null = null;

function backendOnce(): Promise<BackendInfo | null> {
  backend ??= initBackend().catch((err: unknown) => {
    // No backend at all is reported as null (the status bar says so) rather than failing system.info.
    console.error(`backend selection failed: ${err instanceof Error ? err.message : String(err)}`);
    return null;
  });
  return backend;
}

export const systemHandlers: HandlersFor<'system.'> = {
  'system.info': async (_req, ctx) => {
    const backend = await backendOnce();
    return {
      appVersion: ctx.appVersion,
      node: process.versions.node,
      platform: `${process.platform}-${process.arch}`,
      transport: ctx.transport,
      backend,
      electron: process.versions.electron ?? null,
      summary: backendSummary(backend),
    };
  },
  'system.eventLoop': async (req) => lag.read(req.reset),
};
