// Pure formatting for the export panel: parity and key-matching reports into display rows, progress
// into a fraction, and a dropped item into a server-side path when the drop carried one.
import type { EventOf } from '../../../../shared/contract/index';
import type { ImportReportData, ParityReportData } from '../../../../shared/contract/export';

export interface ParityRow {
  format: 'onnx' | 'tfjs' | 'safetensors' | 'pytorch';
  image: string;
  size: string;
  maxAbsLogitDiff: string;
  agreement: string;
}

export const percent = (x: number, digits = 3): string => `${(x * 100).toFixed(digits)} %`;
export const sci = (x: number): string => (x === 0 ? '0' : x.toExponential(2));

/** One row per (format, parity image), in the order the report lists formats. */
export function parityRows(p: ParityReportData): ParityRow[] {
  const rows: ParityRow[] = [];
  for (const format of ['onnx', 'tfjs', 'safetensors', 'pytorch'] as const) {
    for (const e of p[format]?.perImage ?? []) {
      rows.push({ format, image: e.id, size: `${e.width}×${e.height}`, maxAbsLogitDiff: sci(e.maxAbsLogitDiff), agreement: percent(e.argmaxAgreement) });
    }
  }
  return rows;
}

export function paritySummary(p: ParityReportData): string {
  const verdict = p.passed ? 'passed' : 'FAILED';
  return `parity ${verdict}: ${p.images} image${p.images === 1 ? '' : 's'}, max |Δlogit| ${sci(p.maxAbsLogitDiff)}, argmax agreement ${percent(p.argmaxAgreement)} (needs ≥ ${percent(p.minAgreement, 1)}), ${p.backend}, ${p.seconds.toFixed(1)} s`;
}

export interface KeyGroup {
  kind: 'matched' | 'missing' | 'unexpected' | 'shape-mismatched' | 'ignored';
  keys: string[];
}

/** Key groups of an import report; shape mismatches read "name: expected → found". */
export function keyGroups(r: ImportReportData): KeyGroup[] {
  return [
    { kind: 'matched', keys: r.matched },
    { kind: 'missing', keys: r.missing },
    { kind: 'unexpected', keys: r.unexpected },
    { kind: 'shape-mismatched', keys: r.shapeMismatched.map((m) => `${m.name}: [${m.expected.join(', ')}] → [${m.found.join(', ')}]`) },
    { kind: 'ignored', keys: r.ignored },
  ];
}

export function importFacts(r: ImportReportData): [string, string][] {
  return [
    ['kind', r.kind],
    ['prefix stripped', r.strippedPrefix ?? '—'],
    ['iteration', r.iteration === null ? '—' : String(r.iteration)],
    ['best IoU', r.bestIou === null ? '—' : r.bestIou > 1 ? r.bestIou.toFixed(2) : percent(r.bestIou, 2)],
    ['prototypes', r.prototypes ? `${r.prototypes.classes} × ${r.prototypes.dim}` : '—'],
  ];
}

type Progress = EventOf<'export.progress'>;

/** 0..1 within the current step; a step without a known total counts as not started. */
export const progressFraction = (p: Progress | null): number => (p && p.total > 0 ? Math.min(1, Math.max(0, p.done / p.total)) : 0);

export const progressText = (p: Progress): string => `${p.step} ${p.done}/${p.total}: ${p.message}`;

/**
 * A server-side path from a drop, where the drag carried one: file managers put a file:// URI in
 * text/uri-list, and a dragged path string arrives as text/plain. A File alone has no path in a
 * sandboxed renderer, and import.checkpoint reads a path, not bytes.
 */
export function pathFromDrop(d: { uriList: string; text: string }): string | null {
  const uri = d.uriList
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => l && !l.startsWith('#'));
  if (uri?.startsWith('file://')) {
    const rest = uri.slice('file://'.length);
    // file:///C:/x → C:/x; file:///home/x → /home/x; a host part other than localhost is not local.
    const p = rest.startsWith('/') ? rest : rest.startsWith('localhost/') ? rest.slice('localhost'.length) : null;
    if (p === null) return null;
    const decoded = decodeURIComponent(p);
    return /^\/[A-Za-z]:\//.test(decoded) ? decoded.slice(1) : decoded;
  }
  const t = d.text.trim();
  if (!t.includes('\n') && (t.startsWith('/') || /^[A-Za-z]:[\\/]/.test(t))) return t;
  return null;
}

/** A file of an export shown relative to its folder. */
export function relativeTo(dir: string, file: string): string {
  const d = dir.replace(/[\\/]+$/, '');
  return file.startsWith(d) && /[\\/]/.test(file.charAt(d.length)) ? file.slice(d.length + 1) : file;
}
