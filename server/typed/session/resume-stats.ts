/**
 * The session-resume part of `server.stats()`: what the application and an operator want to see
 * of sessions that outlive their connections.
 */
import type { ResumeFailure } from '../../../src/envelope.js';

/** `server.stats().sessions`. */
export interface SessionStats {
  /** Resumable sessions alive now (attached or suspended). */
  readonly live: number;
  /** Sessions suspended now, waiting for their client. */
  readonly suspended: number;
  /** Resumes that succeeded (`resumed: true`). */
  readonly resumed: number;
  /** Sessions ended because their window passed. */
  readonly expired: number;
  /**
   * Sessions that lost their resumability to a bound: their log passed `maxBuffered`,
   * `maxBufferedBytes` or the total `maxTotalBufferedBytes`, or they were the oldest suspended
   * session at `maxSuspended`.
   */
  readonly overflowed: number;
  /** Resume attempts answered `resumed: false`, by reason. */
  readonly refused: Readonly<Partial<Record<ResumeFailure, number>>>;
  /** Bytes all outbound logs hold now (broadcast bodies counted once). */
  readonly logBytes: number;
}

/** Mutable counters behind {@link SessionStats}. */
export class SessionCounters {
  resumed = 0;
  expired = 0;
  overflowed = 0;
  readonly #refused = new Map<ResumeFailure, number>();

  /** A resume attempt was answered `resumed: false` with `reason`. */
  refusedWith(reason: ResumeFailure): void {
    this.#refused.set(reason, (this.#refused.get(reason) ?? 0) + 1);
  }

  /** A snapshot with the gauges the server knows. */
  snapshot(live: number, suspended: number, logBytes: number): SessionStats {
    return {
      live,
      suspended,
      resumed: this.resumed,
      expired: this.expired,
      overflowed: this.overflowed,
      refused: Object.fromEntries(this.#refused) as Partial<Record<ResumeFailure, number>>,
      logBytes,
    };
  }
}
