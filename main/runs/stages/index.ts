// The stage registry of the real run process: tfjs backend selection plus one program per stage kind.
import { initBackend } from '../../engine/backend';
import { openDataset } from '../../datasets';
import type { StageRegistry } from '../program';
import { evalProgram, pseudoProgram } from './oneshot';
import { trainingPrograms } from './training';

export const stageRegistry: StageRegistry = {
  setup: async () => {
    const info = await initBackend();
    return { name: info.name, detail: info };
  },
  factories: { ...trainingPrograms(openDataset), pseudo: pseudoProgram(openDataset), eval: evalProgram(openDataset) },
};
