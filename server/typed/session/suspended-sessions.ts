/**
 * The sessions waiting for their client to come back, each for the resume window. Idle sessions
 * own no timers: one sweep timer serves them all. Every session waits the same window, so the
 * order they were suspended in is the order they expire in, and a sweep only looks at the front.
 * Bounded: at `maxSuspended` the oldest suspended session is ended to make room (it has the least
 * window left and is the likeliest gone for good).
 */
import type { Scheduler, TimerHandle } from '../../../src/scheduler.js';

/** Why the registry ends a session: its window passed, or the cap made room for a newer one. */
export type SuspensionEnd = 'expired' | 'overflow';

/** Options of {@link SuspendedSessions}. */
export interface SuspendedSessionsOptions<S> {
  readonly scheduler: Scheduler;
  /** How long a session waits, in ms. */
  readonly window: number;
  /** Most sessions suspended at once. */
  readonly maxSuspended: number;
  /** End `session` (called after the registry forgot it, never while it iterates). */
  readonly end: (session: S, reason: SuspensionEnd) => void;
}

interface Waiting<S> {
  readonly session: S;
  readonly expiresAt: number;
}

/** Suspended sessions by sid, in suspension (= expiry) order. */
export class SuspendedSessions<S> {
  readonly #options: SuspendedSessionsOptions<S>;
  readonly #waiting = new Map<string, Waiting<S>>();
  /** Sweeps are at least this far apart (a tenth of the window, at most 1 s). */
  readonly #resolution: number;
  #timer: { readonly handle: TimerHandle; readonly at: number } | undefined;

  constructor(options: SuspendedSessionsOptions<S>) {
    this.#options = options;
    this.#resolution = Math.min(1_000, options.window / 10);
  }

  /** Sessions suspended now. */
  get size(): number {
    return this.#waiting.size;
  }

  /** Is the sweep timer armed? (False whenever nothing is suspended.) */
  get armed(): boolean {
    return this.#timer !== undefined;
  }

  /** When `sid` expires (server clock, ms), if it is suspended. */
  expiresAt(sid: string): number | undefined {
    return this.#waiting.get(sid)?.expiresAt;
  }

  /** The suspended session `sid`, left in place. */
  get(sid: string): S | undefined {
    return this.#waiting.get(sid)?.session;
  }

  /** Start the window of `session` (id `sid`) now. At the cap, the oldest suspended session is ended first. */
  suspend(sid: string, session: S): void {
    const now = this.#options.scheduler.now();
    this.#waiting.delete(sid);
    let evicted: S | undefined;
    if (this.#waiting.size >= this.#options.maxSuspended) {
      const oldest = this.#waiting.entries().next().value as [string, Waiting<S>] | undefined;
      if (oldest !== undefined) {
        this.#waiting.delete(oldest[0]);
        evicted = oldest[1].session;
      }
    }
    if (this.#options.maxSuspended > 0) {
      this.#waiting.set(sid, { session, expiresAt: now + this.#options.window });
      this.#arm(now + this.#options.window);
    }
    if (evicted !== undefined) this.#options.end(evicted, 'overflow');
    // A cap of 0 keeps nothing: the session ends at once, as an overflow.
    if (this.#options.maxSuspended <= 0) this.#options.end(session, 'overflow');
  }

  /** Take `sid` out (it resumed, or ended otherwise). Returns the session, if it was suspended. */
  take(sid: string): S | undefined {
    const waiting = this.#waiting.get(sid);
    if (waiting === undefined) return undefined;
    this.#waiting.delete(sid);
    if (this.#waiting.size === 0) this.#disarm();
    return waiting.session;
  }

  /** Forget everything without ending anything (shutdown, which ends sessions itself), and disarm. */
  clear(): S[] {
    const sessions = [...this.#waiting.values()].map((waiting) => waiting.session);
    this.#waiting.clear();
    this.#disarm();
    return sessions;
  }

  #sweep(): void {
    this.#timer = undefined;
    const now = this.#options.scheduler.now();
    const due: S[] = [];
    for (const [sid, waiting] of this.#waiting) {
      if (waiting.expiresAt > now) {
        this.#arm(waiting.expiresAt);
        break;
      }
      this.#waiting.delete(sid);
      due.push(waiting.session);
    }
    // The registry is settled before any session's end runs (which may suspend or take others).
    for (const session of due) this.#options.end(session, 'expired');
  }

  /** Make sure a sweep runs no later than `at`, and no sooner than a resolution from now. */
  #arm(at: number): void {
    const now = this.#options.scheduler.now();
    const when = Math.max(at, now + this.#resolution);
    if (this.#timer !== undefined && this.#timer.at <= when) return;
    this.#disarm();
    this.#timer = { handle: this.#options.scheduler.setTimeout(() => this.#sweep(), when - now), at: when };
  }

  #disarm(): void {
    if (this.#timer === undefined) return;
    this.#options.scheduler.clearTimeout(this.#timer.handle);
    this.#timer = undefined;
  }
}
