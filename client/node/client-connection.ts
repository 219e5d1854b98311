/**
 * The Node client's RFC 6455 connection after the 101: it drives the sans-I/O engine in the
 * client role (masking every frame, refusing masked frames from the server) over the socket,
 * orders messages around permessage-deflate through the shared codec queue (node/), writes what
 * the engine answers, and runs the closing handshake with a timeout.
 *
 * RFC 6455 §7.1.1: the server closes the TCP connection first; once both close frames are
 * exchanged (or the connection failed) this end half-closes its side too, as ws does, and
 * destroys the socket if the server has not closed it within `closeTimeout`.
 */
import { Buffer, isUtf8 } from 'node:buffer';
import type { Duplex } from 'node:stream';
import { abortTransport } from '../../node/abort-transport.js';
import { MessageCodecQueue } from '../../node/message-codec-queue.js';
import type { CodecQueueOwner, MessageCodec } from '../../node/message-codec-queue.js';
import { CloseCodes } from '../../src/close-codes.js';
import { ErrorCodes, ProtocolError, TandemError } from '../../src/errors.js';
import { Connection } from '../../src/rfc6455/connection.js';
import type { ConnectionHandler, Frames } from '../../src/rfc6455/connection.js';

/** What the connection reports to its `WebSocket`. */
export interface ClientConnectionOwner {
  message(data: Uint8Array, isBinary: boolean): void;
  ping(payload: Uint8Array): void;
  pong(payload: Uint8Array): void;
  /** The connection failed (a protocol error, a socket error, no close in time); `closed` follows. */
  error(err: Error): void;
  /** The TCP connection is gone. */
  closed(code: number, reason: string, wasClean: boolean): void;
}

/** Limits of one connection. */
export interface ClientConnectionOptions {
  readonly maxPayload: number;
  readonly maxFragments: number;
  readonly closeTimeout: number;
  /** The negotiated permessage-deflate codec, if any. */
  readonly codec: MessageCodec | undefined;
}

type Callback = (err?: Error | null) => void;

/** Frames with a payload this large are written at once, not batched to the end of the tick. */
const UNBATCHED_WRITE_BYTES = 16 * 1024;

function allocateUnsafe(byteLength: number): Uint8Array {
  return Buffer.allocUnsafe(byteLength);
}

/** One client connection over an upgraded socket. */
export class ClientConnection implements CodecQueueOwner, ConnectionHandler {
  /** A TCP/TLS socket, or an HTTP/2 stream (the `http2` option). */
  readonly #socket: Duplex;
  readonly #engine: Connection;
  readonly #codec: MessageCodecQueue | undefined;
  readonly #owner: ClientConnectionOwner;
  readonly #closeTimeout: number;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  #closeCode: number = CloseCodes.AbnormalClosure;
  #closeReason = '';
  /** An error was reported: later socket errors are the same failure. */
  #failed = false;
  #corked = false;
  #closed = false;

