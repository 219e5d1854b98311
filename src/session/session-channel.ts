/**
 * Both directions of one resumable session at one end, written once for client and server: the
 * outbound log with its seq counter, the inbound duplicate check, and the acknowledgement policy
 * (docs/protocol.md §10). The owner (client, server peer) stamps and records what it sends, and
 * hands the channel to its Conversation, which checks and acknowledges what arrives.
 */
import type { SequencedEnvelope } from '../envelope.js';
import type { Scheduler } from '../scheduler.js';
import { Acknowledger } from './acknowledger.js';
import { InboundSequence } from './inbound-sequence.js';
import type { InboundVerdict } from './inbound-sequence.js';
import { OutboundLog } from './outbound-log.js';
import type { OutboundLogLimits, ReplayPlan } from './outbound-log.js';

/** Options of a {@link SessionChannel}. */
export interface SessionChannelOptions<T = unknown> {
  /** The session id (from the server's welcome). */
  readonly sid: string;
  readonly limits: OutboundLogLimits;
  readonly scheduler: Scheduler;
  /** Writes a standalone `ack` envelope when the link is up (a no-op while it is down). */
  readonly sendAck: (seq: number) => void;
  /** Acknowledgement policy; see ACK_DEFAULTS. */
  readonly ackDelay?: number;
  readonly ackEvery?: number;
  /** Told of every logged value the log lets go of (see OutboundLog). */
  readonly onRelease?: (value: T) => void;
  /**
   * Where a session adopted from another process stands: the peer acknowledged `acknowledged`
   * (the log continues after it) and `received` came in. @default both 0 (a new session)
   */
  readonly start?: { readonly acknowledged: number; readonly received: number };
}

/** `T` is what the owner keeps per sent envelope to re-send it (encoded bytes, a shared frame…). */
export class SessionChannel<T> {
  readonly sid: string;
  readonly #log: OutboundLog<T>;
  readonly #inbound: InboundSequence;
  readonly #acks: Acknowledger;

  constructor(options: SessionChannelOptions<T>) {
    this.sid = options.sid;
    this.#log = new OutboundLog<T>(options.limits, options.onRelease);
    this.#inbound = new InboundSequence(options.start?.received ?? 0);
    if (options.start !== undefined) this.#log.startAfter(options.start.acknowledged);
    this.#acks = new Acknowledger(options);
  }

  /** The highest seq received from the peer (the `ack` of a hello or welcome). */
  get received(): number {
    return this.#inbound.received;
  }

  /** The outbound log (size, bytes, overflow) for stats and bounds. */
  get log(): OutboundLog<T> {
    return this.#log;
  }

  /** Numbers `envelope` with the next seq and lets it carry any owed acknowledgement. */
  stamp(envelope: SequencedEnvelope): number {
    envelope.seq = this.#log.nextSeq();
    const ack = this.#acks.take();
    if (ack !== undefined) envelope.ack = ack;
    return envelope.seq;
  }

  /** Keeps what was just stamped, to re-send it after a reconnect. Returns its seq. */
  record(value: T, bytes: number): number {
    return this.#log.append(value, bytes);
  }

  /** The peer acknowledged up to `seq`; false when that is more than was ever sent (1008). */
  acknowledged(seq: number): boolean {
    return this.#log.acknowledge(seq);
  }

  /** Judges an incoming seq; a delivered one is owed an acknowledgement. */
  accept(seq: number): InboundVerdict {
    const verdict = this.#inbound.accept(seq);
    if (verdict === 'deliver') this.#acks.delivered(seq);
    return verdict;
  }

  /** What to re-send to a peer that received up to `seq` (see OutboundLog.replayAfter). */
  replayAfter(seq: number): ReplayPlan<T> {
    return this.#log.replayAfter(seq);
  }

  /** The link dropped: no standalone ack until the next one (the hello/welcome carries it). */
  suspend(): void {
    this.#acks.cancel();
  }

  /** The session ended: forget the log and stop owing acks. */
  end(): void {
    this.#acks.cancel();
    this.#log.clear();
  }
}
