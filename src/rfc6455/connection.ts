/**
 * The RFC 6455 connection state machine, sans-I/O (as python wsproto): bytes in through
 * {@link Connection.receive}; what the driver asks for (`send`, `ping`, `pong`, `close`) is
 * answered with the frames to write. Only frames the engine starts by itself — the auto-pong
 * (§5.5.2), the close echo (§5.5.1) and the close frame of a failed connection — go out through
 * {@link ConnectionHandler.write}. It owns the close handshake (§7) and {@link Connection.fail},
 * the one place where a protocol error becomes a close frame.
 */
import { CloseCodes, isValidWireCloseCode } from '../close-codes.js';
import { ErrorCodes, ProtocolError, StateError, TandemError } from '../errors.js';
import { assertNever } from '../assert-never.js';
import { DEFAULTS, MAX_CONTROL_PAYLOAD_BYTES, Opcodes } from './constants.js';
import type { Allocate } from './constants.js';
import { FrameParser } from './frame-parser.js';
import type { FrameParserSink } from './frame-parser.js';
import { encodeClosePayload, encodeFrameParts, randomMaskKey } from './frame-writer.js';
import { decodeUtf8, isValidUtf8 } from './utf8.js';

/** Which end of the connection this engine is. */
export type Role = 'client' | 'server';

/**
 * `open`: both directions work. `closing-local`: we sent a close frame and wait for the peer's
 * (we may still receive). `closing-remote`: the peer's close frame arrived and ours is not sent
 * yet — transient, the engine echoes at once. `closed`: nothing more is sent or received.
 */
export type ConnectionState = 'open' | 'closing-local' | 'closing-remote' | 'closed';

/**
 * Frames to write, in order, each as `[header, payload]` so a payload is never copied to be
 * framed. Empty when there is nothing to write.
 */
export type Frames = readonly Uint8Array[];

/** What the driver (the socket owner) supplies; the engine calls these synchronously. */
export interface ConnectionHandler {
  /**
   * Frames the engine starts by itself, for the wire: the auto-pong, the echo of the peer's close,
   * the close frame of a failed connection. Frames the driver asked for are returned instead.
   */
  write(chunks: Frames): void;
  /**
   * A complete data message. `data` may be a view of a received chunk (the engine never reuses
   * buffers). `compressed`: RSV1 was set (only with `rsv1Allowed`) — the engine did not validate
   * UTF-8 and applied maxPayload to the compressed size; the driver inflates and validates.
   */
  message(data: Uint8Array, isBinary: boolean, compressed: boolean): void;
  /** A ping arrived; the pong (same payload) is already written unless `autoPong` is false. */
  ping(payload: Uint8Array): void;
  /** A pong arrived. */
  pong(payload: Uint8Array): void;
  /**
   * The peer's close frame arrived (code 1005 when it had no payload). If the peer started closing,
   * the engine has already echoed the code (RFC 6455 §5.5.1). State is now `closed` either way;
   * RFC 6455 §7.1.1: a server now ends the TCP connection, a client waits for the server to.
   */
  closeFrame(code: number, reason: string): void;
  /**
   * The connection failed ({@link Connection.fail}: the peer broke the protocol, found by the
   * engine or by the driver): unless we had already sent one, the engine has written a close
   * frame carrying `err.closeCode` (code only, no reason) and moved to `closed`; everything
   * received afterwards is ignored. The driver then ends the TCP connection.
   */
  error(err: ProtocolError): void;
}

/** Engine options. */
export interface ConnectionOptions {
  role: Role;
  /** Largest data message, across fragments, checked as soon as a length is known. @default 104857600 */
  maxPayload?: number;
  /** Most frames per data message. @default 100000 */
  maxFragments?: number;
  /** RSV1 may be set on the first frame of a data message (permessage-deflate). @default false */
  rsv1Allowed?: boolean;
  /** Answer pings automatically; set false to apply backpressure and call `pong()` yourself. @default true */
  autoPong?: boolean;
  /** Whole-message UTF-8 check to use instead of the engine's (e.g. node:buffer `isUtf8`). */
  isUtf8?: (bytes: Uint8Array) => boolean;
  /** Fills a 4-byte client mask key; the default draws from `crypto.getRandomValues`. */
  randomMask?: (key: Uint8Array) => void;
  /**
   * Allocates the buffers a payload spanning chunks is joined into; they are always fully written
   * before being read, so an unzeroed allocator (Node's `Buffer.allocUnsafe`) is safe and faster.
   * @default zero-filled Uint8Array
   */
  allocate?: Allocate;
}

/** Options of {@link Connection.send}. */
export interface SendOptions {
  /** Binary (opcode 2) or text (opcode 1); ignored on continuation frames. @default true */
  binary?: boolean;
  /** `false` starts or continues a fragmented message; the next `send` continues it. @default true */
  fin?: boolean;
  /** Set RSV1 on the first frame: the driver has already deflated `data`. @default false */
  compress?: boolean;
}

