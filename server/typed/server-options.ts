/**
 * Options of `createServer` and their defaults (the types only, plus the mapping onto the
 * low-level server's options). What the hooks see and throw lives in auth.ts.
 */
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { SecureServerOptions } from 'node:http2';
import type { Http2WebSocketHost } from '../socket/http2-upgrade.js';
import type { AdapterFactory } from './adapter.js';
import type { ResumeOptions } from './session/resume-options.js';
import type { Peer } from './peer.js';
import type { BackpressureOptions } from './backpressure.js';
import type { PerMessageDeflateOptions } from '../socket/permessage-deflate.js';
import type { WebSocketServerOptions } from '../socket/websocket-server.js';
import type { AuthRequest, Verdict } from './auth.js';
import type { Codec } from '../../src/codec.js';
import type { Logger } from '../../src/logger.js';
import type { Scheduler } from '../../src/scheduler.js';
import type { ContractSchemas } from '../../src/validate.js';

/** Server-side liveness: protocol pings (RFC 6455 §5.5.2) from one sweep timer. */
export interface ServerHeartbeatOptions {
  /** Time between pings to a peer, in ms. @default 25000 */
  readonly interval?: number;
  /** Time a peer has to answer a ping before it is terminated, in ms. @default 10000 */
  readonly timeout?: number;
}

/** Options of `createServer<Contract, Identity, Data>()`. */
export interface ServerOptions<C, Identity = unknown, Data extends object = Record<string, unknown>> {
  // — where to listen: exactly one of port, server, noServer (as `WebSocketServer`) —
  /** Listen on this port (0: any free port). */
  readonly port?: number;
  /** @default '::' (all interfaces), as node:http does */
  readonly host?: string;
  /**
   * Attach to an existing HTTP server (its `'upgrade'` event), or a `node:http2` one: then
   * WebSockets also come over HTTP/2 (RFC 8441 extended CONNECT; see docs/server.md).
   */
  readonly server?: HttpServer | Http2WebSocketHost;
  /**
   * With `port`: serve `wss://` on an HTTP/2 secure server made with these TLS options (`key`,
   * `cert`, …), which also speaks HTTP/1.1 on the same port.
   */
  readonly tls?: SecureServerOptions;
  /** Accept WebSockets over HTTP/2 on an HTTP/2 server (`false`: HTTP/1.1 Upgrade only). @default true */
  readonly http2?: boolean;
  /** Only accept upgrades for this path (with `server` or `port`). */
  readonly path?: string;
  /** Neither listen nor attach: call `server.handleUpgrade(req, socket, head)` yourself. */
  readonly noServer?: boolean;
  /** permessage-deflate (RFC 7692), off by default; see docs/permessage-deflate.md. */
  readonly perMessageDeflate?: boolean | PerMessageDeflateOptions;

  // — admission, all before the 101 —
  /** Allowed `Origin` values; others get 403. */
  readonly origins?: readonly string[];
  /**
   * Decide who connects: resolve to the peer's identity (`peer.identity`), or throw an
   * {@link AuthenticationError} for a 401/403. Runs before the 101.
   */
  readonly authenticate?: (request: AuthRequest) => Identity | Promise<Identity>;
  /**
   * Check the client's hello `auth` (what the browser client's `auth` option sends, since browsers
   * cannot set handshake headers), after the 101 and before the welcome: resolve to the peer's
   * identity (replacing `authenticate`'s), or throw an {@link AuthenticationError} to close with
   * 4401 (or 4403 for status 403), codes after which the client does not reconnect. Messages
   * arriving meanwhile are held and processed after `'connection'`.
   */
  readonly authenticateHello?: (auth: unknown, peer: Peer<C, Identity, Data>) => Identity | Promise<Identity>;
  /**
   * How long a TCP connection may take to complete its HTTP upgrade; slower ones are dropped
   * before the 101 (slow-loris), in ms. @default 10000
   */
  readonly handshakeTimeout?: number;
  /** More concurrent connections (open or being admitted) are refused with 503. @default Infinity */
  readonly maxConnections?: number;
  /** Largest accepted message; a bigger one fails the connection with 1009. @default 1048576 */
  readonly maxMessageBytes?: number;

