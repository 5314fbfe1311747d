// The editor's model without React or canvas: the image's label layers, the step queue to main, and
// change notifications with the pixels that changed. Edits apply locally at once (the same op code main
// runs) and go to main in order; undo/redo come back from main as diffs, since main owns the history
// (it survives reloads). Any refusal from main (a stale step, a bad class) reloads main's state.
import { applyDiff, decodeDiff, diffIndices, diffPixelCount } from '../../../../shared/annotation/diff';
import { computeEdit, type EditOp } from '../../../../shared/annotation/ops';
import type { EditLayers } from '../../../../shared/annotation/raster';
import type { ContractClient } from '../../../../shared/contract/index';
import type { LabelStart, LabelState } from '../../../../shared/contract/labels';

export type HistoryInfo = LabelState['history'];

export interface SessionSnapshot {
  layers: EditLayers | null;
  /** Steps main has confirmed. */
  seq: number;
  /** Steps sent but not yet confirmed. */
  pending: number;
  touchedPixels: number;
  history: HistoryInfo | null;
  start: LabelState['start'] | null;
  error: string | null;
  /** Bumped on every pixel change, so views know to redraw. */
  version: number;
}

/** Pixels that changed: every index (null = everything). */
export type ChangeListener = (changed: Uint32Array | null) => void;

export class AnnotationSession {
  private layers: EditLayers | null = null;
  private seq = 0;
  private pending = 0;
  private touchedPixels = 0;
  private history: HistoryInfo | null = null;
  private start: LabelState['start'] | null = null;
  private error: string | null = null;
  private version = 0;
  private queue: Promise<void> = Promise.resolve();
  private snapshot: SessionSnapshot | null = null;
  private readonly listeners = new Set<ChangeListener>();
  private readonly stateListeners = new Set<() => void>();
  /** Bumped when main's state replaces ours: steps queued before that were overwritten and are dropped. */
  private epoch = 0;
  private reloading = false;

  constructor(
    private readonly client: ContractClient,
    readonly datasetId: string,
    readonly imageId: string,
  ) {}

  /** Loads the stored corrections (or starts them from `start`). */
  load(start?: LabelStart): Promise<void> {
    return this.enqueue(async () => {
      this.take(await this.client.call('labels.get', { datasetId: this.datasetId, imageId: this.imageId, start }));
    });
  }

  /** Starts the image over from another layer. */
  reset(start: LabelStart): Promise<void> {
    return this.enqueue(async () => {
      this.take(await this.client.call('labels.reset', { datasetId: this.datasetId, imageId: this.imageId, start }));
    });
  }

  /** Applies `op` here at once and sends it to main; returns the pixels it changed (0 = nothing sent). */
  apply(op: EditOp): number {
    const layers = this.layers;
    if (!layers || this.reloading) return 0;
    const diff = computeEdit(layers, op);
    const n = diffPixelCount(diff);
    if (n === 0) return 0;
    applyDiff(layers, diff, 'forward');
    this.pending++;
    this.changed(diffIndices(diff));
    const epoch = this.epoch;
    void this.enqueue(async () => {
      try {
        if (epoch !== this.epoch) return;
        const r = await this.client.call('labels.applyEdit', { datasetId: this.datasetId, imageId: this.imageId, seq: this.seq, op });
        this.seq = r.seq;
        this.touchedPixels = r.touchedPixels;
        this.history = r.history;
      } finally {
        this.pending--;
        this.notify();
      }
    });
    return n;
  }

  undo(): Promise<void> {
    return this.historyStep('labels.undo');
  }

  redo(): Promise<void> {
    return this.historyStep('labels.redo');
  }

  /** Resolves when every queued step is confirmed by main (or failed and reloaded). */
  idle(): Promise<void> {
    return this.enqueue(async () => undefined);
  }

  get canUndo(): boolean {
    return (this.history?.undo.length ?? 0) > 0;
  }

  get canRedo(): boolean {
    return (this.history?.redo.length ?? 0) > 0;
  }

  getLayers(): EditLayers | null {
    return this.layers;
  }

  /** Stable between changes, for useSyncExternalStore. */
  getSnapshot = (): SessionSnapshot => {
    this.snapshot ??= {
      layers: this.layers,
      seq: this.seq,
      pending: this.pending,
      touchedPixels: this.touchedPixels,
      history: this.history,
      start: this.start,
      error: this.error,
      version: this.version,
    };
    return this.snapshot;
  };

  subscribe = (listener: () => void): (() => void) => {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  };

  onPixels(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private historyStep(name: 'labels.undo' | 'labels.redo'): Promise<void> {
    return this.enqueue(async () => {
      const r = await this.client.call(name, { datasetId: this.datasetId, imageId: this.imageId, seq: this.seq });
      this.seq = r.seq;
      this.touchedPixels = r.touchedPixels;
      this.history = r.history;
      if (r.diff && this.layers) {
        const diff = decodeDiff(r.diff).diff;
        applyDiff(this.layers, diff, r.direction);
        this.changed(diffIndices(diff));
      } else {
        this.notify();
      }
    });
  }

  private take(s: LabelState): void {
    this.layers = { width: s.width, height: s.height, labels: s.labels, touched: s.touched, base: s.base };
    this.seq = s.seq;
    this.touchedPixels = s.touchedPixels;
    this.history = s.history;
    this.start = s.start;
    this.error = null;
    this.changed(null);
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = async (): Promise<void> => {
      try {
        await task();
      } catch (err) {
        this.error = err instanceof Error ? err.message : String(err);
        // Local pixels may now differ from main's: take main's state as the truth.
        this.epoch++;
        this.reloading = true;
        try {
          const s = await this.client.call('labels.get', { datasetId: this.datasetId, imageId: this.imageId });
          const error = this.error;
          this.take(s);
          this.error = error;
          this.notify();
        } catch {
          this.notify();
        } finally {
          this.reloading = false;
        }
      }
    };
    const next = this.queue.then(run);
    this.queue = next;
    return next;
  }

  private changed(indices: Uint32Array | null): void {
    this.version++;
    for (const l of this.listeners) l(indices);
    this.notify();
  }

  private notify(): void {
    this.snapshot = null;
    for (const l of this.stateListeners) l();
  }
}
