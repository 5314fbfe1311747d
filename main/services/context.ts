// What every handler receives besides its request: the open workspace, the event bus that transports
// forward to clients, and per-workspace caches. Services stay ignorant of which transport called them.
import { events, type EventName, type EventOf } from '../../shared/contract/index';
import { AppError } from '../../shared/contract/errors';
import type { DatasetRef, ImageEntry } from '../../shared/datasets';
import type { Dataset } from '../datasets/types';
import type { WorkspaceFile } from './workspace-file';

export interface OpenWorkspace {
  /** Absolute folder path. */
  root: string;
  file: WorkspaceFile;
}

export type EventListener = <K extends EventName>(name: K, payload: EventOf<K>) => void;

export interface ServiceContextOptions {
  transport: 'ipc' | 'http';
  appVersion?: string;
}

export class ServiceContext {
  readonly transport: 'ipc' | 'http';
  readonly appVersion: string;
  private open: OpenWorkspace | null = null;
  private readonly listeners = new Set<EventListener>();
  private readonly disposers: (() => void | Promise<void>)[] = [];
  /** Opened datasets and their listings, keyed by dataset id; dropped when the workspace changes. */
  readonly datasets = new Map<string, { ref: DatasetRef; dataset: Promise<Dataset>; list?: Promise<ImageEntry[]> }>();

  constructor(opts: ServiceContextOptions) {
    this.transport = opts.transport;
    this.appVersion = opts.appVersion ?? '0.0.0';
  }

  get workspace(): OpenWorkspace | null {
    return this.open;
  }

  setWorkspace(ws: OpenWorkspace | null): void {
    this.open = ws;
    this.datasets.clear();
  }

  /** The open workspace, or a 'conflict' error telling the user to open one first. */
  requireWorkspace(): OpenWorkspace {
    if (!this.open) throw new AppError('conflict', 'No workspace is open: open or create one first');
    return this.open;
  }

  /** Pushes an event to every connected client; the payload is checked so no transport sends junk. */
  emit<K extends EventName>(name: K, payload: EventOf<K>): void {
    const parsed = events[name].payload.parse(payload) as EventOf<K>;
    for (const l of this.listeners) {
      try {
        l(name, parsed);
      } catch {
        // A broken client connection must not stop the others from hearing the event.
      }
    }
  }

  /**
   * Work to do when the process hosting the services shuts down (server stop, app quit): e.g. stop run
   * processes. Runs newest first; a failing disposer does not stop the others.
   */
  onDispose(fn: () => void | Promise<void>): void {
    this.disposers.push(fn);
  }

  async dispose(): Promise<void> {
    for (const fn of this.disposers.splice(0).reverse()) {
      try {
        await fn();
      } catch (err) {
        console.error('shutdown step failed:', err);
      }
    }
  }

  onEvent(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
