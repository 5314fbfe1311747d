// Process-wide run settings: which launcher starts run processes (node fork by default; Electron main
// swaps in its utilityProcess launcher at start-up) and the dataset gate every start goes through.
import { checkDataset } from '../datasets';
import { checkGate } from './dataset-refs';
import { forkLauncher, type RunLauncher } from './launcher';
import { RunSupervisor, type DatasetGate, type SupervisorOptions } from './supervisor';

let launcher: RunLauncher | null = null;
// Every run start is checked against the datasets module's check; errors refuse the start.
let gate: DatasetGate | undefined = checkGate((ref) => checkDataset(ref));

export function setRunLauncher(l: RunLauncher): void {
  launcher = l;
}
export function setDatasetGate(g: DatasetGate | undefined): void {
  gate = g;
}
export const runLauncher = (): RunLauncher => (launcher ??= forkLauncher());
export const datasetGate = (): DatasetGate | undefined => gate;

const supervisors = new Set<RunSupervisor>();

export function createSupervisor(workspace: string, events: Pick<SupervisorOptions, 'onProgress' | 'onState'> = {}): RunSupervisor {
  const sup = new RunSupervisor({ workspace, launcher: runLauncher(), datasetGate: datasetGate(), ...events });
  supervisors.add(sup);
  return sup;
}

/** On app or server exit: every live run is asked to stop (leaving a checkpoint), then killed after graceMs. */
export async function shutdownRuns(graceMs = 5000): Promise<void> {
  await Promise.all([...supervisors].map((s) => s.shutdown(graceMs)));
}