const EMPTY = new Uint8Array(0);
const NO_FRAMES: Frames = Object.freeze([]);

/**
 * One RFC 6455 connection endpoint. It is its own parser sink (the `on*` methods), so a
 * connection costs no callback object or closures.
 */
export class Connection implements FrameParserSink {
  /** Which end this is: a server expects masked frames and sends unmasked ones, a client the reverse. */
  readonly role: Role;
  private readonly handler: ConnectionHandler;
  /** Read where needed (autoPong, isUtf8, randomMask, allocate) and by the parser, built on the first received bytes. */
  private readonly options: ConnectionOptions;
  private parser: FrameParser | null = null;
  /** Client role only: a server never masks, so it carries no key buffer. */
  private readonly maskKey: Uint8Array | null;
  private current: ConnectionState = 'open';
  /** Latched when both close frames were exchanged; whether each was sent is the state itself. */
  private clean = false;
  /** A fragmented message we are sending is in progress: the next data frame is a continuation. */
  private sendingFragments = false;

  /** `options` is kept by reference (and may be shared by many connections): do not change it afterwards. */
  constructor(handler: ConnectionHandler, options: ConnectionOptions) {
    this.role = options.role;
    this.handler = handler;
    this.maskKey = options.role === 'client' ? new Uint8Array(4) : null;
    this.options = options;
  }

  /** The current state. */
  get state(): ConnectionState {
    return this.current;
  }

  /** True when both close frames were exchanged (false after an error or a bare transport end). */
  get wasClean(): boolean {
    return this.clean;
  }

  /** May data and control frames still be sent? (`open` or `closing-remote`) */
  canSend(): boolean {
    return this.current === 'open' || this.current === 'closing-remote';
  }

  /** Are received bytes still processed? (`open` or `closing-local`) */
  canReceive(): boolean {
    return this.current === 'open' || this.current === 'closing-local';
  }

  /** Feed bytes read from the transport, in any chunking. The chunk is handed over (unmasked in place). */
  receive(chunk: Uint8Array): void {
    if (!this.canReceive()) return;
    // Built on first use: most of a server's connections sit idle, and a parser is ~300 bytes.
    // The options are the caller's (a server shares one object among its connections).
    (this.parser ??= new FrameParser(this.options, this)).push(chunk);
  }

  /**
   * The frames of a data message, or of one fragment of it, for the driver to write. Throws
   * StateError once closing or closed.
   */
  send(data: Uint8Array, options: SendOptions = {}): Frames {
    this.assertCanSend('send');
    const fin = options.fin ?? true;
    let opcode: number = Opcodes.Continuation;
    let rsv1 = false;
    if (!this.sendingFragments) {
      opcode = (options.binary ?? true) ? Opcodes.Binary : Opcodes.Text;
      // RFC 7692 §6: RSV1 on the first frame marks the whole message compressed.
      rsv1 = options.compress ?? false;
    }
    this.sendingFragments = !fin;
    return this.frame(opcode, data, fin, rsv1);
  }

  /** A ping frame to write (≤ 125 bytes, else TandemError `ERR_INVALID_ARGUMENT`). */
  ping(payload: Uint8Array = EMPTY): Frames {
    return this.control(Opcodes.Ping, payload, 'ping');
  }

  /** A pong frame to write (unsolicited, or the answer to a ping when `autoPong` is false). */
  pong(payload: Uint8Array = EMPTY): Frames {
    return this.control(Opcodes.Pong, payload, 'pong');
  }

  /**
   * Starts the closing handshake (or completes it in `closing-remote`) and returns the close frame
   * to write. Without a code the close frame is empty; a reason without a code is sent with 1000.
   * Reasons are cut to 123 bytes on a UTF-8 boundary. Throws TandemError `ERR_INVALID_ARGUMENT`
   * for a code not allowed on the wire. Idempotent once closing or closed (returns no frame).
   */
  close(code?: number, reason = ''): Frames {
    return this.closeFrames(code, reason);
  }

  /** {@link close}, also for the echo of a peer's close (not overridable, so a subclass sees only the driver's calls). */
  private closeFrames(code: number | undefined, reason: string): Frames {
    const wireCode = code ?? (reason === '' ? undefined : CloseCodes.NormalClosure);
    const payload = encodeClosePayload(wireCode, reason);
    switch (this.current) {
      case 'open':
        this.current = 'closing-local';
        return this.frame(Opcodes.Close, payload, true, false);
      case 'closing-remote':
        this.current = 'closed';
        return this.frame(Opcodes.Close, payload, true, false);
      case 'closing-local':
      case 'closed':
        return NO_FRAMES;
      default:
        return assertNever(this.current, 'connection');
    }
  }