  constructor(socket: Duplex, options: ClientConnectionOptions, owner: ClientConnectionOwner) {
    this.#socket = socket;
    this.#owner = owner;
    this.#closeTimeout = options.closeTimeout;
    this.#engine = new Connection(this, {
      role: 'client',
      maxPayload: options.maxPayload,
      maxFragments: options.maxFragments,
      rsv1Allowed: options.codec !== undefined,
      isUtf8,
      allocate: allocateUnsafe,
    });
    if (options.codec !== undefined) this.#codec = new MessageCodecQueue(options.codec, this);
    // Socket-only tuning (an HTTP/2 stream's session owns its TCP connection).
    if ('setNoDelay' in socket) (socket as { setNoDelay(noDelay: boolean): void }).setNoDelay(true);
    if ('setTimeout' in socket) (socket as { setTimeout(ms: number): void }).setTimeout(0);
    socket.on('data', (chunk: Buffer) => this.#engine.receive(chunk));
    // The server half-closed: finish our side too.
    socket.on('end', () => socket.end());
    socket.on('error', (err: Error) => {
      // ECONNRESET and friends: 'close' follows and reports 1006 unless a close frame was exchanged.
      if (!this.#failed) {
        this.#failed = true;
        this.#owner.error(err);
      }
      socket.destroy();
    });
    socket.on('close', () => this.#onClose());
  }

  /** Feeds the bytes that came with the 101 (call once the `open` event was dispatched). */
  start(rest: Uint8Array): void {
    if (rest.length > 0) this.#engine.receive(rest);
  }

  /** Bytes accepted by `send` but not yet handed to the OS. */
  get bufferedAmount(): number {
    return this.#socket.writableLength + (this.#codec?.pendingBytes ?? 0);
  }

  /** Can data still be sent (no close started on either side)? */
  get canSend(): boolean {
    return this.#closeTimer === undefined && this.#engine.canSend();
  }

  /** Sends one message; compressed when deflate was agreed and it is at least the codec's threshold. */
  send(bytes: Uint8Array, isBinary: boolean): void {
    const codec = this.#codec;
    if (codec === undefined) return this.sendNow(bytes, isBinary, true, false, undefined);
    codec.send(bytes, isBinary, true, bytes.length >= codec.threshold, undefined);
  }

  /** Sends a ping (or an unsolicited pong); payloads over 125 bytes throw before anything is written. */
  control(kind: 'ping' | 'pong', payload: Uint8Array): void {
    if (!this.#engine.canSend()) return;
    this.#write(kind === 'ping' ? this.#engine.ping(payload) : this.#engine.pong(payload), undefined);
  }

  /** Starts the closing handshake (after the messages still being compressed); the timer covers a silent server. */
  close(code: number | undefined, reason: string): void {
    if (this.#codec?.busy === true) this.#codec.closeAfterSends(code, reason);
    else this.closeEngine(code, reason);
    this.#armCloseTimer();
  }

  /** Drops the TCP connection (or resets the HTTP/2 stream) now, without a closing handshake. */
  terminate(): void {
    abortTransport(this.#socket);
  }

  // ——— CodecQueueOwner (the codec queue calls these in order) ———

  /** @internal */
  sendNow(bytes: Uint8Array, binary: boolean, fin: boolean, compress: boolean, cb: Callback | undefined): void {
    if (!this.#engine.canSend()) return cb?.(new TandemError(ErrorCodes.InvalidState, 'The connection is closing'));
    this.#write(this.#engine.send(bytes, { binary, fin, compress }), cb);
  }

  /** @internal */
  sendFrameNow(frame: readonly Uint8Array[], cb: Callback | undefined): void {
    this.#write(frame, cb);
  }

  /** @internal A complete, validated (and inflated) message. */
  deliver(data: Uint8Array, isBinary: boolean): void {
    if (!this.#closed) this.#owner.message(data, isBinary);
  }

  /** @internal A codec error: the engine fails the connection and reports back through `error`. */
  fail(err: ProtocolError): void {
    if (!this.#closed) this.#engine.fail(err);
  }

  /** @internal */
  closeEngine(code: number | undefined, reason: string): void {
    this.#write(this.#engine.close(code, reason), undefined);
  }

  /** @internal Stop reading while inbound messages wait for the codec. */
  pauseReading(paused: boolean): void {
    if (paused) this.#socket.pause();
    else this.#socket.resume();
  }

  // ——— ConnectionHandler (the engine calls these) ———

  /** @internal Frames the engine starts itself (auto-pong, close echo, failure). */
  write(chunks: Frames): void {
    this.#write(chunks, undefined);
  }

  /** @internal */
  message(data: Uint8Array, isBinary: boolean, compressed: boolean): void {
    if (this.#codec !== undefined) this.#codec.receive(data, isBinary, compressed);
    else this.deliver(data, isBinary);
  }

  /** @internal */
  ping(payload: Uint8Array): void {
    this.#owner.ping(payload);
  }

  /** @internal */
  pong(payload: Uint8Array): void {
    this.#owner.pong(payload);
  }

  /** @internal Both close frames are exchanged now (the engine echoed the server's if it started). */
  closeFrame(code: number, reason: string): void {
    this.#closeCode = code;
    this.#closeReason = reason;
    this.#endTransport();
  }

  /** @internal The engine failed the connection (its close frame is written). */
  error(err: ProtocolError): void {
    this.#closeCode = err.closeCode;
    if (!this.#failed) {
      this.#failed = true;
      this.#owner.error(err);
    }
    this.#endTransport();
  }

  // ——— internals ———

  #write(chunks: Frames, cb: Callback | undefined): void {
    const s = this.#socket;
    if (chunks.length === 0) return;
    if (!s.writable) return cb?.(new TandemError(ErrorCodes.InvalidState, 'The socket is closed'));
    const last = chunks.length - 1;
    // A large frame goes out at once; small ones of one tick are batched into one syscall.
    const now = !this.#corked && chunks[last]!.length >= UNBATCHED_WRITE_BYTES;
    if (now) {
      s.cork();
    } else if (!this.#corked) {
      this.#corked = true;
      s.cork();
      process.nextTick(() => {
        this.#corked = false;
        s.uncork();
      });
    }
    for (let i = 0; i < last; i++) if (chunks[i]!.length > 0) s.write(chunks[i]!);
    s.write(chunks[last]!, cb);
    if (now) s.uncork();
  }

  #armCloseTimer(): void {
    if (this.#closeTimer !== undefined || this.#closed) return;
    this.#closeTimer = setTimeout(() => {
      // No close frame came (else the code would be the server's): 1006, with why as the reason.
      if (this.#closeCode === CloseCodes.AbnormalClosure) this.#closeReason = ErrorCodes.CloseTimeout;
      abortTransport(this.#socket);
    }, this.#closeTimeout);
  }

  /** RFC 6455 §7.1.1: nothing more to say; half-close, and give the server `closeTimeout` to close. */
  #endTransport(): void {
    this.#socket.resume(); // a pause for inflation must not keep the server's FIN unread
    if (this.#socket.writable) this.#socket.end();
    this.#armCloseTimer();
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#closeTimer);
    this.#engine.transportClosed();
    this.#codec?.dispose();
    this.#owner.closed(this.#closeCode, this.#closeReason, this.#engine.wasClean);
  }
}
