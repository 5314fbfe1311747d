// Run configs name datasets by folder, format and split; the datasets module works with DatasetRef.
// This converts one into the other and turns a dataset check report into the lines that stop a run.
import path from 'node:path';
import type { RunDataset } from '../../shared/runs-config';
import { problemLine, type CheckReport, type DatasetRef, type DatasetRole } from '../../shared/datasets';
import type { DatasetGate } from './supervisor';

export function toDatasetRef(d: RunDataset, role: DatasetRole): DatasetRef {
  const root = path.resolve(d.root);
  return {
    id: `${d.format}:${root}${d.split ? `#${d.split}` : ''}`,
    name: `${path.basename(root)}${d.split ? ` (${d.split})` : ''}`,
    format: d.format,
    root,
    split: d.split,
    role,
    classSet: d.classSet,
  };
}

export const roleOf = (where: string): DatasetRole => (where === 'source' ? 'source' : 'target');

/** A gate from a check function: errors (not warnings) stop the run, each quoted as the check words it. */
export function checkGate(check: (ref: DatasetRef) => Promise<CheckReport>, cleanTtlMs = 30 * 60_000): DatasetGate {
  // A clean result is remembered for a while (a pipeline checks the same folders for every stage);
  // a failing one is checked again each time so a fixed dataset is noticed at once.
  const clean = new Map<string, number>();
  return async (d, where) => {
    const ref = toDatasetRef(d, roleOf(where));
    const at = clean.get(ref.id);
    if (at !== undefined && Date.now() - at < cleanTtlMs) return [];
    let report: CheckReport;
    try {
      report = await check(ref);
    } catch (err) {
      return [`${ref.root}: dataset check could not run (${(err as Error).message})`];
    }
    const errs = report.problems.filter((p) => p.severity === 'error').map(problemLine);
    if (report.problemsOmitted > 0 && errs.length) errs.push(`… and ${report.problemsOmitted} more problems`);
    if (errs.length === 0) clean.set(ref.id, Date.now());
    return errs;
  };
}
