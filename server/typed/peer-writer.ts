/**
 * A Peer's outgoing path: backpressure, encoding, stats, and — in a resumable session — numbering
 * and logging every application envelope (docs/protocol.md §10). While a connection carries the
 * session an envelope is logged and written; while it is suspended it is only logged, and the
 * resume re-sends it. A broadcast is logged as a reference to its shared body (log-entry.ts).
 */
import type { BroadcastMessage } from './adapter.js';
import { beforeWrite } from './backpressure.js';
import type { PeerHost } from './peer-host.js';
import type { PeerLife, PeerSocket } from './peer-lifecycle.js';
import { prepared } from './prepared-message.js';
import { byteLength } from './server-stats.js';
import { broadcastIdOf } from './broadcast-ids.js';
import { entryBytes, entryData, sharedFrame } from './session/log-entry.js';
import type { DirectEntry, LogEntry } from './session/log-entry.js';
import type { ServerSession } from './session/server-session.js';
import { sessionBroadcast } from './session/shared-broadcast.js';
import { ackEnvelope } from '../../src/envelope.js';
import type { Envelope, SequencedEnvelope } from '../../src/envelope.js';
import { isSequenced } from '../../src/session/inbound-sequence.js';
import { assertNever } from '../../src/assert-never.js';

/**
 * Where the peer stands for writing: `handshake` (before the welcome: only what the handshake
 * allows), `open` (a connection carries it), `log` (a resumable session without a connection:
 * numbered envelopes are kept for the resume), `drop` (closing on purpose, or closed).
 */
export type WriteMode = 'handshake' | 'open' | 'log' | 'drop';

/** The {@link WriteMode} of a peer in `life`, `resumable` when it has a session. */
export function writeModeOf(life: PeerLife, resumable: boolean): WriteMode {
  switch (life.kind) {
    case 'handshake':
    case 'admitting':
      return 'handshake';
    case 'open':
      return 'open';
    case 'closing':
      // Dropped by liveness, a resumable session keeps logging: the resume re-sends it.
      return life.endsSession || !resumable ? 'drop' : 'log';
    case 'suspended':
      return 'log';
    case 'closed':
      return 'drop';
    default:
      return assertNever(life);
  }
}

/** What the writer needs of its Peer. */
export interface PeerWriterOptions {
  readonly host: Pick<PeerHost<unknown>, 'codec' | 'stats' | 'backpressure'>;
  mode(): WriteMode;
  /** The socket carrying the peer now, if any. */
  socket(): PeerSocket | undefined;
  /** Bytes queued on that socket (the Peer's `bufferedAmount`). */
  buffered(): number;
  /** After a write: close the peer if too much is buffered now. */
  checkSlow(): void;
  /** A numbered envelope was logged (a store shared between nodes keeps it too). */
  logged?(session: ServerSession, seq: number, data: () => string | Uint8Array, broadcastId: string | undefined): void;
}

/** The Peer's writes. */
export class PeerWriter {
  /** The resumable session, once the welcome gave one. */
  session: ServerSession | undefined;
  readonly #options: PeerWriterOptions;
  /** Broadcasts held back while an adopted session catches up (see {@link hold}). */
  #held: BroadcastMessage[] | undefined;
  /**
   * With a store shared between nodes, numbered envelopes waiting for the store to have them
   * before they go to the socket (write-ahead): whatever the client got, another node can re-send
   * or knows it sent, even if this process is killed the next moment. See {@link persisted}.
   */
  /** Ids of the broadcasts an adopted session caught up on (see {@link release}). */
  #caught: ReadonlySet<string> | undefined;
  #unwritten: Array<{ readonly seq: number; readonly entry: LogEntry; readonly kind: string | undefined }> = [];

  constructor(options: PeerWriterOptions) {
    this.#options = options;
  }

