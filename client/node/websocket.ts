/**
 * A WHATWG-shaped `WebSocket` for Node on Tandem's own engine, so `createClient` needs no `ws`:
 * the browser's API (readyState, protocol, extensions, binaryType, bufferedAmount, send, close,
 * `on*` attributes and `addEventListener`), plus what Node code needs and a browser hides:
 * request headers, TLS options, permessage-deflate settings, limits, `ping`/`pong`, `terminate`,
 * and an `error` event that says why (see {@link ErrorEvent}).
 *
 * Lifecycle: one {@link Life} value whose variants own the handshake or the connection; the
 * readyState is derived from it. Events are dispatched after the state changed.
 */
import { Buffer } from 'node:buffer';
import { PerMessageDeflate } from '../../node/permessage-deflate.js';
import { toBuffer, toPayload } from '../../node/send-data.js';
import { isValidWireCloseCode } from '../../src/close-codes.js';
import { ErrorCodes } from '../../src/errors.js';
import { HandshakeError, assertValidProtocols } from '../../src/rfc6455/upgrade-client.js';
import { ClientConnection } from './client-connection.js';
import { CloseEvent, ErrorEvent, MessageEvent } from './events.js';
import { Handshake } from './handshake.js';
import type { HandshakeResult, PendingHandshake } from './handshake.js';
import { Http2Handshake } from './http2-handshake.js';
import { NODE_WEBSOCKET_DEFAULTS as DEFAULTS } from './options.js';
import type { NodeWebSocketOptions } from './options.js';

/** How binary messages are handed over: `blob` (the WHATWG default), `arraybuffer`, or `nodebuffer` (a Buffer, no copy). */
export type BinaryType = 'blob' | 'arraybuffer' | 'nodebuffer';

type Life =
  | { kind: 'connecting'; handshake: PendingHandshake }
  | { kind: 'open'; connection: ClientConnection }
  | { kind: 'closing'; connection: ClientConnection | undefined }
  | { kind: 'closed' };

type Listener = ((event: any) => void) | null;

/** A client WebSocket connection over node:net / node:tls. */
export class WebSocket extends EventTarget {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSING = 2;
  readonly CLOSED = 3;

  /** The URL, as parsed (`http:`/`https:` turned into `ws:`/`wss:`). */
  readonly url: string;
  #life: Life;
  #protocol = '';
  #extensions = '';
  #binaryType: BinaryType = 'blob';
  /** Bytes given to `send` after the connection started closing (WHATWG: they still count). */
  #discarded = 0;
  readonly #options: NodeWebSocketOptions;
  readonly #attributes = new Map<string, { handler: Listener; listener: (event: Event) => void }>();

  /**
   * Starts connecting. Throws a `SyntaxError` DOMException for a URL that is not `ws:`/`wss:`
   * (or `http:`/`https:`) or has a fragment, and for invalid subprotocols; a TypeError for
   * invalid `options.headers`. `options` may also come second, as with ws.
   */
  constructor(url: string | URL, protocols?: string | readonly string[] | NodeWebSocketOptions, options: NodeWebSocketOptions = {}) {
    super();
    if (protocols !== undefined && typeof protocols !== 'string' && !Array.isArray(protocols)) {
      options = protocols as NodeWebSocketOptions;
      protocols = undefined;
    }
    const parsed = parseUrl(url);
    this.url = parsed.href;
    const list = protocols === undefined ? [] : typeof protocols === 'string' ? [protocols] : [...(protocols as readonly string[])];
    try {
      assertValidProtocols(list);
    } catch (err) {
      throw new DOMException((err as Error).message, 'SyntaxError');
    }
    this.#options = options;
    const done = (result: HandshakeResult): void => this.#onHandshake(result);
    const handshake = options.http2 === true ? new Http2Handshake(parsed, list, options, done) : new Handshake(parsed, list, options, done);
    this.#life = { kind: 'connecting', handshake };
  }

  /** CONNECTING (0), OPEN (1), CLOSING (2: either side started closing) or CLOSED (3). */
  get readyState(): number {
    const life = this.#life;
    switch (life.kind) {
      case 'connecting':
        return WebSocket.CONNECTING;
      case 'open':
        // The server's close frame (or a failure) already ended sending: closing until TCP is gone.
        return life.connection.canSend ? WebSocket.OPEN : WebSocket.CLOSING;
      case 'closing':
        return WebSocket.CLOSING;
      default:
        return WebSocket.CLOSED;
    }
  }

