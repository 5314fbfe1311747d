// What the Electron preload exposes on window: one function per contract request and one subscription
// per contract event, generated from the name lists, so nothing here is kept in sync by hand.
import type { EventName, EventOf, RequestName, RequestOf, ResponseOf } from './index';
import type { Result } from './result';

export const BRIDGE_KEY = 'prodaBridge';

export interface BridgeApi {
  call: { [K in RequestName]: (req: RequestOf<K>) => Promise<Result<ResponseOf<K>>> };
  /** Each subscription returns its unsubscribe. */
  on: { [K in EventName]: (listener: (payload: EventOf<K>) => void) => () => void };
}
