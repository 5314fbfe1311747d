// The one contract between the renderer and main. Each feature declares its requests and events in
// its own module; this file merges them. Channel names are derived here and nowhere else.
import type { z } from 'zod';
import type { EventSpec, RequestSpec } from './define';
import { datasetRequests } from './datasets';
import { labelsEvents, labelsRequests } from './labels';
import { mapsEvents, mapsRequests } from './maps';
import { exportEvents, exportRequests } from './export';
import { runsEvents, runsRequests } from './runs';
import { systemEvents, systemRequests } from './system';
import { workspaceEvents, workspaceRequests } from './workspace';

export const requests = {
  ...systemRequests,
  ...workspaceRequests,
  ...datasetRequests,
  ...labelsRequests,
  ...runsRequests,
  ...mapsRequests,
  ...exportRequests,
} as const satisfies Record<string, RequestSpec>;

export const events = {
  ...systemEvents,
  ...workspaceEvents,
  ...labelsEvents,
  ...runsEvents,
  ...mapsEvents,
  ...exportEvents,
} as const satisfies Record<string, EventSpec>;

export type Requests = typeof requests;
export type RequestName = keyof Requests;
export type RequestOf<K extends RequestName> = z.input<Requests[K]['request']>;
export type ParsedRequestOf<K extends RequestName> = z.output<Requests[K]['request']>;
export type ResponseOf<K extends RequestName> = z.output<Requests[K]['response']>;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventOf<K extends EventName> = z.output<Events[K]['payload']>;

export const requestNames = Object.keys(requests) as RequestName[];
export const eventNames = Object.keys(events) as EventName[];

export const isRequestName = (name: string): name is RequestName => Object.hasOwn(requests, name);
export const isEventName = (name: string): name is EventName => Object.hasOwn(events, name);

/** IPC channel names: the only place they are spelt. */
export const ipcChannel = {
  request: (name: RequestName) => `proda:req:${name}`,
  event: (name: EventName) => `proda:evt:${name}`,
} as const;

/** HTTP routes for browser mode. */
export const httpRoute = {
  apiPrefix: '/api/',
  request: (name: RequestName) => `/api/${name}`,
  socket: '/events',
  /** GET: one file of an export folder, as an attachment (same token or cookie as the API). */
  downloadPrefix: '/download/',
  /** PUT with the file as the body: stored under the workspace's uploads/, answers { path, bytes } for an import. */
  uploadPrefix: '/upload/',
  upload: (fileName: string) => `/upload/${encodeURIComponent(fileName)}`,
  download: (exportId: string, relPath: string) => `/download/${encodeURIComponent(exportId)}/${relPath.split('/').map(encodeURIComponent).join('/')}`,
} as const;

/** What a client of the contract looks like, on either transport. */
export type ContractApi = {
  [K in RequestName]: (req: RequestOf<K>) => Promise<ResponseOf<K>>;
};
export interface ContractClient {
  call<K extends RequestName>(name: K, req: RequestOf<K>): Promise<ResponseOf<K>>;
  subscribe<K extends EventName>(name: K, listener: (payload: EventOf<K>) => void): () => void;
}

export * from './errors';
export * from './result';
export * from './define';
