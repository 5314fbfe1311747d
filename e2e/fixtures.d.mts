// Types of what bench/lag.bench.ts uses from e2e/fixtures.mjs (the specs themselves are plain JS).
export interface ServerHandle {
  url: string;
  origin: string;
  token: string;
  port: number;
  workspace: string;
  output(): string;
  stop(): Promise<void>;
}
export function torchMissing(): string | null;
export function demoNetSpec(): Record<string, unknown>;
export function writeOfficialCheckpoint(
  file: string,
  opts?: { r101?: boolean; spec?: Record<string, unknown> | null; prototypesBeside?: boolean; seed?: number },
): Promise<string[]>;
export function writeCityscapesFolder(
  dir: string,
  opts?: { split?: string; city?: string; count?: number; width?: number; height?: number },
): Promise<string[]>;
export function callApi<T = unknown>(server: Pick<ServerHandle, 'origin' | 'token'>, name: string, body: unknown): Promise<T>;
export function percentile(samples: readonly number[], p: number): number | undefined;
export function probeWhile(
  busy: () => boolean,
  probes: Record<string, (i: number) => Promise<unknown>>,
  opts?: { gapMs?: number },
): Promise<{ samples: Record<string, number[]>; errors: string[] }>;
