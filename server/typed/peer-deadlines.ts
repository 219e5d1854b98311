/**
 * The only per-peer timers the typed server has, and only for short phases: the hello deadline
 * of a new connection and the terminate deadline of a peer being closed as a slow consumer.
 * An open, idle peer has none (liveness is the single sweep).
 */
import type { Scheduler, TimerHandle } from '../../src/scheduler.js';

/** At most one deadline per key; setting a new one replaces the old. */
export class PeerDeadlines<K> {
  readonly #scheduler: Scheduler;
  readonly #timers = new Map<K, TimerHandle>();

  constructor(scheduler: Scheduler) {
    this.#scheduler = scheduler;
  }

  /** Number of armed deadlines. */
  get size(): number {
    return this.#timers.size;
  }

  /** Run `action` after `delayMs` unless cleared first. */
  set(key: K, delayMs: number, action: () => void): void {
    this.clear(key);
    const handle = this.#scheduler.setTimeout(() => {
      this.#timers.delete(key);
      action();
    }, delayMs);
    this.#timers.set(key, handle);
  }

  /** Cancel the deadline of `key`, if any. */
  clear(key: K): void {
    const handle = this.#timers.get(key);
    if (handle === undefined) return;
    this.#scheduler.clearTimeout(handle);
    this.#timers.delete(key);
  }

  /** Cancel every deadline (shutdown). */
  clearAll(): void {
    for (const handle of this.#timers.values()) this.#scheduler.clearTimeout(handle);
    this.#timers.clear();
  }
}
