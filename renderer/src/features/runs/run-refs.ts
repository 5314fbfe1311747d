// The run form's fields that name another run: which stages can fill each, how a run is labelled in a
// picker, and which run the form proposes. Main decides what is compatible (main/runs/compatibility.ts);
// this only keeps the form from proposing what main would refuse.
import type { RunSummary } from '../../../../shared/contract/runs';
import { trainingStages, type StageKind } from '../../../../shared/runs-config';

/** Fields that name another run: which stages may fill them, and which variant the form proposes first. */
export const runRefs: Record<string, { stages: readonly StageKind[]; prefer?: (r: RunSummary) => boolean }> = {
  init: { stages: ['warmup'] },
  pseudo: { stages: ['pseudo'], prefer: (r) => r.variant === 'soft' },
  teacher: { stages: ['stage1', 'distill'] },
  labels: { stages: ['pseudo'], prefer: (r) => r.variant === 'hard' },
  studentInit: { stages: trainingStages },
};

/** How a run is named in a picker: id, name, and what makes it unfit for some fields (main refuses those). */
export const runLabel = (r: RunSummary) =>
  `${r.id}${r.name ? ` "${r.name}"` : ''} (${r.state}${r.variant === 'oracle' ? ', oracle: trained on target labels' : r.variant ? `, ${r.variant}` : ''})`;

/** The newest finished run a field can use: never an oracle (adaptation must not start from target labels). */
export function proposeRun(runs: readonly RunSummary[], field: string): string {
  const ref = runRefs[field];
  if (!ref) return '';
  const fit = runs.filter((r) => ref.stages.includes(r.stage) && r.state === 'succeeded' && r.variant !== 'oracle');
  return fit.find((r) => !ref.prefer || ref.prefer(r))?.id ?? '';
}
