/**
 * The client's outgoing side and its half of session resume (docs/protocol.md §10): where an
 * envelope goes (onto the live link, into the session's log kept until the server acknowledges
 * it, or with no session into the offline queue), which session the next hello names, and what a
 * welcome or a dropped link does to all of it. The lifecycle (client.ts) only says which socket is
 * live, so the state machine stays one union with one transition.
 */
import type { Conversation } from '../src/conversation.js';
import { envelopeError, helloEnvelope } from '../src/envelope.js';
import type { Envelope, HelloEnvelope, ResumeFailure, SequencedEnvelope, WelcomeEnvelope } from '../src/envelope.js';
import type { ProtocolError } from '../src/errors.js';
import { DisconnectedError } from '../src/requests.js';
import type { Scheduler } from '../src/scheduler.js';
import { isSequenced } from '../src/session/inbound-sequence.js';
import { SessionChannel } from '../src/session/session-channel.js';
import type { OpenInfo } from './options.js';
import { OfflineQueue, QueueFullError } from './queue.js';
import type { Transport } from './transport.js';

/** An envelope and its encoded bytes, as queued, logged and written. */
export type Outgoing = { envelope: SequencedEnvelope; data: string | Uint8Array };

/** Options of a {@link ClientSession}. */
export interface ClientSessionOptions {
  /** The `resume` option: false sends no resume fields and behaves as a v1 client. */
  resume: boolean;
  /** Bound of the offline queue and of the session's log. */
  maxQueued: number;
  scheduler: Scheduler;
  /** Writes a standalone `ack` envelope if the link is up. */
  sendAck(seq: number): void;
}

/** What a welcome means: the `open` event's payload and the log to re-send, or an error failing the connection. */
export type Welcomed = { info: OpenInfo; replay: Outgoing[]; error?: ProtocolError };

/** Removes the numbering of an ended session, so the envelope can go out in another one. */
function unstamp<E extends SequencedEnvelope>(envelope: E): E {
  delete envelope.seq;
  delete envelope.ack;
  return envelope;
}

/** The client's outgoing envelopes and its session, across all its connections. */
export class ClientSession {
  readonly #conversation: Conversation;
  readonly #options: ClientSessionOptions;
  readonly #queue: OfflineQueue<Outgoing>;
  #channel: SessionChannel<Outgoing> | undefined;
  /** Highest seq handed to a socket: what comes after it was never on the wire. */
  #written = 0;
  #welcomed = false;
  /** Why the last session ended on this side (reported on the next `open`). */
  #ended: ResumeFailure | undefined;

  constructor(conversation: Conversation, options: ClientSessionOptions) {
    this.#conversation = conversation;
    this.#options = options;
    this.#queue = new OfflineQueue(options.maxQueued);
  }

