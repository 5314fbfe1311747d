// Entry of a run process (bundled to dist/node/run-process.js; in development started through tsx).
// One process runs one stage of one run; see run-loop.ts.
import { startRunProcess } from './run-process-main';
import { stageRegistry } from './stages';

void startRunProcess(stageRegistry);
