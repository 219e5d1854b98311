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
import { sharedFrame } from './session/log-entry.js';
import type { LogEntry } from './session/log-entry.js';
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
}

/** The Peer's writes. */
export class PeerWriter {
  /** The resumable session, once the welcome gave one. */
  session: ServerSession | undefined;
  readonly #options: PeerWriterOptions;

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
    if (broadcast.kind === 'envelope') return this.#sendNumbered(session, { ...broadcast.envelope }, mode);
    const entry = session.logShared(broadcast.body);
    if (mode === 'open') {
      this.#writeEntry(entry);
      this.#options.checkSlow();
    }
    return true;
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
    for (const entry of entries) this.#writeEntry(entry);
  }

  #sendNumbered(session: ServerSession, envelope: SequencedEnvelope, mode: WriteMode): boolean {
    session.stamp(envelope);
    const data = this.#options.host.codec.encode(envelope);
    const bytes = byteLength(data);
    session.logDirect(data, bytes);
    if (mode === 'log') return true;
    this.#options.socket()!.send(data);
    this.#options.host.stats.sent(bytes, 1, envelope.type);
    this.#options.checkSlow();
    return true;
  }

  #write(data: string | Uint8Array, kind: string): boolean {
    this.#options.socket()!.send(data);
    this.#options.host.stats.sent(byteLength(data), 1, kind);
    this.#options.checkSlow();
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
