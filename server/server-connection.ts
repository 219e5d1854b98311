/**
 * A server-side WebSocket with the API Node users know from `ws`: it drives the sans-I/O engine
 * (src/rfc6455) over a `net.Socket` that completed the HTTP upgrade.
 *
 * Per-connection state is kept small on purpose: socket listeners are shared static functions
 * (the connection is found through a symbol on the socket), the engine handler is one small
 * object, and timers exist only while closing.
 */
import { Buffer } from 'node:buffer';
import type { Duplex } from 'node:stream';
import EventEmitter from 'eventemitter3';
import { CloseCodes } from '../src/close-codes.js';
import { ErrorCodes, ProtocolError, TandemError, isProtocolError } from '../src/errors.js';
import { Connection } from '../src/rfc6455/connection.js';
import type { ConnectionHandler } from '../src/rfc6455/connection.js';
import { DEFAULTS as ENGINE_DEFAULTS } from '../src/rfc6455/constants.js';
import { engineOptionsFor } from './engine-options.js';
import { toBuffer, toPayload } from './send-data.js';
import type { SendData } from './send-data.js';
import { MessageCodecQueue } from './message-codec-queue.js';
import type { MessageCodec } from './message-codec-queue.js';

export type { MessageCodec } from './message-codec-queue.js';

/** `readyState` values, the same numbers as the browser's and `ws`'s. */
export const ReadyStates = Object.freeze({ CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 } as const);

/** One of {@link ReadyStates}. */
export type ReadyState = (typeof ReadyStates)[keyof typeof ReadyStates];

/** Defaults of {@link ServerConnectionOptions}. */
export const DEFAULTS = Object.freeze({
  /** How long to wait for the peer to finish the closing handshake before destroying the socket. @default 30000 */
  closeTimeoutMs: 30_000,
  /** @default 104857600 (100 MiB), as the engine and `ws`. */
  maxPayload: ENGINE_DEFAULTS.maxPayload,
  /** @default 100000 */
  maxFragments: ENGINE_DEFAULTS.maxFragments,
  /** Messages smaller than this are sent uncompressed when a codec is negotiated. @default 1024 */
  compressThresholdBytes: 1024,
});

/** Options of one connection (set by `WebSocketServer`). */
export interface ServerConnectionOptions {
  /** The negotiated subprotocol, `''` for none. */
  readonly protocol?: string | undefined;
  /** The negotiated `Sec-WebSocket-Extensions` value, `''` for none. */
  readonly extensions?: string | undefined;
  /** The negotiated message codec (permessage-deflate); enables RSV1. */
  readonly codec?: MessageCodec | undefined;
  /** @default DEFAULTS.maxPayload */
  readonly maxPayload?: number | undefined;
  /** @default DEFAULTS.maxFragments */
  readonly maxFragments?: number | undefined;
  /** @default DEFAULTS.closeTimeoutMs */
  readonly closeTimeoutMs?: number | undefined;
  /** Told when the connection closed, before `close` is emitted (the server's client tracking). */
  readonly owner?: ConnectionOwner | undefined;
}

/** Tracks connections without a closure per connection. */
export interface ConnectionOwner {
  connectionClosed(connection: ServerConnection): void;
}

/** Options of {@link ServerConnection.send}. */
export interface ServerSendOptions {
  /** Send as binary; by default strings are text and bytes are binary. */
  readonly binary?: boolean;
  /** `false` sends a fragment; the next `send` continues the message. @default true */
  readonly fin?: boolean;
  /** Compress when a codec was negotiated. @default true (above DEFAULTS.compressThresholdBytes) */
  readonly compress?: boolean;
}

export type { SendData } from './send-data.js';

/** A callback told when the data was handed to the OS (or why not). */
export type SendCallback = (err?: Error | null) => void;

/** Events of a {@link ServerConnection}, with `ws`'s signatures. */
export interface ServerConnectionEvents {
  message: [data: Buffer, isBinary: boolean];
  close: [code: number, reason: Buffer];
  /** The peer broke the protocol (a `ProtocolError` with `code` and `closeCode`); `close` follows. */
  error: [err: Error];
  ping: [data: Buffer];
  pong: [data: Buffer];
  drain: [];
}

