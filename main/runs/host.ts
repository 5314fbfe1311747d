// Process-wide run settings: which launcher starts run processes (node fork by default; Electron main
// swaps in its utilityProcess launcher at start-up) and the dataset gate every start goes through.
import { forkLauncher, type RunLauncher } from './launcher';
import { RunSupervisor, type DatasetGate, type SupervisorOptions } from './supervisor';

let launcher: RunLauncher | null = null;
let gate: DatasetGate | undefined;

export function setRunLauncher(l: RunLauncher): void {
  launcher = l;
}
export function setDatasetGate(g: DatasetGate | undefined): void {
  gate = g;
}
export const runLauncher = (): RunLauncher => (launcher ??= forkLauncher());
export const datasetGate = (): DatasetGate | undefined => gate;

export function createSupervisor(workspace: string, events: Pick<SupervisorOptions, 'onProgress' | 'onState'> = {}): RunSupervisor {
  return new RunSupervisor({ workspace, launcher: runLauncher(), datasetGate: datasetGate(), ...events });
}
