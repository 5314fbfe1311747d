// Thumbnails as object URLs: fetched on demand with a small concurrency limit, newest requests first
// (the user is looking at them), deduplicated, and evicted least-recently-used with their URLs revoked.
import type { ContractClient } from '../../../../shared/contract/index';

interface Job {
  key: string;
  run: () => Promise<void>;
}

export class ThumbnailCache {
  private readonly urls = new Map<string, string>();
  private readonly pending = new Map<string, Promise<string>>();
  private readonly queue: Job[] = [];
  private active = 0;

  constructor(
    private readonly client: ContractClient,
    private readonly maxSide = 192,
    private readonly capacity = 1500,
    private readonly concurrency = 6,
  ) {}

  /** Cached URL or undefined; touching it marks it recently used. */
  peek(datasetId: string, imageId: string): string | undefined {
    const key = `${datasetId}\n${imageId}`;
    const url = this.urls.get(key);
    if (url) {
      this.urls.delete(key);
      this.urls.set(key, url);
    }
    return url;
  }

  get(datasetId: string, imageId: string): Promise<string> {
    const key = `${datasetId}\n${imageId}`;
    const hit = this.peek(datasetId, imageId);
    if (hit) return Promise.resolve(hit);
    const inflight = this.pending.get(key);
    if (inflight) return inflight;
    const p = new Promise<string>((resolve, reject) => {
      this.queue.push({
        key,
        run: async () => {
          try {
            const t = await this.client.call('images.thumbnail', { datasetId, imageId, maxSide: this.maxSide });
            const url = URL.createObjectURL(new Blob([t.bytes as Uint8Array<ArrayBuffer>], { type: t.mime }));
            this.urls.set(key, url);
            this.evict();
            resolve(url);
          } catch (err) {
            reject(err);
          } finally {
            this.pending.delete(key);
          }
        },
      });
      this.pump();
    });
    this.pending.set(key, p);
    return p;
  }

  /** Drops queued requests nobody is waiting for any more (cells scrolled away). */
  cancelExcept(keep: ReadonlySet<string>): void {
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const key = this.queue[i].key;
      if (!keep.has(key.slice(key.indexOf('\n') + 1))) {
        this.queue.splice(i, 1);
        this.pending.delete(key);
      }
    }
  }

  dispose(): void {
    this.queue.length = 0;
    for (const url of this.urls.values()) URL.revokeObjectURL(url);
    this.urls.clear();
  }

  private pump(): void {
    while (this.active < this.concurrency && this.queue.length > 0) {
      // LIFO: the most recently requested cells are the ones on screen now.
      const job = this.queue.pop()!;
      this.active++;
      void job.run().finally(() => {
        this.active--;
        this.pump();
      });
    }
  }

  private evict(): void {
    while (this.urls.size > this.capacity) {
      const [key, url] = this.urls.entries().next().value as [string, string];
      this.urls.delete(key);
      URL.revokeObjectURL(url);
    }
  }
}
