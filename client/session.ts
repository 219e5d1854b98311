/**
 * The client's half of session resume (docs/protocol.md §10): which session the next hello names,
 * what the welcome means for it, and the log of numbered envelopes kept until the server
 * acknowledges them. The lifecycle (client.ts) decides when links come and go; this file only
 * keeps the books, so the state machine stays one union with one transition.
 */
import { CloseCodes } from '../src/close-codes.js';
import { ResumeFailures, helloEnvelope } from '../src/envelope.js';
import type { EventEnvelope, HelloEnvelope, RequestEnvelope, SequencedEnvelope, WelcomeEnvelope } from '../src/envelope.js';
import { ErrorCodes, ProtocolError } from '../src/errors.js';
import type { Scheduler } from '../src/scheduler.js';
import { SessionChannel } from '../src/session/session-channel.js';
import { QueueFullError } from './queue.js';

/** An envelope and its encoded bytes, as queued, logged and written. */
export type Outgoing<E extends SequencedEnvelope = SequencedEnvelope> = { envelope: E; data: string | Uint8Array };

/** What a welcome did to the session. */
export type WelcomeOutcome =
  /** The session goes on: `replay` is the log after the server's `ack`, to re-send in order. */
  | { resumed: true; replay: Outgoing[] }
  /**
   * A new session (or none: a server without resume). `carried` are the events and requests of
   * the old session that never reached a socket, to send as new; `error` (a server whose welcome
   * contradicts the session) fails this connection.
   */
  | { resumed: false; reason: string | undefined; carried: Array<Outgoing<EventEnvelope | RequestEnvelope>>; error?: ProtocolError };

/** Options of a {@link ClientSession}. */
export interface ClientSessionOptions {
  /** `resume` option: false sends no resume fields and behaves as a v1 client. */
  enabled: boolean;
  /** Most envelopes kept unacknowledged (the `maxQueued` option). */
  maxKept: number;
  scheduler: Scheduler;
  encode(envelope: SequencedEnvelope): string | Uint8Array;
  /** Writes a standalone `ack` envelope if the link is up. */
  sendAck(seq: number): void;
}

/** Removes the numbering of an ended session, so the envelope can go out in another one. */
export function unstamp<E extends SequencedEnvelope>(envelope: E): E {
  delete envelope.seq;
  delete envelope.ack;
  return envelope;
}

/** The resume bookkeeping of one client, across all its connections. */
export class ClientSession {
  readonly #options: ClientSessionOptions;
  #channel: SessionChannel<Outgoing> | undefined;
  /** Highest seq handed to a socket: what comes after it was never on the wire. */
  #written = 0;
  #welcomed = false;
  /** Why the last session ended on this side (reported on the next `open`). */
  #ended: string | undefined;

  constructor(options: ClientSessionOptions) {
    this.#options = options;
  }

  /** The session's receiving side for the Conversation (undefined: no resumable session). */
  get channel(): SessionChannel<Outgoing> | undefined {
    return this.#channel;
  }

  /** Is there a session a new link can resume (its log complete)? */
  get resumable(): boolean {
    return this.#channel !== undefined && !this.#channel.log.overflowed;
  }

  /** The hello of the next attempt: `resume: true`, plus the session to resume if there is one. */
  hello(auth: unknown): HelloEnvelope {
    if (!this.#options.enabled) return helloEnvelope(auth);
    const channel = this.resumable ? this.#channel : undefined;
    return helloEnvelope(auth, { sid: channel?.sid, ack: channel?.received });
  }

  /**
   * Numbers, encodes and logs an event, request or answer of the session (`live`: it is written
   * now). Undefined outside a session (the caller queues or sends it as v1), and for a link that
   * is not live once the log was dropped (queued, so it is not lost with the log). When not live
   * and the log is full, `strict` throws QueueFullError like the offline queue; otherwise the log
   * overflows and the session becomes unresumable.
   */
  log(envelope: SequencedEnvelope, live: boolean, strict = true): Outgoing | undefined {
    const channel = this.#channel;
    if (channel === undefined || (!live && channel.log.overflowed)) return undefined;
    if (!live && strict && channel.log.size >= this.#options.maxKept) throw new QueueFullError(this.#options.maxKept);
    delete envelope.ack; // a retried request may carry an older session's
    channel.stamp(envelope);
    const out: Outgoing = { envelope, data: this.#options.encode(envelope) };
    channel.record(out, 0);
    return out;
  }

  /** `out` was handed to a socket. */
  written(out: Outgoing): void {
    if (out.envelope.seq !== undefined) this.#written = out.envelope.seq;
  }

  /** The link dropped. True when the session lives on and the next hello resumes it. */
  suspend(): boolean {
    const channel = this.#channel;
    if (channel === undefined) return false;
    if (this.resumable) {
      channel.suspend();
      return true;
    }
    // Over its bound while open: honest now, a new session next time (docs/protocol.md §10.4).
    this.#ended = ResumeFailures.Overflow;
    this.end();
    return false;
  }

  /** Reads the server's welcome: resumed, or a new session (or none). */
  welcome(welcome: WelcomeEnvelope): WelcomeOutcome {
    const first = !this.#welcomed;
    this.#welcomed = true;
    const old = this.#channel;
    const speaks = this.#options.enabled && welcome.resumed !== undefined;
    if (speaks && welcome.resumed === true) {
      const plan = old !== undefined && old.sid === welcome.sid ? old.replayAfter(welcome.ack ?? 0) : undefined;
      if (plan?.ok) {
        this.#written = old!.log.lastSeq;
        return { resumed: true, replay: [...plan.entries] };
      }
      const outcome = this.#fresh(undefined);
      this.#ended = ResumeFailures.Invalid; // the next welcome reports it
      return { ...outcome, error: new ProtocolError(ErrorCodes.InvalidEnvelope, 'the welcome resumes a session this client does not have', CloseCodes.PolicyViolation) };
    }
    const reason = first ? undefined : speaks ? (welcome.reason ?? (old?.log.overflowed ? ResumeFailures.Overflow : this.#ended) ?? ResumeFailures.Unknown) : ResumeFailures.Disabled;
    const outcome = this.#fresh(reason);
    if (speaks && welcome.sid !== undefined) {
      const { scheduler, maxKept, sendAck } = this.#options;
      this.#channel = new SessionChannel<Outgoing>({ sid: welcome.sid, scheduler, sendAck, limits: { maxMessages: maxKept, maxBytes: Infinity } });
    }
    return outcome;
  }

  /** The client closed for good. */
  end(): void {
    this.#channel?.end();
    this.#channel = undefined;
  }

  // Ends the old session. What it logged but never wrote goes on as new traffic, except answers:
  // their request ids belong to the old session (docs/protocol.md §7).
  #fresh(reason: string | undefined): Extract<WelcomeOutcome, { resumed: false }> {
    const carried: Array<Outgoing<EventEnvelope | RequestEnvelope>> = [];
    const plan = this.#channel?.replayAfter(this.#channel.log.acknowledged);
    for (const { envelope } of plan?.ok ? plan.entries : []) {
      if ((envelope.seq ?? 0) <= this.#written || (envelope.type !== 'event' && envelope.type !== 'request')) continue;
      carried.push({ envelope: unstamp(envelope), data: this.#options.encode(envelope) });
    }
    this.end();
    this.#written = 0;
    this.#ended = undefined;
    return { resumed: false, reason, carried };
  }
}
