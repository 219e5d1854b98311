/**
 * A server-side WebSocket with the API Node users know from `ws`: it drives the sans-I/O engine
 * (src/rfc6455) over a `net.Socket` that completed the HTTP upgrade.
 *
 * Per-connection state is kept small on purpose: socket listeners are shared static functions
 * (the connection is found through a symbol on the socket), the engine handler is one small
 * object, and timers exist only while closing.
 *
 * Lifecycle: one {@link Lifecycle} value (`open` → `closing` (owns the close timer) → `closed`);
 * `readyState` is derived from it. Reading may additionally be paused, for two independent
 * reasons kept as bits (pongs the peer does not read; inbound messages waiting to be inflated).
 *
 * Listener exceptions: a `message`, `ping` or `pong` listener that throws is never allowed to
 * unwind the parse loop (later messages of the same chunk are still delivered, in order) and is
 * never swallowed: it is rethrown on the next tick, an `uncaughtException` as with `ws`, where
 * it escapes the socket's `data` handler.
 */
import { Buffer } from 'node:buffer';
import type { Duplex } from 'node:stream';
import EventEmitter from 'eventemitter3';
import { CloseCodes } from '../../src/close-codes.js';
import { ErrorCodes, ProtocolError, TandemError, isProtocolError } from '../../src/errors.js';
import { Connection } from '../../src/rfc6455/connection.js';
import type { ConnectionHandler, Frames } from '../../src/rfc6455/connection.js';
import { assertSendableCloseCode } from '../../src/rfc6455/frame-writer.js';
import { abortTransport } from './abort-transport.js';
import { engineOptionsFor } from './engine-options.js';
import { toBuffer, toPayload } from './send-data.js';
import type { SendData } from './send-data.js';
import { CLOSED, OPEN, readyStateOf, rethrowLater } from './connection-lifecycle.js';
import type { Lifecycle } from './connection-lifecycle.js';
import { MessageCodecQueue } from './message-codec-queue.js';
import { DEFAULTS, ReadyStates } from './server-connection-options.js';
import type { ConnectionOwner, ReadyState, SendCallback, ServerConnectionEvents, ServerConnectionOptions, ServerSendOptions } from './server-connection-options.js';

export type { MessageCodec } from './message-codec-queue.js';
export type { SendData } from './send-data.js';
export { DEFAULTS, ReadyStates } from './server-connection-options.js';
export type { ConnectionOwner, ReadyState, SendCallback, ServerConnectionEvents, ServerConnectionOptions, ServerSendOptions } from './server-connection-options.js';

const kConnection = Symbol('tandem.connection');
type TaggedSocket = Duplex & { [kConnection]?: ServerConnection; writableNeedDrain?: boolean };
const EMPTY_BUFFER = Buffer.alloc(0);
/** The `close` reason (with 1006) when the close timer destroyed the socket. */
const CLOSE_TIMEOUT_REASON = Buffer.from(ErrorCodes.CloseTimeout);
/** Frames with a payload this large are written at once, not batched to the end of the tick. */
const UNBATCHED_WRITE_BYTES = 16 * 1024;

/** Reasons reading is paused (bits; reading resumes when none is left). */
const PAUSED_FOR_PONGS = 1;
const PAUSED_FOR_INFLATE = 2;

/** Emits `ping`/`pong` from inside the parse loop (a throwing listener: see the file header). */
function emitControl(c: ServerConnection, event: 'ping' | 'pong', payload: Uint8Array): void {
  try {
    c.emit(event, toBuffer(payload));
  } catch (err) {
    rethrowLater(err);
  }
}

/** A WebSocket connection accepted by `WebSocketServer`. */
export class ServerConnection extends EventEmitter<ServerConnectionEvents> {
  static readonly CONNECTING = ReadyStates.CONNECTING;
  static readonly OPEN = ReadyStates.OPEN;
  static readonly CLOSING = ReadyStates.CLOSING;
  static readonly CLOSED = ReadyStates.CLOSED;

  /** The negotiated subprotocol (`''` for none). */
  readonly protocol: string;
  /** The negotiated extensions header (`''` for none). */
  readonly extensions: string;
  #socket: TaggedSocket;
  #engine: Connection;
  #life: Lifecycle = OPEN;
  #closeCode: number = CloseCodes.AbnormalClosure;
  #closeReason: Buffer = EMPTY_BUFFER;
  #closeTimeoutMs: number;
  #corked = false;
  #pausedBy = 0;
  #codec: MessageCodecQueue | undefined;
  #owner: ConnectionOwner | undefined;

