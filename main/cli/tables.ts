// Plain-text tables for the terminal.
import type { EvalResult } from '../../shared/contract/runs';

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n') + '\n';
}

export const pct = (v: number | null | undefined): string => (v === null || v === undefined || Number.isNaN(v) ? '-' : (v * 100).toFixed(1));

export function formatEval(e: EvalResult): string {
  const present = e.classNames.map((n, i) => [n, e.perClass[i]] as const).filter(([, v]) => v !== null);
  const more = e.pixelAccuracy != null ? `; overall acc ${pct(e.pixelAccuracy)}, mean acc ${pct(e.meanAccuracy)}, FWIoU ${pct(e.frequencyWeightedIoU)}` : '';
  return (
    `mIoU ${pct(e.miou)} over ${e.images} images (BN ${e.bn === 'running' ? 'running statistics' : 're-estimated on target'}${more})\n` +
    table(['class', 'IoU'], present.map(([n, v]) => [n, pct(v)]))
  );
}