  /**
   * Fails the connection with `err`: the one place a protocol error becomes a close frame. The
   * engine calls it for what the parser finds; the driver calls it for what it finds after the
   * engine let a message through (invalid deflate data, invalid UTF-8 once inflated…). Unless our
   * close frame is already out, one carrying `err.closeCode` is written through the handler;
   * the state becomes `closed` and `handler.error(err)` reports it (also when already closed, so
   * a late driver-found error is never lost).
   */
  fail(err: ProtocolError): void {
    if (this.current !== 'closed') {
      // `closing-local`: our close frame is already out; `closing-remote` never outlives onCloseFrame.
      const closeSent = this.current === 'closing-local';
      this.current = 'closed';
      this.parser?.halt();
      // Never 1005/1006/1015 on the wire (RFC 6455 §7.4.1); the parser only produces sendable codes.
      const code = isValidWireCloseCode(err.closeCode) ? err.closeCode : undefined;
      if (!closeSent) this.handler.write(this.frame(Opcodes.Close, encodeClosePayload(code), true, false));
    }
    this.handler.error(err);
  }

  /** The transport ended: nothing more is sent or received (abnormal unless {@link wasClean}). */
  transportClosed(): void {
    this.current = 'closed';
    this.parser?.halt();
  }

  /** @internal Parser sink: a complete control frame. */
  onControl(opcode: number, payload: Uint8Array): void {
    if (opcode === Opcodes.Ping) {
      // RFC 6455 §5.5.2: answer a ping with a pong carrying the same payload.
      if ((this.options.autoPong ?? DEFAULTS.autoPong) && this.canSend()) this.handler.write(this.frame(Opcodes.Pong, payload, true, false));
      this.handler.ping(payload);
    } else if (opcode === Opcodes.Pong) {
      this.handler.pong(payload);
    } else {
      this.onCloseFrame(payload);
    }
  }

  private onCloseFrame(payload: Uint8Array): void {
    let code: number = CloseCodes.NoStatusReceived;
    let reason = '';
    if (payload.length > 0) {
      // RFC 6455 §5.5.1: a close body starts with a 2-byte code, so 1 byte is malformed.
      if (payload.length === 1) return this.fail(protocolError(ErrorCodes.InvalidClosePayload, 'Close payload of 1 byte'));
      code = (payload[0]! << 8) | payload[1]!;
      // RFC 6455 §7.4: only some codes may appear on the wire.
      if (!isValidWireCloseCode(code)) return this.fail(protocolError(ErrorCodes.InvalidCloseCode, `Invalid close code ${code}`));
      const reasonBytes = payload.subarray(2);
      // RFC 6455 §5.5.1: the reason is UTF-8 → 1007 otherwise.
      if (!(this.options.isUtf8 ?? isValidUtf8)(reasonBytes)) {
        return this.fail(new ProtocolError(ErrorCodes.InvalidUtf8, 'Invalid UTF-8 in the close reason', CloseCodes.InvalidPayload));
      }
      reason = decodeUtf8(reasonBytes);
    }
    switch (this.current) {
      case 'open':
        // RFC 6455 §5.5.1: echo the close at once, with the code received (none when none came).
        this.current = 'closing-remote';
        this.handler.write(this.closeFrames(code === CloseCodes.NoStatusReceived ? undefined : code, ''));
        this.clean = true;
        break;
      case 'closing-local':
        this.current = 'closed';
        this.clean = true;
        break;
      case 'closing-remote':
      case 'closed':
        return;
      default:
        return assertNever(this.current, 'connection');
    }
    this.handler.closeFrame(code, reason);
  }

  /** @internal Parser sink: a complete data message. */
  onMessage(data: Uint8Array, isBinary: boolean, compressed: boolean): void {
    this.handler.message(data, isBinary, compressed);
  }

  /** @internal Parser sink: the peer broke the protocol. */
  onError(err: ProtocolError): void {
    this.fail(err);
  }

  private control(opcode: number, payload: Uint8Array, what: string): Frames {
    if (payload.length > MAX_CONTROL_PAYLOAD_BYTES) {
      throw new TandemError(ErrorCodes.InvalidArgument, `A ${what} payload is at most 125 bytes`);
    }
    this.assertCanSend(what);
    return this.frame(opcode, payload, true, false);
  }

  private frame(opcode: number, payload: Uint8Array, fin: boolean, rsv1: boolean): Frames {
    const mask = this.maskKey;
    // RFC 6455 §5.3: a fresh, unpredictable key for every client frame.
    if (mask !== null) (this.options.randomMask ?? randomMaskKey)(mask);
    return encodeFrameParts(opcode, payload, fin, rsv1, mask, this.options.allocate);
  }

  private assertCanSend(what: string): void {
    if (!this.canSend()) throw new StateError(`Cannot ${what}: the connection is ${this.current}`);
  }
}

function protocolError(code: string, message: string): ProtocolError {
  return new ProtocolError(code, message, CloseCodes.ProtocolError);
}
