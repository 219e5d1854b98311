/**
 * The options, defaults and events of the ws-style {@link WebSocketServer} (kept apart from the
 * class so the server file holds behaviour only).
 */
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { SecureServerOptions } from 'node:http2';
import type { HandshakeOptions, HandshakeRefusal } from './handshake.js';
import type { Http2WebSocketHost } from './http2-upgrade.js';
import type { PerMessageDeflateOptions } from './permessage-deflate.js';
import { DEFAULTS as CONNECTION_DEFAULTS } from './server-connection-options.js';
import type { ServerConnectionOptions } from './server-connection-options.js';
import type { ServerConnection } from './server-connection.js';

/** Defaults of {@link WebSocketServerOptions}. */
export const DEFAULTS = Object.freeze({
  /**
   * From TCP connect (own server) or `handleUpgrade` (attached / noServer) until the 101 is
   * written; a slower client (slow-loris) is dropped, in ms. @default 10000
   */
  handshakeTimeout: 10_000,
  /** Largest request head on a server we create; more is answered with 431. @default 16384 */
  maxHeaderBytes: 16 * 1024,
  /** Most request headers read on a server we create (Node ignores the rest). @default 100 */
  maxHeadersCount: 100,
  /** How long a closing handshake may take before the socket is destroyed, in ms. @default 30000 */
  closeTimeout: CONNECTION_DEFAULTS.closeTimeout,
  /** @default 104857600 (100 MiB) */
  maxPayload: CONNECTION_DEFAULTS.maxPayload,
  /** @default 100000 */
  maxFragments: CONNECTION_DEFAULTS.maxFragments,
});

/** The connection limits every accepted connection gets, declared once (ServerConnectionOptions). */
type ConnectionLimits = Pick<ServerConnectionOptions, 'maxPayload' | 'maxFragments' | 'closeTimeout'>;

/** Options of {@link WebSocketServer}: exactly one of `port`, `server` or `noServer`. */
export interface WebSocketServerOptions extends HandshakeOptions, ConnectionLimits {
  /** Listen on this port (0 picks a free one); the server creates its own `http.Server`. */
  readonly port?: number | undefined;
  /** Host to listen on with `port`. @default all interfaces */
  readonly host?: string | undefined;
  /**
   * Attach to this server: its `upgrade` event (HTTP/1.1) and, for a `node:http2` server, the
   * extended CONNECT of RFC 8441 (WebSocket over HTTP/2; see {@link WebSocketServerOptions.http2}).
   */
  readonly server?: HttpServer | Http2WebSocketHost | undefined;
  /**
   * With `port`: serve TLS (`wss://`) on a `node:http2` secure server created with these options
   * (`key`, `cert`, …), speaking HTTP/2 and, through `allowHTTP1`, HTTP/1.1 on the same port.
   */
  readonly tls?: SecureServerOptions | undefined;
  /**
   * Accept WebSockets over HTTP/2 (RFC 8441) when the server is a `node:http2` one: advertise
   * `SETTINGS_ENABLE_CONNECT_PROTOCOL` and answer extended CONNECTs. `false` leaves HTTP/2 alone
   * (browsers then open their WebSocket over HTTP/1.1, which needs `allowHTTP1`). @default true
   */
  readonly http2?: boolean | undefined;
  /** Create no server: call {@link WebSocketServer.handleUpgrade} yourself. */
  readonly noServer?: boolean | undefined;
  /** Accept upgrades only for this pathname (query ignored). */
  readonly path?: string | undefined;
  /** In ms. @default DEFAULTS.handshakeTimeout (10000) */
  readonly handshakeTimeout?: number | undefined;
  readonly maxHeaderBytes?: number | undefined;
  /**
   * permessage-deflate (RFC 7692): `true` for the defaults, an object to tune it, `false` (the
   * default) to decline it. Built on `negotiateExtensions`, so the two cannot be combined.
   * `maxPayload` then limits the inflated size. See docs/permessage-deflate.md.
   */
  readonly perMessageDeflate?: boolean | PerMessageDeflateOptions | undefined;
}

/** Events of a {@link WebSocketServer}. */
export interface WebSocketServerEvents {
  /** Over HTTP/2 `request` is an `Http2ServerRequest` (see `isHttp2Request`), typed as its HTTP/1.1 twin. */
  connection: [socket: ServerConnection, request: IncomingMessage];
  listening: [];
  /** A listen error, or an exception thrown by a `connection`/`headers` listener. */
  error: [err: Error];
  /** The 101 response lines, just before they are written: push extra headers here. */
  headers: [headers: string[], request: IncomingMessage];
  /** A handshake was refused (for logs and metrics); the response is already on its way. */
  refused: [refusal: HandshakeRefusal, request: IncomingMessage];
  close: [];
}
