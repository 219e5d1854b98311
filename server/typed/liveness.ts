/**
 * Server-side liveness: a protocol ping to every peer each `interval`, and a peer that has not
 * answered `timeout` after its ping is terminated. Idle connections own no timers: one sweep
 * timer serves every tracked peer, armed for the earliest deadline and coalesced so that it fires
 * at most once per `resolution` however many peers there are. With no peers, no timer runs.
 */
import { assertNever } from '../../src/assert-never.js';
import { callListener } from '../../src/call-listener.js';
import type { Scheduler, TimerHandle } from '../../src/scheduler.js';
import { HEARTBEAT_DEFAULTS } from '../../src/heartbeat.js';

/** What the sweep does to a peer; the server's peer implements it. */
export interface LivenessTarget {
  /** Send a protocol ping frame (RFC 6455 §5.5.2). */
  ping(): void;
  /** The peer did not answer in time: drop the TCP connection without a close handshake. */
  terminate(reason: string): void;
  /**
   * `ping` or `terminate` threw (a socket already torn down…): the sweep goes on with the other
   * peers and hands the error here. Without it the error is dropped.
   */
  failed?(error: unknown): void;
}

/** A tracked peer's handle. */
export interface LivenessHandle {
  /** The peer answered (a pong frame, or any inbound traffic, which proves the link works). */
  alive(): void;
  /** Stop tracking (the peer disconnected). Idempotent. */
  untrack(): void;
}

/** Options of {@link LivenessSweep}. */
export interface LivenessOptions {
  /** Time between two pings to the same peer, in ms. @default 25000 */
  readonly interval?: number;
  /** How long after a ping the peer has to answer, in ms. @default 10000 */
  readonly timeout?: number;
  /** Sweeps are at least this far apart, so thousands of peers cost one wake-up, in ms. @default min(1000, interval / 10, timeout / 10) */
  readonly resolution?: number;
  readonly scheduler: Scheduler;
}

/** Defaults of {@link LivenessOptions}: the shared heartbeat policy, so both ends agree. */
export const LIVENESS_DEFAULTS = Object.freeze({
  /** @default 25000 */
  interval: HEARTBEAT_DEFAULTS.interval,
  /** @default 10000 */
  timeout: HEARTBEAT_DEFAULTS.timeout,
  /** @default 1000 */
  resolution: 1_000,
});

/** Per-peer state: waiting for the next ping, or waiting for the answer to the last one. */
type PeerLiveness =
  | { readonly kind: 'idle'; readonly pingAt: number }
  | { readonly kind: 'awaiting'; readonly sentAt: number; readonly deadlineAt: number };

interface Entry {
  readonly target: LivenessTarget;
  state: PeerLiveness;
}

/** One timer for the liveness of all peers. */
export class LivenessSweep {
  readonly #scheduler: Scheduler;
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  readonly #resolutionMs: number;
  readonly #entries = new Set<Entry>();
  #timer: { readonly handle: TimerHandle; readonly at: number } | undefined;

  constructor(options: LivenessOptions) {
    this.#scheduler = options.scheduler;
    this.#intervalMs = options.interval ?? LIVENESS_DEFAULTS.interval;
    this.#timeoutMs = options.timeout ?? LIVENESS_DEFAULTS.timeout;
    // Coarser than a tenth of the shortest period would blur the deadlines themselves.
    this.#resolutionMs = options.resolution ?? Math.min(LIVENESS_DEFAULTS.resolution, this.#intervalMs / 10, this.#timeoutMs / 10);
  }

  /** Number of tracked peers. */
  get size(): number {
    return this.#entries.size;
  }

  /** Is the sweep timer armed? (False whenever no peer is tracked.) */
  get armed(): boolean {
    return this.#timer !== undefined;
  }

  /** Start tracking a peer: its first ping is due `interval` from now. */
  track(target: LivenessTarget): LivenessHandle {
    const entry: Entry = { target, state: { kind: 'idle', pingAt: this.#scheduler.now() + this.#intervalMs } };
    this.#entries.add(entry);
    this.#arm(entry.state.kind === 'idle' ? entry.state.pingAt : entry.state.deadlineAt);
    return {
      alive: () => this.#alive(entry),
      untrack: () => this.#untrack(entry),
    };
  }

  /** Stop tracking everyone and disarm the timer (server shutdown). */
  clear(): void {
    this.#entries.clear();
    this.#disarm();
  }

  #alive(entry: Entry): void {
    const state = entry.state;
    switch (state.kind) {
      case 'idle':
        return; // keep the ping cadence; traffic between pings changes nothing
      case 'awaiting':
        // Next ping one interval after the last one, not after the answer: a steady cadence.
        entry.state = { kind: 'idle', pingAt: Math.max(state.sentAt + this.#intervalMs, this.#scheduler.now()) };
        return;
      default:
        assertNever(state);
    }
  }

  #untrack(entry: Entry): void {
    if (!this.#entries.delete(entry)) return;
    if (this.#entries.size === 0) this.#disarm();
  }

  #sweep(): void {
    this.#timer = undefined;
    const now = this.#scheduler.now();
    const toPing: LivenessTarget[] = [];
    const toTerminate: LivenessTarget[] = [];
    let next = Infinity;
    for (const entry of this.#entries) {
      const state = entry.state;
      switch (state.kind) {
        case 'idle':
          if (now >= state.pingAt) {
            entry.state = { kind: 'awaiting', sentAt: now, deadlineAt: now + this.#timeoutMs };
            toPing.push(entry.target);
            next = Math.min(next, entry.state.deadlineAt);
          } else next = Math.min(next, state.pingAt);
          break;
        case 'awaiting':
          if (now >= state.deadlineAt) {
            this.#entries.delete(entry);
            toTerminate.push(entry.target);
          } else next = Math.min(next, state.deadlineAt);
          break;
        default:
          assertNever(state);
      }
    }
    if (next !== Infinity) this.#arm(Math.max(next, now + this.#resolutionMs));
    // State is settled before any peer code runs (a ping may throw, a terminate may untrack);
    // one failing peer must not cost the others their ping or their deadline.
    for (const target of toPing) callListener((err) => target.failed?.(err), () => target.ping());
    const reason = `no pong within ${this.#timeoutMs} ms of a ping`;
    for (const target of toTerminate) callListener((err) => target.failed?.(err), () => target.terminate(reason));
  }

  /** Make sure the timer fires no later than `at`. */
  #arm(at: number): void {
    if (this.#timer !== undefined && this.#timer.at <= at) return;
    this.#disarm();
    const delay = Math.max(0, at - this.#scheduler.now());
    this.#timer = { handle: this.#scheduler.setTimeout(() => this.#sweep(), delay), at };
  }

  #disarm(): void {
    if (this.#timer === undefined) return;
    this.#scheduler.clearTimeout(this.#timer.handle);
    this.#timer = undefined;
  }
}
