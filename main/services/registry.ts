// Every contract request mapped to its handler. Typed as Handlers, so a request added to the contract
// without a handler here fails the typecheck. One spread line per service.
import { datasetHandlers } from './dataset-service';
import type { Handlers } from './handler';
import { labelsHandlers } from './labels-service';
import { mapsHandlers } from './maps-service';
import { exportHandlers } from './export-service';
import { runsHandlers } from './runs-service';
import { systemHandlers } from './system-service';
import { workspaceHandlers } from './workspace-service';

export const handlers: Handlers = {
  ...systemHandlers,
  ...workspaceHandlers,
  ...datasetHandlers,
  ...labelsHandlers,
  ...runsHandlers,
  ...mapsHandlers,
  ...exportHandlers,
};
