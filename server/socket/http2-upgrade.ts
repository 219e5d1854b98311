/**
 * WebSocket over HTTP/2 (RFC 8441) for the ws-style server: the extended CONNECT on a
 * `node:http2` server, as a thin adapter over the same pure rules and application gate as the
 * HTTP/1.1 Upgrade (handshake.ts's `negotiate`), answered with `:status 200` or a refusal, after
 * which the `Http2Stream` (a Duplex) is driven by the same `ServerConnection` as a TCP socket.
 *
 * One {@link Http2Dispatcher} per HTTP/2 server, whatever the number of WebSocket servers
 * attached to it (each with its own path): it advertises `SETTINGS_ENABLE_CONNECT_PROTOCOL`
 * while at least one is attached (RFC 8441 §3), claims every extended CONNECT and routes it by
 * `:path`. Other streams (GET, plain CONNECT) stay the application's.
 */
import { Buffer } from 'node:buffer';
import { Http2ServerRequest, constants } from 'node:http2';
import type { Http2SecureServer, Http2Server, Http2ServerResponse, Http2Session, IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { ErrorCodes, TandemError } from '../../src/errors.js';
import { isSafeHeaderValue } from '../../src/rfc6455/http-headers.js';
import { isToken } from '../../src/rfc6455/http-token.js';
import { acceptUpgrade } from '../../src/rfc6455/upgrade.js';
import { abortTransport } from '../../node/abort-transport.js';
import { sha1Base64 } from '../../node/sha1.js';
import { isRefusal, negotiate, refusal } from './handshake.js';
import type { HandshakeAccepted, HandshakeOptions, HandshakeRefusal } from './handshake.js';

/** A `node:http2` server a WebSocket server can attach to (TLS, or cleartext h2c). */
export type Http2WebSocketHost = Http2SecureServer | Http2Server;

/** Tells an HTTP/2 server (which has `updateSettings`) from an HTTP/1.1 one. */
export function isHttp2Server(server: unknown): server is Http2WebSocketHost {
  return typeof server === 'object' && server !== null && typeof (server as { updateSettings?: unknown }).updateSettings === 'function';
}

/** Over HTTP/2 the upgrade request is an `Http2ServerRequest` (`httpVersionMajor` 2, `stream`). */
export function isHttp2Request(req: IncomingMessage | Http2ServerRequest): req is Http2ServerRequest {
  return req.httpVersionMajor >= 2 && 'stream' in req;
}

/** One attached WebSocket server's share of an HTTP/2 server. */
export interface Http2Route {
  /** Does this route serve the request's `:path` (the `path` option)? */
  shouldHandle(req: IncomingMessage): boolean;
  /** An extended CONNECT for this route arrived: negotiate and answer it. */
  accept(stream: ServerHttp2Stream, req: Http2ServerRequest): void;
}

/** Header names RFC 9113 §8.2.2 forbids in HTTP/2 (Node throws on them): dropped from refusals. */
const CONNECTION_SPECIFIC = new Set(['connection', 'upgrade', 'keep-alive', 'proxy-connection', 'transfer-encoding']);

/**
 * Answers `r` on `stream` (status, reason as a plain-text body) and closes it. Never throws: a
 * status HTTP/2 cannot carry (1xx from a hook) becomes a 500.
 */
export function respondRefusal(stream: ServerHttp2Stream, r: HandshakeRefusal): void {
  if (stream.destroyed || stream.closed) return;
  if (stream.headersSent) return void stream.close(constants.NGHTTP2_INTERNAL_ERROR);
  const body = Buffer.from(r.reason, 'utf8');
  const headers: Record<string, string | number> = {};
  for (const [name, value] of Object.entries(r.headers)) {
    const lower = name.toLowerCase();
    if (isToken(lower) && isSafeHeaderValue(value) && !CONNECTION_SPECIFIC.has(lower)) headers[lower] = value;
  }
  try {
    stream.respond({ ...headers, ':status': r.status, 'content-type': 'text/plain; charset=utf-8', 'content-length': body.length });
  } catch {
    if (r.status !== 500) return respondRefusal(stream, refusal(500, 'Invalid refusal status'));
    return void stream.close(constants.NGHTTP2_INTERNAL_ERROR);
  }
  // RFC 9113 §8.1: after a complete response the server may stop the request with NO_ERROR,
  // so a client still streaming WebSocket frames does not keep the stream half open.
  stream.end(body, () => {
    if (!stream.closed) stream.close(constants.NGHTTP2_NO_ERROR);
  });
}

/** Who is on the other end of an extended CONNECT: what the HTTP/2 answer needs of its server. */
export interface Http2UpgradeHost {
  /** False once the server is closing (answered 503). */
  accepting(): boolean;
  /** The server's handshake options (origins, hooks, extensions). */
  handshake(): HandshakeOptions;
  /** A stream not answered within this many ms is reset (as the HTTP/1.1 handshake timer). */
  handshakeTimeout(): number;
  /** A refusal was answered (for logs and metrics). */
  refused(r: HandshakeRefusal, req: Http2ServerRequest): void;
  /** The 200 was sent: take the stream over (the ServerConnection, `connection`). */
  adopt(stream: ServerHttp2Stream, outcome: HandshakeAccepted, req: Http2ServerRequest): void;
}

/**
 * Negotiates one extended CONNECT with the same rules and hooks as an HTTP/1.1 upgrade, then
 * answers `:status 200` with the chosen subprotocol and extensions (RFC 8441 §5: no accept key)
 * and hands the stream over, or answers the refusal. Never rejects.
 */
export async function upgradeHttp2Stream(stream: ServerHttp2Stream, req: Http2ServerRequest, host: Http2UpgradeHost): Promise<void> {
  // A reset or a session that died during the handshake: the 'close' below settles it.
  stream.on('error', ignoreError);
  const timer = setTimeout(destroyStream, host.handshakeTimeout(), stream);
  timer.unref();
  const secure = (stream.session?.socket as { encrypted?: unknown } | undefined)?.encrypted === true;
  // The hooks are typed for IncomingMessage; Http2ServerRequest is Node's compatible shape of it.
  let outcome = host.accepting() ? await negotiate(req as unknown as IncomingMessage, secure, host.handshake()) : refusal(503, 'Server is closing');
  clearTimeout(timer);
  if (!host.accepting() && !isRefusal(outcome)) {
    // close() ran while an async hook was pending: it may already have reported zero clients.
    outcome.codec?.close();
    outcome = refusal(503, 'Server is closing');
  }
  if (stream.destroyed || stream.closed || stream.headersSent) {
    // Gone, or answered by someone else (an application 'stream' listener): nothing to adopt.
    if (!isRefusal(outcome)) outcome.codec?.close();
    return;
  }
  if (isRefusal(outcome)) {
    host.refused(outcome, req);
    return respondRefusal(stream, outcome);
  }
  const accepted = acceptUpgrade({ key: undefined }, { protocol: outcome.protocol, extensions: outcome.extensions }, sha1Base64);
  try {
    // HPACK would carry a CR or LF that nghttp2 does not check on the way out: refuse it here.
    for (const value of Object.values(accepted.headers)) {
      if (!isSafeHeaderValue(value)) throw new TandemError(ErrorCodes.InvalidArgument, `Handshake answer header value ${JSON.stringify(value)} has CR, LF or NUL`);
    }
    stream.respond({ ...accepted.headers, ':status': accepted.status });
  } catch (cause) {
    // A header value Node refuses (from a custom negotiateExtensions): a 500 carrying why, as a hook that throws.
    outcome.codec?.close();
    const failed: HandshakeRefusal = { ...refusal(500, 'Invalid handshake answer'), cause };
    host.refused(failed, req);
    return respondRefusal(stream, failed);
  }
  stream.off('error', ignoreError);
  host.adopt(stream, outcome, req);
}

function ignoreError(): void {}

/** RFC 8441 §4: a CONNECT carrying `:protocol`. Only those are ours; a GET or a plain CONNECT is the application's. */
function isExtendedConnect(headers: IncomingHttpHeaders): boolean {
  return headers[':method'] === 'CONNECT' && headers[':protocol'] !== undefined;
}

function destroyStream(stream: ServerHttp2Stream): void {
  abortTransport(stream);
}

/** The extended CONNECT routing of one HTTP/2 server (shared by the WebSocket servers on it). */
class Http2Dispatcher {
  readonly #server: Http2WebSocketHost;
  readonly #routes = new Set<Http2Route>();
  /** Sessions that were told extended CONNECT works: they may still use it after a detach. */
  readonly #advertised = new Set<Http2Session>();

  constructor(server: Http2WebSocketHost) {
    this.#server = server;
    server.on('stream', this.#onStream);
    server.on('connect', this.#onConnect);
    server.on('session', this.#onSession);
  }

  add(route: Http2Route): void {
    this.#routes.add(route);
    // RFC 8441 §3: the setting goes out in every new session's SETTINGS while a route exists.
    if (this.#routes.size === 1) this.#server.updateSettings({ enableConnectProtocol: true });
  }

  /** Removes `route`; returns true once the dispatcher is gone from its server. */
  remove(route: Http2Route): boolean {
    if (!this.#routes.delete(route) || this.#routes.size > 0) return false;
    // §3 forbids taking the setting back within a session: only new sessions go without it.
    this.#server.updateSettings({ enableConnectProtocol: false });
    return this.#maybeUninstall();
  }

  #maybeUninstall(): boolean {
    if (this.#routes.size > 0 || this.#advertised.size > 0) return false;
    this.#server.off('stream', this.#onStream);
    this.#server.off('connect', this.#onConnect);
    this.#server.off('session', this.#onSession);
    dispatchers.delete(this.#server);
    return true;
  }

  #onSession = (session: Http2Session): void => {
    if (this.#routes.size === 0) return;
    this.#advertised.add(session);
    session.once('close', () => {
      this.#advertised.delete(session);
      this.#maybeUninstall();
    });
  };

  #onStream = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, _flags: number, rawHeaders?: string[]): void => {
    if (!isExtendedConnect(headers)) return;
    const req = new Http2ServerRequest(stream, headers, {}, rawHeaders ?? []);
    for (const route of this.#routes) {
      if (route.shouldHandle(req as unknown as IncomingMessage)) return route.accept(stream, req);
    }
    respondRefusal(stream, this.#routes.size === 0 ? refusal(503, 'No WebSocket server attached') : refusal(404, 'Unknown path'));
  };

  /**
   * With a `request` listener, Node's compatibility layer also sees each CONNECT stream and
   * emits 'connect' (before or after our 'stream' listener runs), answering 405 when nobody
   * listens: this listener keeps our streams away from that default and reproduces it for the
   * others when it is the only listener.
   */
  #onConnect = (req: IncomingMessage | Http2ServerRequest, resOrSocket: Http2ServerResponse | Duplex): void => {
    const stream = (req as { stream?: ServerHttp2Stream }).stream;
    if (stream !== undefined && isExtendedConnect(req.headers)) return;
    if (this.#server.listenerCount('connect') > 1) return;
    if (stream !== undefined) {
      const res = resOrSocket as Http2ServerResponse;
      res.statusCode = 405;
      res.end();
    } else {
      (resOrSocket as Duplex).destroy(); // Node's answer to an HTTP/1.1 CONNECT nobody handles
    }
  };
}

const dispatchers = new WeakMap<Http2WebSocketHost, Http2Dispatcher>();

/** An attachment of one route to an HTTP/2 server; `detach()` undoes it (idempotent). */
export interface Http2Attachment {
  detach(): void;
}

/**
 * Attaches `route` to `server`: from now on new sessions are told extended CONNECT works and
 * extended CONNECTs for the route's path reach `route.accept`.
 */
export function attachHttp2(server: Http2WebSocketHost, route: Http2Route): Http2Attachment {
  let dispatcher = dispatchers.get(server);
  if (dispatcher === undefined) {
    dispatcher = new Http2Dispatcher(server);
    dispatchers.set(server, dispatcher);
  }
  dispatcher.add(route);
  let attached = true;
  return {
    detach() {
      if (!attached) return;
      attached = false;
      dispatcher.remove(route);
    },
  };
}
