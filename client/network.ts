/**
 * The browser's network hints for the client: `online` retries at once, `offline` stops burning
 * retries. Kept apart from the lifecycle so "is the browser offline?" is only ever asked when
 * someone is listening for the `online` event that would end the wait.
 */
import type { NetworkEvents } from './options.js';

/** What the client does on the browser's network events (kept as given: they are the listeners removed later). */
export interface NetworkHandlers {
  online(): void;
  offline(): void;
}

/** The client's view of the network, from {@link watchNetwork}. */
export interface NetworkWatch {
  /**
   * Should a retry wait for `online` instead of a timer? Only when the browser says it is offline
   * AND an `online` listener is installed: without one, waiting would mean waiting forever.
   */
  isOffline(): boolean;
  /** Removes the listeners. */
  dispose(): void;
}

function defaultNetwork(): NetworkEvents | null {
  const g = globalThis as Partial<NetworkEvents>;
  return typeof g.addEventListener === 'function' && typeof g.removeEventListener === 'function' ? (g as NetworkEvents) : null;
}

/**
 * Listens to `online`/`offline` on `option` (`undefined`: `globalThis` when it is an event
 * target; `null`: nothing, and retries never wait for the network).
 */
export function watchNetwork(option: NetworkEvents | null | undefined, handlers: NetworkHandlers): NetworkWatch {
  const target = option === undefined ? defaultNetwork() : option;
  if (target === null) return { isOffline: () => false, dispose: () => undefined };
  const { online, offline } = handlers;
  target.addEventListener('online', online);
  target.addEventListener('offline', offline);
  return {
    isOffline: () => (globalThis as { navigator?: { onLine?: boolean } }).navigator?.onLine === false,
    dispose: () => {
      target.removeEventListener('online', online);
      target.removeEventListener('offline', offline);
    },
  };
}
