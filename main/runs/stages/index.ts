// The stage registry of the real run process: tfjs backend selection plus one program per stage kind.
import { initBackend } from '../../engine/backend';
import { onGpuFailure } from '../../engine/webgpu';
import { openDataset } from '../../datasets';
import { withFiniteSteps, type StageRegistry } from '../program';
import { evalProgram, pseudoProgram } from './oneshot';
import { trainingPrograms } from './training';

export const stageRegistry: StageRegistry = {
  setup: async () => {
    const info = await initBackend();
    // The next tensor read throws it and fails the run; this puts it in the log tail at once.
    onGpuFailure((err) => process.stderr.write(`${err.message}\n`));
    return { name: info.name, detail: info };
  },
  // A NaN or infinite loss fails the run naming the iteration (a config bound alone cannot rule it out).
  factories: withFiniteSteps({ ...trainingPrograms(openDataset), pseudo: pseudoProgram(openDataset), eval: evalProgram(openDataset) }),
};
