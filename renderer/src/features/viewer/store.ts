// A minimal external store (get/set/subscribe), read from React with useSyncExternalStore. Canvas code
// subscribes directly, so a pan updates Konva without re-rendering any React component.
import { useSyncExternalStore } from 'react';

export interface Store<T> {
  get(): T;
  set(next: T | ((prev: T) => T)): void;
  subscribe(listener: (state: T, prev: T) => void): () => void;
}

export function createStore<T>(initial: T): Store<T> {
  let state = initial;
  const listeners = new Set<(s: T, p: T) => void>();
  return {
    get: () => state,
    set(next) {
      const prev = state;
      const value = typeof next === 'function' ? (next as (p: T) => T)(prev) : next;
      if (Object.is(value, prev)) return;
      state = value;
      for (const l of listeners) l(state, prev);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

export function useStore<T, S>(store: Store<T>, select: (s: T) => S): S {
  return useSyncExternalStore(
    (cb) => store.subscribe(cb),
    () => select(store.get()),
  );
}
