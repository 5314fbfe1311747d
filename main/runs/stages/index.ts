// The stage registry of the real run process: tfjs backend selection plus one program per stage kind.
import { initBackend } from '../../engine/backend';
import { openDataset } from '../../datasets';
import { withFiniteSteps, type StageRegistry } from '../program';
import { evalProgram, pseudoProgram } from './oneshot';
import { trainingPrograms } from './training';

export const stageRegistry: StageRegistry = {
  setup: async () => {
    const info = await initBackend();
    return { name: info.name, detail: info };
  },
  // A NaN or infinite loss fails the run naming the iteration (a config bound alone cannot rule it out).
  factories: withFiniteSteps({ ...trainingPrograms(openDataset), pseudo: pseudoProgram(openDataset), eval: evalProgram(openDataset) }),
};