  /** The subprotocol the server chose (`''` for none). */
  get protocol(): string {
    return this.#protocol;
  }

  /** The extensions the server accepted (`''` for none). */
  get extensions(): string {
    return this.#extensions;
  }

  get binaryType(): BinaryType {
    return this.#binaryType;
  }

  set binaryType(value: BinaryType) {
    // WHATWG: an unknown value is ignored.
    if (value === 'blob' || value === 'arraybuffer' || value === 'nodebuffer') this.#binaryType = value;
  }

  /** Bytes queued but not yet handed to the OS (plus, once closing, what `send` discarded). */
  get bufferedAmount(): number {
    const life = this.#life;
    const queued = life.kind === 'open' || (life.kind === 'closing' && life.connection !== undefined) ? life.connection!.bufferedAmount : 0;
    return queued + this.#discarded;
  }

  /**
   * Sends a message: a string as text, an ArrayBuffer or a view (Buffer…) as binary. Throws an
   * `InvalidStateError` DOMException while CONNECTING; once closing, the data is discarded.
   */
  send(data: string | ArrayBuffer | ArrayBufferView): void {
    const life = this.#life;
    if (life.kind === 'connecting') throw new DOMException('WebSocket is still CONNECTING', 'InvalidStateError');
    const [bytes, isBinary] = toPayload(typeof data === 'string' || typeof data === 'object' ? data : String(data));
    if (life.kind !== 'open' || !life.connection.canSend) {
      this.#discarded += bytes.length;
      return;
    }
    life.connection.send(bytes, isBinary);
  }

  /** Node only: sends a ping (at most 125 bytes); a `pong` event answers. Ignored once closing. */
  ping(data: string | ArrayBuffer | ArrayBufferView = Buffer.alloc(0)): void {
    this.#control('ping', data);
  }

  /** Node only: sends an unsolicited pong (at most 125 bytes). */
  pong(data: string | ArrayBuffer | ArrayBufferView = Buffer.alloc(0)): void {
    this.#control('pong', data);
  }

  /**
   * Starts the closing handshake; while CONNECTING, abandons the attempt (`error`, then `close`
   * with 1006). Unlike a browser, any code RFC 6455 allows on the wire is accepted (a browser
   * only 1000 and 3000-4999); others throw an `InvalidAccessError`, a reason over 123 UTF-8
   * bytes a `SyntaxError`.
   */
  close(code?: number, reason?: string): void {
    if (code !== undefined && !isValidWireCloseCode(code)) throw new DOMException(`Close code ${code} may not be sent`, 'InvalidAccessError');
    if (reason !== undefined && Buffer.byteLength(reason) > 123) throw new DOMException('The close reason is longer than 123 bytes', 'SyntaxError');
    const life = this.#life;
    switch (life.kind) {
      case 'connecting':
        this.#life = { kind: 'closing', connection: undefined };
        return life.handshake.abort(new HandshakeError(ErrorCodes.HandshakeAborted, 'WebSocket was closed before the connection was established'));
      case 'open':
        this.#life = { kind: 'closing', connection: life.connection };
        return life.connection.close(code, reason ?? '');
      default:
        return;
    }
  }

  /** Node only: drops the connection at once, without a closing handshake (`close` reports 1006). */
  terminate(): void {
    const life = this.#life;
    if (life.kind === 'connecting') return this.close();
    if (life.kind === 'open' || life.kind === 'closing') life.connection?.terminate();
  }

