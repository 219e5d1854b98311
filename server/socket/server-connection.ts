/**
 * A server-side WebSocket with the API Node users know from `ws`: it drives the sans-I/O engine
 * (src/rfc6455) over a `net.Socket` that completed the HTTP upgrade.
 *
 * Per-connection state is kept small on purpose (docs/performance.md): socket listeners are shared
 * static functions (the connection is found through a symbol on the socket), the engine handler is
 * one small object, flags share one number, and timers exist only while closing.
 *
 * Lifecycle: one {@link Lifecycle} value (`open` → `closing` (owns the close timer) → `closed`),
 * `readyState` derived from it. Reading may be paused for three reasons kept as bits (`pause()`,
 * pongs the peer does not read, messages waiting to be inflated); it resumes when none is left.
 *
 * Listener exceptions: a `message`, `ping` or `pong` listener that throws is never allowed to
 * unwind the parse loop (later messages of the same chunk are still delivered, in order) and is
 * never swallowed: it is rethrown on the next tick, an `uncaughtException` as with `ws`, where
 * it escapes the socket's `data` handler.
 */
import { Buffer } from 'node:buffer';
import type { Duplex } from 'node:stream';
import { EventEmitter } from 'eventemitter3';
import { CloseCodes } from '../../src/close-codes.js';
import { ErrorCodes, ProtocolError, isProtocolError } from '../../src/errors.js';
import { Connection } from '../../src/rfc6455/connection.js';
import type { ConnectionHandler, Frames } from '../../src/rfc6455/connection.js';
import { assertSendableCloseCode } from '../../src/rfc6455/frame-writer.js';
import { callListener } from '../../src/call-listener.js';
import { abortTransport } from '../../node/abort-transport.js';
import { engineOptionsFor } from './engine-options.js';
import { toBuffer, toPayload } from '../../node/send-data.js';
import type { SendData } from '../../node/send-data.js';
import { CLOSED, OPEN, readyStateOf, rethrowLater } from './connection-lifecycle.js';
import type { Lifecycle } from './connection-lifecycle.js';
import { MessageCodecQueue } from '../../node/message-codec-queue.js';
import { reportNotOpen, writeChunks } from './socket-writes.js';
import { DEFAULTS, ReadyStates } from './server-connection-options.js';
import type { ConnectionOwner, ReadyState, SendCallback, ServerConnectionEvents, ServerConnectionOptions, ServerSendOptions } from './server-connection-options.js';

export type { MessageCodec } from '../../node/message-codec-queue.js';
export type { SendData } from '../../node/send-data.js';
export { DEFAULTS, ReadyStates } from './server-connection-options.js';
export type { ConnectionOwner, ReadyState, SendCallback, ServerConnectionEvents, ServerConnectionOptions, ServerSendOptions } from './server-connection-options.js';

const kConnection = Symbol('tandem.connection');
type TaggedSocket = Duplex & { [kConnection]?: ServerConnection; writableNeedDrain?: boolean };
const EMPTY_BUFFER = Buffer.alloc(0);
/** The `close` reason (with 1006) when the close timer destroyed the socket. */
const CLOSE_TIMEOUT_REASON = Buffer.from(ErrorCodes.CloseTimeout);

/** `#flags` bits: why reading is paused (it resumes when none is left), then write-side state. */
const PAUSED_FOR_PONGS = 1;
const PAUSED_FOR_INFLATE = 2;
const PAUSED_BY_USER = 4;
const PAUSED = PAUSED_FOR_PONGS | PAUSED_FOR_INFLATE | PAUSED_BY_USER;
const CORKED = 8; // writes of this tick are corked; one uncork is scheduled
const DRAIN_OWED = 16; // bufferedAmount reached the high-water mark while compressions were queued

