// Run-process entry for the supervision tests: the real run loop with the toy stage registry.
import { startRunProcess } from '../run-process-main';
import { toyRegistry } from './toy-program';

void startRunProcess(toyRegistry);