  // — the typed layer —
  /** Validators of incoming payloads (Standard Schema v1), the same value the client uses. */
  readonly schemas?: ContractSchemas<C>;
  /** @default jsonCodec */
  readonly codec?: Codec;
  /** How long a new connection may take to send its hello envelope, in ms. @default 10000 */
  readonly helloTimeout?: number;
  /** Default timeout of `peer.request`, in ms. @default 10000 */
  readonly requestTimeout?: number;
  /**
   * Handler calls one peer may have running at once; past it a request is answered at once with
   * the error code `too_many_requests`. @default 1024 (REQUEST_HANDLER_DEFAULTS.maxPendingPerPeer)
   */
  readonly maxPendingRequests?: number;
  /** Liveness pings, or `false` for none. */
  readonly heartbeat?: ServerHeartbeatOptions | false;
  /** The slow-consumer policy. */
  readonly backpressure?: BackpressureOptions;
  /** Room bookkeeping and broadcast. @default memoryAdapter */
  readonly adapter?: AdapterFactory;
  /**
   * Session resume (docs/protocol.md §10, docs/typed-server.md "Session resume"): on by default
   * for clients that ask for it; `false` for plain v1 connections only.
   */
  readonly resume?: ResumeOptions | false;
  /**
   * How long a close handshake may take before the TCP connection is dropped, in ms: for every
   * connection's close (the low-level socket's close timer), a slow consumer's close, and the
   * wait of `close()`. @default 5000
   */
  readonly closeTimeout?: number;
  /** Clock and timers. @default systemScheduler */
  readonly scheduler?: Scheduler;
  /**
   * Where an error is written when no `'error'` listener (on the server or its peer) heard it: a
   * handler or listener that threw, a hook that failed, a slow consumer. `false` for nowhere.
   * @default consoleLogger (one `console.error` line naming the source and the peer)
   */
  readonly logger?: Logger | false;
}

/** Defaults of {@link ServerOptions}. */
export const SERVER_DEFAULTS = Object.freeze({
  /** @default 10000 */
  helloTimeout: 10_000,
  /** @default 10000 */
  handshakeTimeout: 10_000,
  /** @default 5000 */
  closeTimeout: 5_000,
  /** @default 1048576 */
  maxMessageBytes: 1024 * 1024,
});

/**
 * The low-level `WebSocketServer`'s options for a typed server: where to listen, limits, and
 * the timeouts, so there is one default per concept (the socket's close timer is `closeTimeout`,
 * not the low-level 30 s; the upgrade deadline is `handshakeTimeout`).
 */
export function lowLevelOptions<C, Identity, Data extends object>(
  options: ServerOptions<C, Identity, Data>,
  verify: (req: IncomingMessage) => Verdict | Promise<Verdict>,
): WebSocketServerOptions {
  return {
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.host !== undefined ? { host: options.host } : {}),
    ...(options.server !== undefined ? { server: options.server } : {}),
    ...(options.tls !== undefined ? { tls: options.tls } : {}),
    ...(options.http2 !== undefined ? { http2: options.http2 } : {}),
    ...(options.path !== undefined ? { path: options.path } : {}),
    ...(options.noServer ? { noServer: true } : {}),
    ...(options.origins !== undefined ? { origins: options.origins } : {}),
    ...(options.perMessageDeflate !== undefined ? { perMessageDeflate: options.perMessageDeflate } : {}),
    maxPayload: options.maxMessageBytes ?? SERVER_DEFAULTS.maxMessageBytes,
    closeTimeout: options.closeTimeout ?? SERVER_DEFAULTS.closeTimeout,
    handshakeTimeout: options.handshakeTimeout ?? SERVER_DEFAULTS.handshakeTimeout,
    verifyClient: (info) => verify(info.req),
  };
}

/** Options of `server.close()`. */
export interface CloseOptions {
  /** Send 1012 "service restart" instead of 1001 "going away": clients come back after a jittered delay. */
  readonly restart?: boolean;
  /** Overrides `closeTimeout` for this shutdown, in ms. */
  readonly timeout?: number;
}