  /** The hello of the next attempt: `resume: true`, plus the session to resume if there is one. */
  hello(auth: unknown): HelloEnvelope {
    if (!this.#options.resume) return helloEnvelope(auth);
    const channel = this.#resumable() ? this.#channel : undefined;
    return helloEnvelope(auth, { sid: channel?.sid, ack: channel?.received });
  }

  /**
   * An event or request of the application. With a live `socket` it is written (and logged in a
   * session); without, it waits in the session's log or the offline queue (QueueFullError when full).
   */
  send(envelope: SequencedEnvelope, socket: Transport | undefined): void {
    const out = this.#log(envelope, socket !== undefined);
    if (socket) this.#write(socket, out ?? this.#encode(envelope));
    else if (out === undefined) this.#queue.push(this.#encode(envelope));
  }

  /**
   * Pongs, acks and answers to the server's requests, never queued: on `socket` if it is up (pongs
   * also during the handshake). Answers need the welcome (`ready`); in a session they are also
   * logged, so a resume re-sends one computed while the link was down.
   */
  reply(envelope: Envelope, socket: Transport | undefined, ready: boolean): void {
    if (!isSequenced(envelope)) return socket?.send(this.#conversation.codec.encode(envelope));
    const live = ready ? socket : undefined;
    const out = this.#log(envelope, live !== undefined, false);
    if (live) this.#write(live, out ?? this.#encode(envelope));
  }

  /**
   * The link is gone. A resumable session is suspended: its log and pending requests wait for the
   * resume (returns true). Otherwise the handshake starts over as for a new session.
   */
  unlink(): boolean {
    if (this.#resumable()) {
      this.#channel!.suspend();
      this.#conversation.suspend();
      return true;
    }
    // Over its bound while open: honest now, a new session next time (docs/protocol.md §10.4).
    if (this.#channel !== undefined) this.#ended = 'overflow';
    this.#restart(undefined);
    return false;
  }

  /** Reads the server's welcome: the session resumed, or a new one (or none: a server without resume). */
  welcome(welcome: WelcomeEnvelope): Welcomed {
    const first = !this.#welcomed;
    this.#welcomed = true;
    const old = this.#channel;
    const speaks = this.#options.resume && welcome.resumed !== undefined;
    let error: ProtocolError | undefined;
    if (speaks && welcome.resumed) {
      const plan = old?.sid === welcome.sid ? old?.replayAfter(welcome.ack ?? 0) : undefined;
      if (plan?.ok) {
        this.#written = old!.log.lastSeq;
        return { info: { resumed: true }, replay: [...plan.entries] };
      }
      error = envelopeError('resumed a session not ours');
    }
    const info: OpenInfo = { resumed: false };
    // Literals, not ResumeFailures: the UMD stays smaller.
    if (!first) info.reason = speaks ? (welcome.reason ?? (old?.log.overflowed ? 'overflow' : this.#ended) ?? 'unknown') : 'disabled';
    this.#restart(old);
    this.#ended = error ? 'invalid' : undefined; // a failed resume is reported by the next welcome
    if (speaks && !error && welcome.sid !== undefined) {
      const { scheduler, maxQueued, sendAck } = this.#options;
      this.#channel = new SessionChannel<Outgoing>({ sid: welcome.sid, scheduler, sendAck, limits: { maxMessages: maxQueued, maxBytes: Infinity } });
    }
    this.#conversation.useSession(this.#channel);
    return error ? { info, replay: [], error } : { info, replay: [] };
  }

  /**
   * After the welcome, before anything sent later: the log after the server's ack (the replay
   * comes before new traffic, docs/protocol.md §10.3), then the queue in order.
   */
  flush(socket: Transport, replay: Outgoing[]): void {
    for (const out of replay) this.#write(socket, out);
    for (const out of this.#queue.drain()) {
      const envelope = out.envelope;
      if (envelope.type === 'request' && !this.#conversation.requests.has(envelope.id)) continue; // timed out or aborted while queued
      this.#write(socket, this.#log(envelope, true) ?? out);
    }
  }

  /** The client closed for good: nothing is kept. */
  end(): void {
    this.#queue.drain();
    this.#channel?.end();
    this.#channel = undefined;
  }

  #resumable(): boolean {
    return this.#channel !== undefined && !this.#channel.log.overflowed;
  }

  /**
   * Numbers, encodes and logs an envelope of the session (`live`: written now). Undefined outside
   * a session, and for a link that is not live once the log was dropped (queued then, not lost
   * with the log). Not live with a full log: `strict` throws QueueFullError like the offline
   * queue; otherwise the log overflows and the session can no longer be resumed.
   */
  #log(envelope: SequencedEnvelope, live: boolean, strict = true): Outgoing | undefined {
    const channel = this.#channel;
    if (channel === undefined || (!live && channel.log.overflowed)) return undefined;
    if (!live && strict && channel.log.size >= this.#options.maxQueued) throw new QueueFullError(this.#options.maxQueued);
    delete envelope.ack; // a retried request may carry an older session's
    channel.stamp(envelope);
    const out = this.#encode(envelope);
    channel.record(out, 0);
    return out;
  }

  #encode(envelope: SequencedEnvelope): Outgoing {
    return { envelope, data: this.#conversation.codec.encode(envelope) };
  }

  #write(socket: Transport, out: Outgoing): void {
    if (out.envelope.type === 'request') this.#conversation.requests.markSent(out.envelope.id);
    if (out.envelope.seq !== undefined) this.#written = out.envelope.seq;
    socket.send(out.data);
  }

  /**
   * No session carries over (`old` ends): answers still being computed are dropped, sent requests
   * reject (or are held for retry), and the events and requests `old` logged but never wrote go
   * out first, as new. Not its answers: their request ids belong to the old session (§7).
   */
  #restart(old: SessionChannel<Outgoing> | undefined): void {
    this.#conversation.reset();
    const carried = this.#conversation.requests.disconnect(new DisconnectedError()).map((envelope) => this.#encode(unstamp(envelope)));
    const plan = old?.replayAfter(old.log.acknowledged);
    for (const { envelope } of plan?.ok ? plan.entries : []) {
      if (envelope.seq! > this.#written && (envelope.type === 'event' || envelope.type === 'request')) carried.push(this.#encode(unstamp(envelope)));
    }
    this.#queue.requeue(carried);
    this.#channel?.end();
    this.#channel = undefined;
    this.#written = 0;
  }
}
