// Types of what bench/lag.bench.ts uses from e2e/helpers.mjs (the specs themselves are plain JS).
import type { ServerHandle } from './fixtures.mjs';
export const root: string;
export function startServer(workspace: string, dataDir: string, extraArgs?: string[]): Promise<ServerHandle>;
