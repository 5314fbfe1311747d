// Chart series of a run: its recorded metrics merged with live run.progress events (deduplicated by
// iteration), so a chart opened mid-run shows the whole history and keeps growing.
import type { ResponseOf } from '../../../../shared/contract/index';
import type { RunProgress } from '../../../../shared/contract/runs';
import type { Point } from './chart';

export interface ChartData {
  iterations: number;
  losses: Record<string, Point[]>;
  miou: Point[];
}

type RunDetail = ResponseOf<'runs.get'>;

export function chartFrom(detail: RunDetail | null, live: readonly RunProgress[]): ChartData {
  const losses: Record<string, Point[]> = {};
  const miou: Point[] = [];
  const seen = new Set<number>();
  const add = (it: number, l: Record<string, number> | undefined, val: number | null | undefined) => {
    if (seen.has(it)) return;
    seen.add(it);
    for (const [k, v] of Object.entries(l ?? {})) (losses[k] ??= []).push({ x: it, y: v });
    if (val !== null && val !== undefined) miou.push({ x: it, y: val });
  };
  for (const m of detail?.metrics ?? []) add(m.iteration, m.losses, m.val);
  for (const p of live) add(p.iteration, p.losses, p.val && p.val.iteration === p.iteration ? p.val.miou : null);
  for (const k of Object.keys(losses)) losses[k].sort((a, b) => a.x - b.x);
  miou.sort((a, b) => a.x - b.x);
  const last = live[live.length - 1];
  return { iterations: last?.iterations ?? detail?.summary.iterations ?? 1, losses, miou };
}