const kConnection = Symbol('tandem.connection');
type TaggedSocket = Duplex & { [kConnection]?: ServerConnection; writableNeedDrain?: boolean };
const EMPTY_BUFFER = Buffer.alloc(0);
/** Frames with a payload this large are written at once, not batched to the end of the tick. */
const UNBATCHED_WRITE_BYTES = 16 * 1024;

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
  #state: ReadyState = ReadyStates.OPEN;
  #closeCode: number = CloseCodes.AbnormalClosure;
  #closeReason: Buffer = EMPTY_BUFFER;
  #closeTimeoutMs: number;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  #corked = false;
  #readPaused = false;
  #writeCallback: SendCallback | undefined;
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
    s.on('data', ServerConnection.#onData);
    s.on('end', ServerConnection.#onEnd);
    s.on('error', ServerConnection.#onError);
    s.on('close', ServerConnection.#onClose);
    s.on('drain', ServerConnection.#onDrain);
  }

  /** {@link ReadyStates}: OPEN until closing starts, CLOSED once the TCP connection is gone. */
  get readyState(): ReadyState {
    return this.#state;
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
    if (this.#state !== ReadyStates.OPEN || !this.#engine.canSend()) return this.#notOpen(cb);
    if (this.#codec !== undefined && (this.#codec.busy || options?.compress !== false)) {
      const compress = options?.compress !== false && bytes.length >= (this.#codec.threshold ?? DEFAULTS.compressThresholdBytes);
      return this.#codec.send(bytes, binary, fin, compress, cb);
    }
    this.sendNow(bytes, binary, fin, false, cb);
  }

  /**
   * Writes an already framed message (e.g. a broadcast framed once by `encodeFrame`) as is.
   * The caller guarantees it is a complete, unmasked, uncompressed frame.
   */
  sendFrame(frame: readonly Uint8Array[], cb?: SendCallback): void {
    if (this.#state !== ReadyStates.OPEN || !this.#engine.canSend() || this.#codec?.busy === true) {
      if (this.#codec?.busy === true && this.#state === ReadyStates.OPEN) return this.#codec.sendFrame(frame, cb);
      return this.#notOpen(cb);
    }
    this.#writeCallback = cb;
    this.#write(frame);
  }

  /** Send a ping (at most 125 bytes). */
  ping(data: SendData = EMPTY_BUFFER, cb?: SendCallback): void {
    if (this.#state !== ReadyStates.OPEN || !this.#engine.canSend()) return this.#notOpen(cb);
    this.#writeCallback = cb;
    this.#engine.ping(toPayload(data)[0]);
    this.#writeCallback = undefined;
  }

  /** Send an unsolicited pong (at most 125 bytes). */
  pong(data: SendData = EMPTY_BUFFER, cb?: SendCallback): void {
    if (this.#state !== ReadyStates.OPEN || !this.#engine.canSend()) return this.#notOpen(cb);
    this.#writeCallback = cb;
    this.#engine.pong(toPayload(data)[0]);
    this.#writeCallback = undefined;
  }

  /**
   * Start the closing handshake (RFC 6455 §7.1.2). Throws TandemError `ERR_INVALID_ARGUMENT` for a
   * code that may not be sent. The socket is destroyed if the peer does not answer in time.
   */
  close(code?: number, reason = ''): void {
    if (this.#state !== ReadyStates.OPEN) return;
    if (this.#codec?.busy === true) return this.#codec.closeAfterSends(code, reason);
    this.#engine.close(code, reason);
    this.#state = ReadyStates.CLOSING;
    this.#armCloseTimer();
  }

  /** Drop the TCP connection now, without a closing handshake (`close` reports 1006). */
  terminate(): void {
    if (this.#state === ReadyStates.CLOSED) return;
    this.#state = ReadyStates.CLOSING;
    this.#socket.destroy();
  }

  /** @internal Sends through the engine now (the codec queue calls this in order). */
  sendNow(bytes: Uint8Array, binary: boolean, fin: boolean, compress: boolean, cb: SendCallback | undefined): void {
    if (!this.#engine.canSend()) return this.#notOpen(cb);
    this.#writeCallback = cb;
    this.#engine.send(bytes, { binary, fin, compress });
    this.#writeCallback = undefined;
  }

  /** @internal Writes a pre-framed message now (the codec queue calls this in order). */
  sendFrameNow(frame: readonly Uint8Array[], cb: SendCallback | undefined): void {
    if (!this.#engine.canSend()) return this.#notOpen(cb);
    this.#writeCallback = cb;
    this.#write(frame);
  }

  /** @internal Emits a complete, validated message. */
  deliver(data: Uint8Array, isBinary: boolean): void {
    if (this.#state === ReadyStates.CLOSED) return;
    this.emit('message', toBuffer(data), isBinary);
  }

  /** @internal Fails the connection with `err` (a codec error found after the engine let the frame through). */
  fail(err: ProtocolError): void {
    if (this.#state === ReadyStates.CLOSED) return;
    this.#closeCode = err.closeCode;
    if (this.#engine.canSend()) this.#engine.close(err.closeCode);
    this.#state = ReadyStates.CLOSING;
    this.emit('error', err);
    this.#endTransport();
  }

  #notOpen(cb: SendCallback | undefined): void {
    // As in ws: sending on a closing socket is a race with the peer, not a crash.
    if (cb !== undefined) {
      const err = new TandemError(ErrorCodes.InvalidState, `WebSocket is not open: readyState ${this.#state}`);
      process.nextTick(cb, err);
    }
  }

  #write(chunks: readonly Uint8Array[]): void {
    const s = this.#socket;
    const cb = this.#writeCallback;
    this.#writeCallback = undefined;
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

  #armCloseTimer(): void {
    if (this.#closeTimer !== undefined || this.#state === ReadyStates.CLOSED) return;
    this.#closeTimer = setTimeout(ServerConnection.#onCloseTimeout, this.#closeTimeoutMs, this);
  }

  /** RFC 6455 §7.1.1: the server closes the TCP connection first; the timer covers a silent peer. */
  #endTransport(): void {
    // Reading may be paused for ping backpressure, and an ending socket never emits 'drain':
    // resume, or the peer's close frame and FIN go unread until the close timer (nothing more is
    // written after our close frame, so reading cannot grow a queue any more).
    if (this.#readPaused) {
      this.#readPaused = false;
      this.#socket.resume();
    }
    if (this.#socket.writable) this.#socket.end();
    this.#armCloseTimer();
  }

  static #uncork(c: ServerConnection): void {
    c.#corked = false;
    c.#socket.uncork();
  }

  static #onCloseTimeout(c: ServerConnection): void {
    c.#closeTimer = undefined;
    c.#socket.destroy();
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
    if (c.#readPaused) {
      c.#readPaused = false;
      this.resume();
    }
    c.emit('drain');
  }

  static #onClose(this: TaggedSocket): void {
    const c = this[kConnection];
    if (c === undefined) return;
    if (c.#closeTimer !== undefined) clearTimeout(c.#closeTimer);
    c.#closeTimer = undefined;
    c.#engine.transportClosed();
    c.#codec?.dispose();
    c.#state = ReadyStates.CLOSED;
    c.#owner?.connectionClosed(c);
    c.emit('close', c.#closeCode, c.#closeReason);
  }

  /** The engine's callbacks; one small object per connection, methods shared on the prototype. */
  static #Handler = class implements ConnectionHandler {
    readonly c: ServerConnection;
    constructor(c: ServerConnection) {
      this.c = c;
    }
    write(chunks: readonly Uint8Array[]): void {
      this.c.#write(chunks);
    }
    message(data: Uint8Array, isBinary: boolean, compressed: boolean): void {
      const c = this.c;
      if (c.#codec !== undefined) c.#codec.receive(data, isBinary, compressed);
      else c.deliver(data, isBinary);
    }
    ping(payload: Uint8Array): void {
      const c = this.c;
      // Backpressure: a peer that pings faster than it reads must not grow our pong queue.
      if (!c.#readPaused && c.#socket.writableNeedDrain === true) {
        c.#readPaused = true;
        c.#socket.pause();
      }
      c.emit('ping', toBuffer(payload));
    }
    pong(payload: Uint8Array): void {
      this.c.emit('pong', toBuffer(payload));
    }
    closeFrame(code: number, reason: string): void {
      const c = this.c;
      c.#closeCode = code;
      c.#closeReason = reason === '' ? EMPTY_BUFFER : Buffer.from(reason, 'utf8');
      c.#state = ReadyStates.CLOSING;
      c.#endTransport();
    }
    error(err: ProtocolError): void {
      const c = this.c;
      c.#closeCode = isProtocolError(err) ? err.closeCode : CloseCodes.ProtocolError;
      c.#state = ReadyStates.CLOSING;
      c.emit('error', err);
      c.#endTransport();
    }
  };
}
