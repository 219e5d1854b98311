/**
 * The client's only contact with the network: a thin adapter over a WebSocket constructor
 * (the global one, or one injected for Node or tests). It turns socket events into callbacks
 * and can be detached, after which the socket's late events are ignored.
 */
import { isArrayBuffer } from '../src/codec.js';
import { connectionError, describeSocketError } from './connection-error.js';
import type { ConnectionError } from './connection-error.js';

/** The parts of a WHATWG `WebSocket` the client uses (browser, jsdom and `ws` all fit). */
export interface WebSocketLike {
  readonly readyState: number;
  binaryType: string;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
  // `any`: each implementation types its event objects differently; we read data/code/reason only.
  addEventListener(type: string, listener: (event: any) => void): void;
}

/** A `WebSocket` constructor. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** What the transport reports. */
export interface TransportHandlers {
  onOpen(): void;
  onMessage(data: string | Uint8Array): void;
  /** `failure` is set when the socket closed without ever opening: why, as far as it is known. */
  onClose(code: number, reason: string, failure?: ConnectionError): void;
}

const OPEN = 1; // WHATWG WebSocket readyState OPEN

// With binaryType 'arraybuffer' a binary message is an ArrayBuffer (ws may hand over a view).
function toBytes(data: unknown): Uint8Array | undefined {
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return isArrayBuffer(data) ? new Uint8Array(data) : undefined;
}

/** One WebSocket connection attempt. */
export class Transport {
  readonly #socket: WebSocketLike;
  #handlers: TransportHandlers | undefined;
  #opened = false;
  /** What the socket's last `error` event said (Node transports give detail; browsers do not). */
  #failure: ReturnType<typeof describeSocketError>;

  constructor(WebSocketCtor: WebSocketConstructor, url: string, protocols: string | string[] | undefined, handlers: TransportHandlers) {
    this.#handlers = handlers;
    this.#socket = protocols === undefined ? new WebSocketCtor(url) : new WebSocketCtor(url, protocols);
    // arraybuffer, not the default Blob: binary frames are decoded synchronously, in order.
    this.#socket.binaryType = 'arraybuffer';
    this.#socket.addEventListener('open', () => {
      this.#opened = true;
      this.#handlers?.onOpen();
    });
    this.#socket.addEventListener('message', (event: { data: unknown }) => {
      const data = typeof event.data === 'string' ? event.data : toBytes(event.data);
      if (data !== undefined) this.#handlers?.onMessage(data);
    });
    this.#socket.addEventListener('close', (event: { code?: number; reason?: string }) => {
      const handlers = this.#handlers;
      this.#handlers = undefined;
      const code = event.code ?? 1006;
      const reason = event.reason ?? '';
      handlers?.onClose(code, reason, this.#opened ? undefined : connectionError(url, code, reason, this.#failure));
    });
    // Errors are always followed by 'close', which carries the outcome; what the error said is
    // kept for it. (The listener also keeps an EventEmitter-based socket from throwing.)
    this.#socket.addEventListener('error', (event: unknown) => {
      this.#failure = describeSocketError(event) ?? this.#failure;
    });
  }

  /** Is the socket OPEN (sendable)? */
  get isOpen(): boolean {
    return this.#socket.readyState === OPEN;
  }

  /** Sends one message. */
  send(data: string | Uint8Array): void {
    this.#socket.send(data);
  }

  /** Stops reporting events and closes the socket (no-op when it is closing already). */
  dispose(code?: number, reason?: string): void {
    this.#handlers = undefined;
    try {
      if (code === undefined) this.#socket.close();
      else this.#socket.close(code, reason);
    } catch {
      // close() on a socket that is closing or closed is harmless to ignore.
    }
  }
}
