/**
 * Counters behind `server.stats()`: plain numbers bumped on the hot path, copied out on demand.
 * They also feed the Prometheus metrics of `server.metrics()` (metrics.ts), so the server has one
 * place to count in.
 */
import type { AdapterStats } from './adapter.js';
import { ServerMetrics } from './metrics.js';
import type { SessionStats } from './session/resume-stats.js';

/** A snapshot returned by `server.stats()`. */
export interface ServerStats {
  /** Peers connected now (handshake and open). */
  readonly connections: number;
  /** Rooms with at least one member. */
  readonly rooms: number;
  /** Typed requests from clients whose handler has not settled yet. */
  readonly pendingHandlers: number;
  readonly messagesIn: number;
  readonly messagesOut: number;
  /** Payload bytes of the messages above (envelopes as encoded, before framing). */
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Volatile events dropped for slow consumers. */
  readonly dropped: number;
  /** Connections refused before the 101, by HTTP status. */
  readonly refused: Readonly<Record<number, number>>;
  /** Closed connections by close code, clean closes (1000, 1001, 1012) excluded. */
  readonly errorsByCloseCode: Readonly<Record<number, number>>;
  /** The adapter's own counters, when it has any (`tandem/redis`: queued, dropped, connected…). */
  readonly adapter?: AdapterStats;
  /** Session resume: live and suspended sessions, resumes, expiries, overflows, refusals, log bytes. */
  readonly sessions: SessionStats;
}

// Codes that end a connection on purpose, not because something went wrong.
const CLEAN = new Set([1000, 1001, 1012]);

/** Mutable counters owned by one server. */
export class StatsCounters {
  messagesIn = 0;
  messagesOut = 0;
  bytesIn = 0;
  bytesOut = 0;
  dropped = 0;
  pendingHandlers = 0;
  readonly #refused = new Map<number, number>();
  readonly #closes = new Map<number, number>();
  /** The Prometheus side of the same counts (plus what only metrics show). */
  readonly metrics = new ServerMetrics();

  /** A message of `bytes` arrived. */
  received(bytes: number): void {
    this.messagesIn += 1;
    this.bytesIn += bytes;
    this.metrics.received(bytes);
  }

  /** `count` copies of a `kind` message of `bytes` were written (a broadcast is an event). */
  sent(bytes: number, count = 1, kind = 'event'): void {
    this.messagesOut += count;
    this.bytesOut += bytes * count;
    this.metrics.sent(kind, bytes, count);
  }

  /** A broadcast was written to `deliveries` peers; returns that number. */
  broadcast(deliveries: number): number {
    this.metrics.broadcasts.inc();
    this.metrics.deliveries.inc(undefined, deliveries);
    return deliveries;
  }

  /** A handshake was accepted (101). */
  accepted(): void {
    this.metrics.handshakes.inc({ status: 101 });
  }

  /** A handshake was refused with HTTP `status`. */
  refusedWith(status: number): void {
    this.#refused.set(status, (this.#refused.get(status) ?? 0) + 1);
    this.metrics.handshakes.inc({ status });
  }

  /** A connection closed with `code`. */
  closedWith(code: number): void {
    this.metrics.closes.inc({ code });
    if (CLEAN.has(code)) return;
    this.#closes.set(code, (this.#closes.get(code) ?? 0) + 1);
  }

  /** A snapshot including the gauges the server knows. */
  snapshot(connections: number, rooms: number): Omit<ServerStats, 'sessions'> {
    return {
      connections,
      rooms,
      pendingHandlers: this.pendingHandlers,
      messagesIn: this.messagesIn,
      messagesOut: this.messagesOut,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      dropped: this.dropped,
      refused: Object.fromEntries(this.#refused),
      errorsByCloseCode: Object.fromEntries(this.#closes),
    };
  }
}

/** Byte length of message data (a string counts as its UTF-8 encoding). */
export function byteLength(data: string | Uint8Array): number {
  return typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : data.byteLength;
}