/** Emits `ping`/`pong` from inside the parse loop (a throwing listener: see the file header). */
function emitControl(c: ServerConnection, event: 'ping' | 'pong', payload: Uint8Array): void {
  callListener(rethrowLater, () => c.emit(event, toBuffer(payload)));
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
  /** Bits (PAUSED_*, CORKED, DRAIN_OWED): one number instead of three fields per connection. */
  #flags = 0;
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
    this.#closeTimeoutMs = options.closeTimeout ?? DEFAULTS.closeTimeout;
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
    // An idle WebSocket is not an idle HTTP request: clear a timeout the http server set (its
    // `timeout` option). `socket.timeout` is undefined until setTimeout() ran: calling setTimeout(0)
    // anyway would add that property to every socket (a property array, on the idle heap).
    const timed = s as { timeout?: number; setTimeout?: (ms: number) => void };
    if (timed.timeout !== undefined && timed.timeout !== 0 && typeof timed.setTimeout === 'function') timed.setTimeout(0);
    if (head.length > 0) s.unshift(toBuffer(head));
    // The peer half-closed: finish our side too (http sockets allow half-open connections). The
    // stream does that itself when allowHalfOpen is false: no 'end' listener (and listener array) per socket.
    (s as { allowHalfOpen?: boolean }).allowHalfOpen = false;
    s.on('data', ServerConnection.#onData).on('error', ServerConnection.#onError);
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

  /** Did {@link pause} stop reading (and no {@link resume} restart it yet)? As `ws`'s `isPaused`. */
  get isPaused(): boolean {
    return (this.#flags & PAUSED_BY_USER) !== 0;
  }

  /**
   * Stop reading from the peer (as `ws` 8) until {@link resume}: with `drain`, this bounds memory
   * for a peer that sends faster than it reads (docs/server.md, "Slow readers"). A no-op once
   * closed; `close()` reads again (for the peer's close frame).
   */
  pause(): void {
    if (this.#life === CLOSED) return;
    this.#pause(PAUSED_BY_USER);
  }

  /** Read from the peer again after {@link pause} (other reasons to wait, such as inflation, still apply). */
  resume(): void {
    if (this.#life === CLOSED) return;
    this.#resume(PAUSED_BY_USER);
  }

  /** Send a message: strings as text, bytes as binary (or as `options.binary` says). */
  send(data: SendData, options?: ServerSendOptions | SendCallback, cb?: SendCallback): void {
    if (typeof options === 'function') [cb, options] = [options, undefined];
    const [bytes, isBinary] = toPayload(data);
    const binary = options?.binary ?? isBinary;
    const fin = options?.fin ?? true;
    if (this.#life !== OPEN || !this.#engine.canSend()) return reportNotOpen(cb, this.readyState);
    if (this.#codec !== undefined && (this.#codec.busy || options?.compress !== false)) {
      const compress = options?.compress !== false && bytes.length >= this.#codec.threshold;
      this.#codec.send(bytes, binary, fin, compress, cb);
      // Queued compressions count in bufferedAmount: promise a `drain` for when they are out.
      if (this.#codec.busy && this.bufferedAmount >= this.#socket.writableHighWaterMark) this.#flags |= DRAIN_OWED;
      return;
    }
    this.sendNow(bytes, binary, fin, false, cb);
  }

  /**
   * Writes an already framed message (e.g. a broadcast framed once by `encodeFrame`) as is.
   * The caller guarantees it is a complete, unmasked, uncompressed frame.
   */
  sendFrame(frame: readonly Uint8Array[], cb?: SendCallback): void {
    if (this.#life !== OPEN || !this.#engine.canSend()) return reportNotOpen(cb, this.readyState);
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
    // The peer's close frame must be read; nothing more can be queued for it once we are closing.
    this.#resume(PAUSED_BY_USER);
  }

  /** Drop the TCP connection now, without a closing handshake (`close` reports 1006). */
  terminate(): void {
    if (this.#life === CLOSED) return;
    if (this.#life === OPEN) this.#life = { kind: 'closing', timer: undefined };
    abortTransport(this.#socket);
  }

  /** @internal Sends through the engine now (the codec queue calls this in order). */
  sendNow(bytes: Uint8Array, binary: boolean, fin: boolean, compress: boolean, cb: SendCallback | undefined): void {
    if (!this.#engine.canSend()) return reportNotOpen(cb, this.readyState);
    this.#write(this.#engine.send(bytes, { binary, fin, compress }), cb);
  }

  /** @internal Writes a pre-framed message now (the codec queue calls this in order). */
  sendFrameNow(frame: readonly Uint8Array[], cb: SendCallback | undefined): void {
    if (!this.#engine.canSend()) return reportNotOpen(cb, this.readyState);
    this.#write(frame, cb);
  }

  /** @internal The codec queue reached a close() queued behind compressions: send the close frame now. */
  closeEngine(code: number | undefined, reason: string): void {
    this.#write(this.#engine.close(code, reason), undefined);
  }

  /** @internal Every queued send reached the socket: pay an owed `drain` unless the socket still needs one. */
  outboundFlushed(): void {
    if ((this.#flags & DRAIN_OWED) === 0 || this.#socket.writableNeedDrain === true || this.#life === CLOSED) return;
    this.#flags &= ~DRAIN_OWED;
    this.emit('drain');
  }

  /** @internal Stop reading while inbound messages wait for the codec (`false`: it caught up). */
  pauseReading(paused: boolean): void {
    if (paused) this.#pause(PAUSED_FOR_INFLATE);
    else this.#resume(PAUSED_FOR_INFLATE);
  }

  /** @internal Emits a complete, validated message (a throwing listener: see the file header). */
  deliver(data: Uint8Array, isBinary: boolean): void {
    if (this.#life === CLOSED) return;
    callListener(rethrowLater, () => this.emit('message', toBuffer(data), isBinary));
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
    if (this.#life !== OPEN || !this.#engine.canSend()) return reportNotOpen(cb, this.readyState);
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
    if ((this.#flags & PAUSED) === 0) this.#socket.pause();
    this.#flags |= reason;
  }

  #resume(reason: number): void {
    if ((this.#flags & reason) === 0) return;
    this.#flags &= ~reason;
    if ((this.#flags & PAUSED) === 0) this.#socket.resume();
  }

  /** Writes frames (the engine's answer, or a pre-framed message); `cb` runs once the last is flushed. */
  #write(chunks: Frames, cb: SendCallback | undefined): void {
    if (chunks.length === 0 && cb === undefined) return;
    if (writeChunks(this.#socket, chunks, cb, (this.#flags & CORKED) !== 0)) {
      this.#flags |= CORKED;
      process.nextTick(ServerConnection.#uncork, this);
    }
  }

  /** RFC 6455 §7.1.1: the server closes the TCP connection first; the timer covers a silent peer. */
  #endTransport(): void {
    // Paused reading (an ending socket never emits 'drain') would leave the peer's close frame and
    // FIN unread until the close timer; nothing is written after our close frame, so read again.
    if ((this.#flags & PAUSED) !== 0) {
      this.#flags &= ~PAUSED;
      this.#socket.resume();
    }
    if (this.#socket.writable) this.#socket.end();
    this.#closing();
  }

  static #uncork(c: ServerConnection): void {
    c.#flags &= ~CORKED;
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

  static #onError(this: TaggedSocket): void {
    // ECONNRESET and friends: 'close' follows and reports 1006 unless a close frame was exchanged.
    this.destroy();
  }

  /** The socket wrote out its buffer; `drain` (bufferedAmount back under the mark) waits for queued compressions. */
  static #onDrain(this: TaggedSocket): void {
    const c = this[kConnection];
    if (c === undefined) return;
    c.#resume(PAUSED_FOR_PONGS);
    if (c.#codec?.busy === true) {
      c.#flags |= DRAIN_OWED;
      return;
    }
    c.#flags &= ~DRAIN_OWED;
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