  #control(kind: 'ping' | 'pong', data: string | ArrayBuffer | ArrayBufferView): void {
    const life = this.#life;
    if (life.kind === 'connecting') throw new DOMException('WebSocket is still CONNECTING', 'InvalidStateError');
    if (life.kind === 'open') life.connection.control(kind, toPayload(data)[0]);
  }

  #onHandshake(result: HandshakeResult): void {
    if (result.kind === 'failed') {
      this.#life = { kind: 'closed' };
      this.dispatchEvent(new ErrorEvent('error', { error: result.error }));
      this.dispatchEvent(new CloseEvent('close', { code: 1006, reason: '', wasClean: false }));
      return;
    }
    const maxPayload = this.#options.maxPayload ?? DEFAULTS.maxPayload;
    const deflate = result.deflate;
    const codec =
      deflate === undefined
        ? undefined
        : new PerMessageDeflate({ role: 'client', params: deflate.params, maxPayload, level: deflate.options.level, memLevel: deflate.options.memLevel, threshold: deflate.options.threshold });
    const connection = new ClientConnection(
      result.socket,
      { maxPayload, maxFragments: this.#options.maxFragments ?? DEFAULTS.maxFragments, closeTimeout: this.#options.closeTimeout ?? DEFAULTS.closeTimeout, codec },
      {
        message: (data, isBinary) => this.dispatchEvent(new MessageEvent('message', { data: isBinary ? this.#binary(data) : toBuffer(data).toString('utf8') })),
        ping: (payload) => this.dispatchEvent(new MessageEvent('ping', { data: Buffer.from(payload) })),
        pong: (payload) => this.dispatchEvent(new MessageEvent('pong', { data: Buffer.from(payload) })),
        error: (error) => this.dispatchEvent(new ErrorEvent('error', { error })),
        closed: (code, reason, wasClean) => {
          this.#life = { kind: 'closed' };
          this.dispatchEvent(new CloseEvent('close', { code, reason, wasClean }));
        },
      },
    );
    this.#protocol = result.protocol;
    this.#extensions = result.extensions;
    this.#life = { kind: 'open', connection };
    this.dispatchEvent(new Event('open'));
    connection.start(result.rest);
  }

  #binary(data: Uint8Array): Blob | ArrayBuffer | Buffer {
    switch (this.#binaryType) {
      case 'nodebuffer':
        return toBuffer(data);
      case 'arraybuffer':
        // A view of a larger buffer (a socket chunk) is copied out; a whole buffer is handed over.
        // (By hand: a Buffer's slice() is a view of the whole chunk, not a copy.)
        if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength) return data.buffer as ArrayBuffer;
        return copyOf(data).buffer;
      default:
        return new Blob([data as Uint8Array<ArrayBuffer>]);
    }
  }

  #attribute(type: string): Listener {
    return this.#attributes.get(type)?.handler ?? null;
  }

  #setAttribute(type: string, handler: Listener): void {
    const old = this.#attributes.get(type);
    if (old !== undefined) this.removeEventListener(type, old.listener);
    this.#attributes.delete(type);
    if (typeof handler !== 'function') return;
    const listener = (event: Event): void => handler.call(this, event);
    this.#attributes.set(type, { handler, listener });
    this.addEventListener(type, listener);
  }

  get onopen(): Listener {
    return this.#attribute('open');
  }
  set onopen(handler: Listener) {
    this.#setAttribute('open', handler);
  }
  get onmessage(): Listener {
    return this.#attribute('message');
  }
  set onmessage(handler: Listener) {
    this.#setAttribute('message', handler);
  }
  get onerror(): Listener {
    return this.#attribute('error');
  }
  set onerror(handler: Listener) {
    this.#setAttribute('error', handler);
  }
  get onclose(): Listener {
    return this.#attribute('close');
  }
  set onclose(handler: Listener) {
    this.#setAttribute('close', handler);
  }
}

function copyOf(data: Uint8Array): Uint8Array<ArrayBuffer> {
  const copy = new Uint8Array(data.byteLength);
  copy.set(data);
  return copy;
}

/** WHATWG "obtain a WebSocket URL": ws/wss (http/https mapped), no fragment, else a SyntaxError. */
function parseUrl(url: string | URL): URL {
  let parsed: URL;
  try {
    parsed = new URL(String(url));
  } catch {
    throw new DOMException(`Invalid URL ${JSON.stringify(String(url))}`, 'SyntaxError');
  }
  if (parsed.protocol === 'http:') parsed.protocol = 'ws:';
  else if (parsed.protocol === 'https:') parsed.protocol = 'wss:';
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') throw new DOMException(`The URL's scheme must be ws or wss, not ${parsed.protocol}`, 'SyntaxError');
  if (parsed.hash !== '') throw new DOMException('The URL contains a fragment', 'SyntaxError');
  return parsed;
}