  /** Send one envelope; false when it was neither written nor logged. */
  send(envelope: Envelope, volatile: boolean): boolean {
    const mode = this.#options.mode();
    if (mode === 'drop') return false;
    const session = this.session;
    const numbered = session !== undefined && isSequenced(envelope);
    // Without a connection only numbered, non-volatile envelopes are worth keeping.
    if (mode === 'log' && (!numbered || volatile)) return false;
    if (mode !== 'log' && !this.#admits(volatile)) return false;
    return numbered ? this.#sendNumbered(session, envelope, mode) : this.#write(this.#options.host.codec.encode(envelope), envelope.type);
  }

  /** Write (or log) a broadcast: its shared frame; false when neither. */
  deliver(message: BroadcastMessage): boolean {
    if (this.#held !== undefined && this.#options.mode() === 'open') return (this.#held.push(message), true);
    // A live copy of a broadcast the catch-up already delivered (pub/sub lags the logs): once only.
    if (this.#caught !== undefined) {
      const id = broadcastIdOf(message);
      if (id !== undefined && this.#caught.has(id)) return true;
    }
    return this.#deliver(message);
  }

  /**
   * An adopted session catches up on what its rooms got while no node held it: live broadcasts
   * wait until {@link release}, so that they follow what is re-delivered from the room logs.
   */
  hold(): void {
    this.#held ??= [];
  }

  /** Deliver a broadcast now, ahead of those held (a catch-up from the room logs). */
  catchUp(message: BroadcastMessage): boolean {
    return this.#deliver(message);
  }

  /**
   * Deliver what was held, but not the broadcasts the session already has (`seen` ids); live
   * copies of those are dropped until {@link forgetCaught}.
   */
  release(seen: ReadonlySet<string>): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    this.#caught = seen;
    for (const message of held) {
      const id = broadcastIdOf(message);
      if (id === undefined || !seen.has(id)) this.#deliver(message);
    }
  }

  /** Live copies of caught-up broadcasts can no longer arrive: stop checking. */
  forgetCaught(): void {
    this.#caught = undefined;
  }

  #deliver(message: BroadcastMessage): boolean {
    const mode = this.#options.mode();
    const session = this.session;
    // Peers still in their hello or closing on purpose are not counted; a suspended one logs.
    if (mode === 'log' ? session === undefined || message.volatile : mode !== 'open') return false;
    if (mode === 'open' && !this.#admits(message.volatile)) return false;
    if (session === undefined) {
      const ready = prepared(message);
      this.#options.socket()!.sendFrame(ready.frame);
      this.#options.host.stats.sent(ready.payloadBytes);
      this.#options.checkSlow();
      return true;
    }
    const broadcast = sessionBroadcast(message, this.#options.host.codec);
    // Another codec: this recipient numbers and encodes its own copy.
    if (broadcast.kind === 'envelope') return this.#sendNumbered(session, { ...broadcast.envelope }, mode, broadcastIdOf(message));
    const entry = session.logShared(broadcast.body);
    const logged = this.#options.logged;
    if (logged !== undefined) {
      if (mode === 'open') this.#unwritten.push({ seq: entry.seq, entry, kind: undefined });
      logged(session, entry.seq, () => entryData(entry), broadcastIdOf(message));
    } else if (mode === 'open') {
      this.#writeEntry(entry);
      this.#options.checkSlow();
    }
    return true;
  }

  /** The shared store has every envelope up to `seq` (or gave up on it): they go to the socket now. */
  persisted(seq: number): void {
    const unwritten = this.#unwritten;
    if (unwritten.length === 0 || unwritten[0]!.seq > seq) return;
    const open = this.#options.mode() === 'open';
    let i = 0;
    for (; i < unwritten.length && unwritten[i]!.seq <= seq; i++) {
      // Suspended meanwhile: they stay in the log, and the resume re-sends them.
      if (!open) continue;
      const { entry, kind } = unwritten[i]!;
      if (kind === undefined) this.#writeEntry(entry);
      else this.#write((entry as DirectEntry).data, kind, false);
    }
    this.#unwritten = i === unwritten.length ? [] : unwritten.slice(i);
    if (open) this.#options.checkSlow();
  }

  /** A standalone acknowledgement (only while a connection carries the session). */
  ack(seq: number): void {
    if (this.#options.mode() === 'open') this.#write(this.#options.host.codec.encode(ackEnvelope(seq)), 'ack');
  }

  /**
   * Re-send a resumed session's log after its welcome. No slow-consumer check: the log is bounded
   * by `maxBufferedBytes`, and closing a client for catching up would defeat the resume.
   */
  replay(entries: readonly LogEntry[]): void {
    // Whatever waited for the store is in the log: the replay writes it (once).
    this.#unwritten = [];
    for (const entry of entries) this.#writeEntry(entry);
  }

  #sendNumbered(session: ServerSession, envelope: SequencedEnvelope, mode: WriteMode, broadcastId?: string): boolean {
    const seq = session.stamp(envelope);
    const data = this.#options.host.codec.encode(envelope);
    const bytes = byteLength(data);
    session.logDirect(data, bytes);
    const logged = this.#options.logged;
    if (logged !== undefined) {
      if (mode === 'open') this.#unwritten.push({ seq, entry: { kind: 'direct', data, bytes }, kind: envelope.type });
      logged(session, seq, () => data, broadcastId);
      return true;
    }
    if (mode === 'log') return true;
    this.#options.socket()!.send(data);
    this.#options.host.stats.sent(bytes, 1, envelope.type);
    this.#options.checkSlow();
    return true;
  }

  #write(data: string | Uint8Array, kind: string, check = true): boolean {
    this.#options.socket()!.send(data);
    this.#options.host.stats.sent(byteLength(data), 1, kind);
    if (check) this.#options.checkSlow();
    return true;
  }

  #writeEntry(entry: LogEntry): void {
    const socket = this.#options.socket()!;
    if (entry.kind === 'direct') socket.send(entry.data);
    else socket.sendFrame(sharedFrame(entry));
    this.#options.host.stats.sent(entry.bytes);
  }

  /** Backpressure before a write: a volatile message to a peer that is behind is dropped (and counted). */
  #admits(volatile: boolean): boolean {
    if (beforeWrite(this.#options.host.backpressure, this.#options.buffered(), volatile) === 'write') return true;
    this.#options.host.stats.dropped += 1;
    return false;
  }
}
