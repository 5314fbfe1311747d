// The run process's side of the channel to its supervisor. A node child_process has process.send;
// an Electron utilityProcess has process.parentPort (message events carry `.data`). The run code
// sees one interface either way.
import type { ChildMessage, ParentMessage } from './protocol';
import { parentMessageSchema } from './protocol';

export interface ParentChannel {
  send(msg: ChildMessage): void;
  onMessage(cb: (msg: ParentMessage) => void): void;
  /** Resolves once queued messages have been handed to the OS (before a deliberate exit). */
  flush(): Promise<void>;
}

interface ParentPortLike {
  postMessage(msg: unknown): void;
  on(event: 'message', cb: (e: { data: unknown }) => void): void;
}

export function connectToParent(): ParentChannel | null {
  const port = (process as unknown as { parentPort?: ParentPortLike }).parentPort;
  const accept = (cb: (msg: ParentMessage) => void) => (raw: unknown) => {
    const parsed = parentMessageSchema.safeParse(raw);
    if (parsed.success) cb(parsed.data);
  };
  if (port) {
    return {
      send: (msg) => port.postMessage(msg),
      onMessage: (cb) => port.on('message', (e) => accept(cb)(e.data)),
      flush: () => Promise.resolve(),
    };
  }
  if (typeof process.send === 'function') {
    let pending = Promise.resolve();
    return {
      send: (msg) => {
        pending = pending.then(
          () =>
            new Promise<void>((resolve) => {
              if (!process.connected) return resolve();
              process.send?.(msg, undefined, undefined, () => resolve());
            }),
        );
      },
      onMessage: (cb) => process.on('message', accept(cb)),
      flush: () => pending,
    };
  }
  return null;
}