  /**
   * Takes over `socket` after the 101 was written. `head` (bytes that arrived with the upgrade
   * request) is put back on the socket so it reaches the parser before any later chunk.
   */
  constructor(socket: Duplex, head: Uint8Array, options: ServerConnectionOptions = {}) {
    super();
    this.protocol = options.protocol ?? '';
    this.extensions = options.extensions ?? '';
    this.#closeTimeoutMs = options.closeTimeoutMs ?? DEFAULTS.closeTimeoutMs;
    this.#owner = options.owner;
    this.#socket = socket as TaggedSocket;
    this.#engine = new Connection(
      new ServerConnection.#Handler(this),
      engineOptionsFor(options.maxPayload ?? DEFAULTS.maxPayload, options.maxFragments ?? DEFAULTS.maxFragments, options.codec !== undefined),
    );
    if (options.codec !== undefined) this.#codec = new MessageCodecQueue(options.codec, this);
    const s = this.#socket;
    s[kConnection] = this;
    if ('setNoDelay' in s && typeof s.setNoDelay === 'function') (s as { setNoDelay(v: boolean): void }).setNoDelay(true);
    if ('setTimeout' in s && typeof s.setTimeout === 'function') (s as { setTimeout(ms: number): void }).setTimeout(0);
    if (head.length > 0) s.unshift(toBuffer(head));
    s.on('data', ServerConnection.#onData).on('end', ServerConnection.#onEnd).on('error', ServerConnection.#onError);
    s.on('close', ServerConnection.#onClose).on('drain', ServerConnection.#onDrain);
  }

  /** {@link ReadyStates}: OPEN until closing starts (close() included), CLOSED once the TCP connection is gone. */
  get readyState(): ReadyState {
    return readyStateOf(this.#life);
  }

  /** Bytes queued for the socket but not yet handed to the OS. */
  get bufferedAmount(): number {
    return this.#socket.writableLength + (this.#codec?.pendingBytes ?? 0);
  }

  /** Send a message: strings as text, bytes as binary (or as `options.binary` says). */
  send(data: SendData, options?: ServerSendOptions | SendCallback, cb?: SendCallback): void {
    if (typeof options === 'function') [cb, options] = [options, undefined];
    const [bytes, isBinary] = toPayload(data);
    const binary = options?.binary ?? isBinary;
    const fin = options?.fin ?? true;
    if (this.#life !== OPEN || !this.#engine.canSend()) return this.#notOpen(cb);
    if (this.#codec !== undefined && (this.#codec.busy || options?.compress !== false)) {
      const compress = options?.compress !== false && bytes.length >= this.#codec.threshold;
      return this.#codec.send(bytes, binary, fin, compress, cb);
    }
    this.sendNow(bytes, binary, fin, false, cb);
  }

  /**
   * Writes an already framed message (e.g. a broadcast framed once by `encodeFrame`) as is.
   * The caller guarantees it is a complete, unmasked, uncompressed frame.
   */
  sendFrame(frame: readonly Uint8Array[], cb?: SendCallback): void {
    if (this.#life !== OPEN || !this.#engine.canSend()) return this.#notOpen(cb);
    if (this.#codec?.busy === true) return this.#codec.sendFrame(frame, cb);
    this.#write(frame, cb);
  }

  /** Send a ping (at most 125 bytes, else TandemError `ERR_INVALID_ARGUMENT`). */
  ping(data: SendData = EMPTY_BUFFER, cb?: SendCallback): void {
    this.#control('ping', data, cb);
  }

  /** Send an unsolicited pong (at most 125 bytes). */
  pong(data: SendData = EMPTY_BUFFER, cb?: SendCallback): void {
    this.#control('pong', data, cb);
  }

  /**
   * Start the closing handshake (RFC 6455 §7.1.2): from now on readyState is CLOSING, later sends
   * fail (`ERR_INVALID_STATE` through their callback) and the close timer runs. Messages still
   * being compressed go out first, then the close frame. Throws TandemError `ERR_INVALID_ARGUMENT`
   * for a code that may not be sent. The socket is destroyed if the peer does not answer in time.
   */
  close(code?: number, reason = ''): void {
    if (this.#life !== OPEN) return;
    const codec = this.#codec;
    if (codec?.busy === true) {
      // Validated now: queued, a bad code would only throw when the queue reaches it.
      assertSendableCloseCode(code);
      codec.closeAfterSends(code, reason);
    } else {
      this.#write(this.#engine.close(code, reason), undefined);
    }
    this.#closing();
  }

  /** Drop the TCP connection now, without a closing handshake (`close` reports 1006). */
  terminate(): void {
    if (this.#life === CLOSED) return;
    if (this.#life === OPEN) this.#life = { kind: 'closing', timer: undefined };
    abortTransport(this.#socket);
  }

  /** @internal Sends through the engine now (the codec queue calls this in order). */
  sendNow(bytes: Uint8Array, binary: boolean, fin: boolean, compress: boolean, cb: SendCallback | undefined): void {
    if (!this.#engine.canSend()) return this.#notOpen(cb);
    this.#write(this.#engine.send(bytes, { binary, fin, compress }), cb);
  }

  /** @internal Writes a pre-framed message now (the codec queue calls this in order). */
  sendFrameNow(frame: readonly Uint8Array[], cb: SendCallback | undefined): void {
    if (!this.#engine.canSend()) return this.#notOpen(cb);
    this.#write(frame, cb);
  }

  /** @internal The codec queue reached a close() queued behind compressions: send the close frame now. */
  closeEngine(code: number | undefined, reason: string): void {
    this.#write(this.#engine.close(code, reason), undefined);
  }

  /** @internal Stop reading while inbound messages wait for the codec (`false`: it caught up). */
  pauseReading(paused: boolean): void {
    if (paused) this.#pause(PAUSED_FOR_INFLATE);
    else this.#resume(PAUSED_FOR_INFLATE);
  }

  /** @internal Emits a complete, validated message (a throwing listener: see the file header). */
  deliver(data: Uint8Array, isBinary: boolean): void {
    if (this.#life === CLOSED) return;
    try {
      this.emit('message', toBuffer(data), isBinary);
    } catch (err) {
      rethrowLater(err);
    }
  }

  /**
   * @internal Fails the connection with `err` (a codec error found after the engine let the
   * frame through): the engine writes the close frame and reports back through the handler's
   * `error`, as for an error it found itself.
   */
  fail(err: ProtocolError): void {
    if (this.#life === CLOSED) return;
    this.#engine.fail(err);
  }

  #control(kind: 'ping' | 'pong', data: SendData, cb: SendCallback | undefined): void {
    if (this.#life !== OPEN || !this.#engine.canSend()) return this.#notOpen(cb);
    const payload = toPayload(data)[0];
    // A payload over 125 bytes throws here, before anything is written.
    this.#write(kind === 'ping' ? this.#engine.ping(payload) : this.#engine.pong(payload), cb);
  }

  /** Enter `closing` (from `open`) and arm the close timer once. */
  #closing(): void {
    const life = this.#life;
    if (life === OPEN) {
      this.#life = { kind: 'closing', timer: setTimeout(ServerConnection.#onCloseTimeout, this.#closeTimeoutMs, this) };
    } else if (life.kind === 'closing' && life.timer === undefined) {
      life.timer = setTimeout(ServerConnection.#onCloseTimeout, this.#closeTimeoutMs, this);
    }
  }

  #pause(reason: number): void {
    if (this.#pausedBy === 0) this.#socket.pause();
    this.#pausedBy |= reason;
  }

  #resume(reason: number): void {
    if ((this.#pausedBy & reason) === 0) return;
    this.#pausedBy &= ~reason;
    if (this.#pausedBy === 0) this.#socket.resume();
  }

  #notOpen(cb: SendCallback | undefined): void {
    // As in ws: sending on a closing socket is a race with the peer, not a crash.
    if (cb !== undefined) {
      const err = new TandemError(ErrorCodes.InvalidState, `WebSocket is not open: readyState ${this.readyState}`);
      process.nextTick(cb, err);
    }
  }

  /** Writes frames (the engine's answer, or a pre-framed message); `cb` runs once the last is flushed. */
  #write(chunks: Frames, cb: SendCallback | undefined): void {
    const s = this.#socket;
    if (chunks.length === 0 && cb === undefined) return;
    if (!s.writable) {
      if (cb !== undefined) process.nextTick(cb, new TandemError(ErrorCodes.InvalidState, 'The socket is closed'));
      return;
    }
    const last = chunks.length - 1;
    // A large frame goes out at once (one writev): batched, writes outgrow the socket buffer.
    const now = !this.#corked && last >= 0 && chunks[last]!.length >= UNBATCHED_WRITE_BYTES;
    if (now) {
      s.cork();
    } else if (!this.#corked) {
      // Batch every write of this tick into one syscall.
      this.#corked = true;
      s.cork();
      process.nextTick(ServerConnection.#uncork, this);
    }
    for (let i = 0; i < last; i++) {
      const chunk = chunks[i]!;
      if (chunk.length > 0) s.write(chunk);
    }
    if (last >= 0) s.write(chunks[last]!, cb);
    if (now) s.uncork();
  }

  /** RFC 6455 §7.1.1: the server closes the TCP connection first; the timer covers a silent peer. */
  #endTransport(): void {
    // Reading may be paused for ping backpressure, and an ending socket never emits 'drain':
    // resume, or the peer's close frame and FIN go unread until the close timer (nothing more is
    // written after our close frame, so reading cannot grow a queue any more).
    if (this.#pausedBy !== 0) {
      this.#pausedBy = 0;
      this.#socket.resume();
    }
    if (this.#socket.writable) this.#socket.end();
    this.#closing();
  }

  static #uncork(c: ServerConnection): void {
    c.#corked = false;
    c.#socket.uncork();
  }

  static #onCloseTimeout(c: ServerConnection): void {
    const life = c.#life;
    if (life.kind === 'closing') life.timer = undefined;
    // No close frame came (else the code would be the peer's): 1006, with why as the reason.
    if (c.#closeCode === CloseCodes.AbnormalClosure) c.#closeReason = CLOSE_TIMEOUT_REASON;
    abortTransport(c.#socket);
  }

  static #onData(this: TaggedSocket, chunk: Buffer): void {
    const c = this[kConnection];
    if (c === undefined) return;
    c.#engine.receive(chunk);
  }

  static #onEnd(this: TaggedSocket): void {
    // The peer half-closed: finish our side too (http sockets allow half-open connections).
    if (this.writable) this.end();
  }

  static #onError(this: TaggedSocket): void {
    // ECONNRESET and friends: 'close' follows and reports 1006 unless a close frame was exchanged.
    this.destroy();
  }

  static #onDrain(this: TaggedSocket): void {
    const c = this[kConnection];
    if (c === undefined) return;
    c.#resume(PAUSED_FOR_PONGS);
    c.emit('drain');
  }

  static #onClose(this: TaggedSocket): void {
    const c = this[kConnection];
    if (c === undefined) return;
    const life = c.#life;
    if (life.kind === 'closing' && life.timer !== undefined) clearTimeout(life.timer);
    c.#life = CLOSED;
    c.#engine.transportClosed();
    c.#codec?.dispose();
    c.#owner?.connectionClosed(c);
    c.emit('close', c.#closeCode, c.#closeReason);
  }

  /** The engine's callbacks; one small object per connection, methods shared on the prototype. */
  static #Handler = class implements ConnectionHandler {
    readonly c: ServerConnection;
    constructor(c: ServerConnection) {
      this.c = c;
    }
    write(chunks: Frames): void {
      this.c.#write(chunks, undefined);
    }
    message(data: Uint8Array, isBinary: boolean, compressed: boolean): void {
      const c = this.c;
      if (c.#codec !== undefined) c.#codec.receive(data, isBinary, compressed);
      else c.deliver(data, isBinary);
    }
    ping(payload: Uint8Array): void {
      const c = this.c;
      // Backpressure: a peer that pings faster than it reads must not grow our pong queue.
      if (c.#socket.writableNeedDrain === true) c.#pause(PAUSED_FOR_PONGS);
      emitControl(c, 'ping', payload);
    }
    pong(payload: Uint8Array): void {
      emitControl(this.c, 'pong', payload);
    }
    closeFrame(code: number, reason: string): void {
      const c = this.c;
      c.#closeCode = code;
      c.#closeReason = reason === '' ? EMPTY_BUFFER : Buffer.from(reason, 'utf8');
      c.#endTransport();
    }
    error(err: ProtocolError): void {
      const c = this.c;
      c.#closeCode = isProtocolError(err) ? err.closeCode : CloseCodes.ProtocolError;
      c.#closing();
      c.emit('error', err);
      c.#endTransport();
    }
  };
}
