// Worker-thread entry of the data-parallel trainer: one tfjs backend, one task replica.
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../backend';
import type { BackendPreference } from '../backend';
import type { HostBatch, Packed, ParallelTask } from './protocol';
import { pack } from './protocol';

type Msg =
  | { type: 'init'; init: unknown }
  | { type: 'grads'; shard: HostBatch; step: number }
  | { type: 'apply'; grads: Packed; buffers: Packed; step: number }
  | { type: 'weights' }
  | { type: 'close' };

const { backend, taskUrl } = workerData as { backend: BackendPreference; taskUrl: string };
const port = parentPort;
if (!port) throw new Error('parallel/worker.ts must run in a worker thread');

const ready = (async () => {
  const info = await initBackend(backend);
  const mod = (await import(taskUrl)) as { default: ParallelTask };
  return { info, task: mod.default };
})();

port.on('message', (msg: Msg) => {
  void handle(msg);
});

async function handle(msg: Msg): Promise<void> {
  try {
    const { info, task } = await ready;
    switch (msg.type) {
      case 'init':
        await task.init(msg.init);
        port?.postMessage({ ok: true, backend: info.name });
        return;
      case 'grads': {
        const r = await task.grads(msg.shard, msg.step);
        port?.postMessage({ ok: true, result: r }, [r.grads.data.buffer, r.buffers.data.buffer] as ArrayBuffer[]);
        return;
      }
      case 'apply':
        task.apply(msg.grads, msg.buffers, msg.step);
        port?.postMessage({ ok: true });
        return;
      case 'weights': {
        const p = pack(await task.weights());
        port?.postMessage({ ok: true, weights: p }, [p.data.buffer] as ArrayBuffer[]);
        return;
      }
      case 'close':
        task.dispose?.();
        port?.postMessage({ ok: true });
        return;
    }
  } catch (err) {
    port?.postMessage({ ok: false, error: err instanceof Error ? `${err.message}\n${err.stack ?? ''}` : String(err) });
  }
}
