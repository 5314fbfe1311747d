// How every speed figure in this repo is taken: contenders alternate over several rounds in one run,
// each is reported as min and median of all its timed repetitions, and a ratio between two contenders
// is printed only when the machine was quiet. "Quiet" is judged on what other processes do, not on the
// benchmark's own load: the 1-minute load average before the run, and idle probes between measurements
// (the CPU time other processes took during one second in which the benchmark itself ran nothing).
// PyTorch's OpenMP with as many threads as cores slows 5–10× whenever anything else runs, which is how
// an earlier README ratio came out 19× too favourable.
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface Stats {
  min: number;
  median: number;
  n: number;
}

export function stats(samples: readonly number[]): Stats | undefined {
  if (samples.length === 0) return undefined;
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { min: s[0], median, n: s.length };
}

/** Busy and total jiffies summed over every CPU, from /proc/stat; null where there is none (not Linux). */
function cpuTimes(): { busy: number; total: number } | null {
  let text: string;
  try {
    text = readFileSync('/proc/stat', 'utf8');
  } catch {
    return null;
  }
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return null;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: idle and iowait are not busy.
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = v[3] + (v[4] ?? 0);
  return { busy: total - idle, total };
}

/**
 * Cores' worth of CPU that other processes used during `ms` of idleness on our side. Call it only while
 * the benchmark runs nothing (between child processes). null where /proc/stat is missing.
 */
export async function idleProbe(ms = 1000): Promise<number | null> {
  const a = cpuTimes();
  await new Promise((r) => setTimeout(r, ms));
  const b = cpuTimes();
  if (!a || !b || b.total === a.total) return null;
  return ((b.busy - a.busy) / (b.total - a.total)) * os.cpus().length;
}

export const QUIET_LOAD = 0.5;

export interface LoadRecord {
  before: number[];
  after?: number[];
  probes: number[];
}

export function loadRecord(): LoadRecord {
  return { before: os.loadavg(), probes: [] };
}

/** Why ratios must not be printed, or null when the machine was quiet throughout. */
export function busyReason(load: LoadRecord, limit = QUIET_LOAD): string | null {
  const why: string[] = [];
  if (load.before[0] > limit) why.push(`1-min load average ${load.before[0].toFixed(2)} > ${limit} before the run`);
  const worst = Math.max(0, ...load.probes);
  if (worst > limit) why.push(`other processes used ${worst.toFixed(2)} cores during an idle probe (> ${limit})`);
  return why.length ? why.join('; ') : null;
}

export function describeLoad(load: LoadRecord): string {
  const f = (l?: number[]) => (l ? l.map((x) => x.toFixed(2)).join(' / ') : '–');
  const probes = load.probes.length ? `${Math.min(...load.probes).toFixed(2)}–${Math.max(...load.probes).toFixed(2)} cores over ${load.probes.length} probes` : 'none';
  return `load average (1/5/15 min) before ${f(load.before)}, after ${f(load.after)} (after includes this benchmark's own work); other processes during idle probes: ${probes}`;
}

export function fmtMs(v?: number): string {
  if (v === undefined || !Number.isFinite(v)) return '–';
  return v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : v >= 100 ? `${v.toFixed(0)} ms` : `${v.toFixed(1)} ms`;
}

export function fmtStats(s?: Stats): string {
  return s ? `${fmtMs(s.min)} / ${fmtMs(s.median)}` : '–';
}

/** "a / b" as a ratio of medians, or the reason it is withheld. */
export function ratio(a: Stats | undefined, b: Stats | undefined, busy: string | null, force: boolean): string {
  if (!a || !b) return '–';
  if (busy && !force) return 'withheld (busy)';
  return `${(a.median / b.median).toFixed(2)}×${busy ? ' (busy, forced)' : ''}`;
}

/** The value after `--name` on the command line, or the fallback. */
export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

export function markdownTable(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}
