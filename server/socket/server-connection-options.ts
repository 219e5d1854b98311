/**
 * The public vocabulary of a {@link ServerConnection}: its options, defaults, `readyState`
 * values, send options and events (`ws`'s signatures). Kept apart so the connection file holds
 * only behaviour.
 */
import type { Buffer } from 'node:buffer';
import { DEFAULTS as ENGINE_DEFAULTS } from '../../src/rfc6455/constants.js';
import type { MessageCodec } from '../../node/message-codec-queue.js';

/** `readyState` values, the same numbers as the browser's and `ws`'s. */
export const ReadyStates = Object.freeze({ CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 } as const);

/** One of {@link ReadyStates}. */
export type ReadyState = (typeof ReadyStates)[keyof typeof ReadyStates];

/** Defaults of {@link ServerConnectionOptions} (the compression threshold is the codec's: `PerMessageDeflate`). */
export const DEFAULTS = Object.freeze({
  /** How long to wait for the peer to finish the closing handshake before destroying the socket, in ms. @default 30000 */
  closeTimeout: 30_000,
  /** @default 104857600 (100 MiB), as the engine and `ws`. */
  maxPayload: ENGINE_DEFAULTS.maxPayload,
  /** @default 100000 */
  maxFragments: ENGINE_DEFAULTS.maxFragments,
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
  /** In ms. @default DEFAULTS.closeTimeout (30000) */
  readonly closeTimeout?: number | undefined;
  /** Told when the connection closed, before `close` is emitted (the server's client tracking). */
  readonly owner?: ConnectionOwner | undefined;
}

/**
 * Tracks connections without a closure per connection. `Connection` is the `ServerConnection`
 * (a parameter, so this file of types never imports the class that imports it).
 */
export interface ConnectionOwner<Connection extends object = object> {
  /** The TCP connection is gone. */
  connectionClosed(connection: Connection): void;
}

/** Options of {@link ServerConnection.send}. */
export interface ServerSendOptions {
  /** Send as binary; by default strings are text and bytes are binary. */
  readonly binary?: boolean;
  /** `false` sends a fragment; the next `send` continues the message. @default true */
  readonly fin?: boolean;
  /** Compress when a codec was negotiated. @default true (at or above the codec's `threshold`) */
  readonly compress?: boolean;
}

/** A callback told when the data was handed to the OS (or why not). */
export type SendCallback = (err?: Error | null) => void;

/** Events of a {@link ServerConnection}, with `ws`'s signatures. */
export interface ServerConnectionEvents {
  message: [data: Buffer, isBinary: boolean];
  /**
   * The TCP connection is gone: the close frame's code and reason, else 1006 — with the reason
   * `ERR_CLOSE_TIMEOUT` when the peer did not finish the closing handshake within `closeTimeout`.
   */
  close: [code: number, reason: Buffer];
  /** The peer broke the protocol (a `ProtocolError` with `code` and `closeCode`); `close` follows. */
  error: [err: Error];
  ping: [data: Buffer];
  pong: [data: Buffer];
  drain: [];
}
