// The stage registry of the real run process: tfjs backend selection plus one program per stage kind.
import { initBackend } from '../../engine/backend';
import { onGpuFailure } from '../../engine/webgpu';
import { openDataset } from '../../datasets';
import { forStage, withFiniteSteps, type StageRegistry } from '../program';
import { distillProgram } from './distill-program';
import { evalProgram, pseudoProgram } from './oneshot';
import { selftrainProgram } from './selftrain-program';
import { stage1Program } from './stage1-program';
import { warmupProgram } from './warmup-program';

export const stageRegistry: StageRegistry = {
  setup: async () => {
    const info = await initBackend();
    // The next tensor read throws it and fails the run; this puts it in the log tail at once.
    onGpuFailure((err) => process.stderr.write(`${err.message}\n`));
    return { name: info.name, detail: info };
  },
  // A NaN or infinite loss fails the run naming the iteration (a config bound alone cannot rule it out).
  factories: withFiniteSteps({
    warmup: forStage('warmup', warmupProgram(openDataset)),
    pseudo: forStage('pseudo', pseudoProgram(openDataset)),
    stage1: forStage('stage1', stage1Program(openDataset)),
    distill: forStage('distill', distillProgram(openDataset)),
    selftrain: forStage('selftrain', selftrainProgram(openDataset)),
    eval: forStage('eval', evalProgram(openDataset)),
  }),
};
