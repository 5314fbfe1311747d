// Cancellable batched jobs: a caller-chosen id, checked between images. Cancelling stops the batch at
// the next image boundary; what was already computed stays cached.
import { AppError } from '../../shared/contract/errors';

export class MapJobs {
  private readonly live = new Map<string, { cancelled: boolean }>();

  start(id: string | undefined): { id: string | null; check: () => void; done: () => void } {
    if (!id) return { id: null, check: () => {}, done: () => {} };
    if (this.live.has(id)) throw new AppError('conflict', `a maps job with id '${id}' is already running`, { where: 'jobId' });
    const state = { cancelled: false };
    this.live.set(id, state);
    return {
      id,
      check: () => {
        if (state.cancelled) throw new AppError('cancelled', `maps job '${id}' was cancelled`);
      },
      done: () => this.live.delete(id),
    };
  }

  cancel(id: string): boolean {
    const s = this.live.get(id);
    if (!s) return false;
    s.cancelled = true;
    return true;
  }
}
