/**
 * The event objects the Node `WebSocket` dispatches, shaped as the WHATWG ones (`MessageEvent`'s
 * `data`, `CloseEvent`'s `code`/`reason`/`wasClean`, an `ErrorEvent` carrying the `error`), on
 * Node's own `Event`. Node 20 has no global `CloseEvent` or `ErrorEvent`, hence these classes.
 */

/** A message (or, for the Node-only `ping`/`pong` events, a control frame's payload). */
export class MessageEvent<T = unknown> extends Event {
  readonly data: T;

  constructor(type: string, init: { data: T }) {
    super(type);
    this.data = init.data;
  }
}

/** The connection closed: the close code and reason, and whether the closing handshake completed. */
export class CloseEvent extends Event {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;

  constructor(type: string, init: { code: number; reason: string; wasClean: boolean }) {
    super(type);
    this.code = init.code;
    this.reason = init.reason;
    this.wasClean = init.wasClean;
  }
}

/**
 * The connection failed. Unlike a browser's bare `error` event, it says why: `error` is a
 * `HandshakeError` (with `code`, the HTTP `status`, the Node error as `cause`), a
 * `ProtocolError` (with `closeCode`), or the socket's error (`ECONNRESET`…).
 */
export class ErrorEvent extends Event {
  readonly error: Error;
  readonly message: string;

  constructor(type: string, init: { error: Error }) {
    super(type);
    this.error = init.error;
    this.message = init.error.message;
  }
}
