/**
 * When to acknowledge: cumulative acks ride on envelopes that go out anyway (`ack` field), and a
 * standalone `ack` envelope goes out only when nothing did for `delay` ms or `every` messages
 * arrived unacknowledged — so logs trim quickly without an extra message per message.
 */
import type { Scheduler, TimerHandle } from '../scheduler.js';

/** Defaults of the acknowledgement policy. */
export const ACK_DEFAULTS = Object.freeze({
  /** Longest an acknowledgement waits for a ride, in ms. @default 100 */
  delay: 100,
  /** Unacknowledged deliveries that force a standalone ack at once. @default 64 */
  every: 64,
});

/** Options of an {@link Acknowledger} (named as in a SessionChannel's options, which are passed as they are). */
export interface AcknowledgerOptions {
  readonly scheduler: Scheduler;
  /** Sends a standalone `ack` envelope for `seq` (the owner builds and writes it). */
  readonly sendAck: (seq: number) => void;
  /** @default ACK_DEFAULTS.delay */
  readonly ackDelay?: number | undefined;
  /** @default ACK_DEFAULTS.every */
  readonly ackEvery?: number | undefined;
}

/**
 * Owes the peer an acknowledgement of the highest seq delivered. Owns at most one timer, armed
 * by a delivery and gone at most `delay` ms after the last one: an idle session holds none.
 */
export class Acknowledger {
  readonly #options: AcknowledgerOptions;
  readonly #delay: number;
  readonly #every: number;
  #owed = 0;
  #highest = 0;
  #timer: TimerHandle | undefined;

  constructor(options: AcknowledgerOptions) {
    this.#options = options;
    this.#delay = options.ackDelay ?? ACK_DEFAULTS.delay;
    this.#every = options.ackEvery ?? ACK_DEFAULTS.every;
  }

  /** `seq` was delivered: an acknowledgement is owed. */
  delivered(seq: number): void {
    this.#highest = seq;
    if (++this.#owed >= this.#every) return this.flush();
    this.#timer ??= this.#options.scheduler.setTimeout(() => {
      this.#timer = undefined;
      this.flush();
    }, this.#delay);
  }

  /**
   * The ack to piggyback on an envelope going out now (settling the debt), or undefined. The
   * timer stays armed: it finds nothing owed and stops, which is cheaper than clearing and
   * re-arming a timer for every request and answer of a busy session.
   */
  take(): number | undefined {
    if (this.#owed === 0) return undefined;
    this.#owed = 0;
    return this.#highest;
  }

  /** Sends the owed acknowledgement now as a standalone envelope. */
  flush(): void {
    const seq = this.take();
    if (seq !== undefined) this.#options.sendAck(seq);
  }

  /** Stops owing (the link is gone: the next hello/welcome carries the ack instead). */
  cancel(): void {
    this.#owed = 0;
    if (this.#timer !== undefined) this.#options.scheduler.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
