/**
 * The receiver's half of session resume: which sequenced envelopes were already delivered, so a
 * replay after a reconnect never delivers one twice (docs/protocol.md §10). Within a connection
 * seqs arrive in order, so one number is the whole state.
 */
import type { Envelope, SequencedEnvelope } from '../envelope.js';

/** What to do with an incoming sequenced envelope. */
export type InboundVerdict =
  /** The next one: deliver it. */
  | 'deliver'
  /** Already delivered (a replay overlapping what arrived before the cut): drop it silently. */
  | 'duplicate'
  /** A seq was skipped: the sender broke the protocol (1008). */
  | 'gap';

/** The envelope kinds that carry a `seq` in a resumable session: all application traffic. */
export function isSequenced(envelope: Envelope): envelope is SequencedEnvelope {
  const type = envelope.type;
  return type === 'event' || type === 'request' || type === 'response' || type === 'error';
}

/** Tracks the highest seq delivered in one direction of one session. */
export class InboundSequence {
  #received: number;

  constructor(received = 0) {
    this.#received = received;
  }

  /** The highest seq delivered: what a resuming end puts in its hello/welcome `ack`. */
  get received(): number {
    return this.#received;
  }

  /** Judges `seq` and, for `deliver`, counts it as delivered. */
  accept(seq: number): InboundVerdict {
    if (seq <= this.#received) return 'duplicate';
    if (seq !== this.#received + 1) return 'gap';
    this.#received = seq;
    return 'deliver';
  }
}
