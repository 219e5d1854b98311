/**
 * The client's only contact with the network: a thin adapter over a WebSocket constructor
 * (the global one, or one injected for Node or tests). It turns socket events into callbacks
 * and can be detached, after which the socket's late events are ignored.
 */
import { bytesOf } from '../src/json-check.js';
import { connectionError, describeSocketError } from './connection-error.js';
import type { ConnectionError } from './connection-error.js';
import { TandemError } from '../src/errors.js';

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
  /**
   * `error`: why the link ended, when known — the error the socket's last `error` event carried
   * (Tandem's Node WebSocket: a HandshakeError or ProtocolError with its `code`), or, for a socket
   * that never opened, a {@link ConnectionError} saying what the platform let us see.
   */
  onClose(code: number, reason: string, error: unknown): void;
}

const OPEN = 1; // WHATWG WebSocket readyState OPEN

/** One WebSocket connection attempt. */
export class Transport {
  readonly #socket: WebSocketLike;
  #handlers: TransportHandlers | undefined;
  #opened = false;
  /** The socket's last `error` event (its detail, if any, explains the close that follows). */
  #error: unknown;

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
      // With binaryType 'arraybuffer' a binary message is an ArrayBuffer (ws may hand over a view).
      const data = typeof event.data === 'string' ? event.data : bytesOf(event.data);
      if (data !== undefined) this.#handlers?.onMessage(data);
    });
    this.#socket.addEventListener('close', (event: { code?: number; reason?: string }) => {
      const handlers = this.#handlers;
      this.#handlers = undefined;
      const code = event.code ?? 1006;
      const reason = event.reason ?? '';
      handlers?.onClose(code, reason, this.#closeError(url, code, reason));
    });
    // Errors are always followed by 'close', which carries the outcome; what the error said is
    // kept for it. (The listener also keeps an EventEmitter-based socket from throwing.)
    this.#socket.addEventListener('error', (event: unknown) => {
      this.#error = event;
    });
  }

  /** Why the link ended: the transport's own typed error as is, else what can be said of a failed attempt. */
  #closeError(url: string, code: number, reason: string): unknown {
    const raw = (this.#error as { error?: unknown } | undefined)?.error;
    // (Same bundle as Tandem's own Node WebSocket, so instanceof is reliable here.)
    if (raw instanceof TandemError) return raw;
    return this.#opened ? raw : connectionError(url, code, reason, describeSocketError(this.#error));
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
