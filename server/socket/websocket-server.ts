/**
 * The ws-style low-level server: listen on a port, attach to an existing `http.Server`, or run
 * with `noServer` and hand it upgrades through {@link WebSocketServer.handleUpgrade}.
 */
import { createServer, STATUS_CODES } from 'node:http';
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2Session, SecureServerOptions, ServerHttp2Stream } from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { EventEmitter } from 'eventemitter3';
import { CloseCodes } from '../../src/close-codes.js';
import { ErrorCodes, StateError, TandemError } from '../../src/errors.js';
import { acceptHeaders, acceptResponse, isRefusal, negotiateNow, refusal, validateUpgrade, writeRefusal } from './handshake.js';
import type { HandshakeAccepted, HandshakeOutcome } from './handshake.js';
import { attachHttp2, isHttp2Server, upgradeHttp2Stream } from './http2-upgrade.js';
import type { Http2Attachment, Http2UpgradeHost, Http2WebSocketHost } from './http2-upgrade.js';
import { createTlsServer } from './tls-server.js';
import { createDeflateNegotiator } from './deflate-negotiator.js';
import type { DeflateTotals } from './deflate-negotiator.js';
import { validateWebSocketServerOptions } from './validate-options.js';
import { serverTrace } from '../trace.js';
import type { ConcurrencyLimiter } from './permessage-deflate.js';
import { ServerConnection } from './server-connection.js';
import { DEFAULTS } from './websocket-server-options.js';
import type { WebSocketServerEvents, WebSocketServerOptions } from './websocket-server-options.js';
import type { ConnectionOwner } from './server-connection.js';

export { DEFAULTS } from './websocket-server-options.js';
export type { WebSocketServerEvents, WebSocketServerOptions } from './websocket-server-options.js';

type ServerState = 'open' | 'closing' | 'closed';
type UpgradeCallback = (socket: ServerConnection, request: IncomingMessage) => void;
/**
 * Handshake timers by socket. A side table rather than a property: adding and deleting a
 * property on the socket would leave every upgraded socket in slow, larger dictionary mode.
 */
const handshakeTimers = new WeakMap<Duplex, ReturnType<typeof setTimeout>>();

function destroySocket(socket: Duplex): void {
  socket.destroy();
}

function destroyThis(this: Duplex): void {
  this.destroy();
}

function startHandshakeTimer(socket: Duplex, ms: number): void {
  if (handshakeTimers.has(socket)) return;
  const timer = setTimeout(destroySocket, ms, socket);
  timer.unref();
  handshakeTimers.set(socket, timer);
}

function clearHandshakeTimer(socket: Duplex): void {
  const timer = handshakeTimers.get(socket);
  if (timer === undefined) return;
  clearTimeout(timer);
  handshakeTimers.delete(socket);
}

/** A WebSocket server with `ws`'s shape, over Tandem's own RFC 6455 engine. */
export class WebSocketServer extends EventEmitter<WebSocketServerEvents> {
  /** Open connections. */
  readonly clients = new Set<ServerConnection>();
  /** The zlib job limiter shared by all connections, when `perMessageDeflate` is on. */
  readonly deflateLimiter: ConcurrencyLimiter | undefined;
  /** Bytes through permessage-deflate over all connections (for metrics), when it is on. */
  readonly deflateTotals: DeflateTotals | undefined;
  readonly #options: WebSocketServerOptions;
  readonly #server: HttpServer | Http2WebSocketHost | undefined;
  readonly #ownsServer: boolean;
  /** The RFC 8441 route on an HTTP/2 server, while attached. */
  #http2: Http2Attachment | undefined;
  /** HTTP/2 sessions of a server we created, closed (GOAWAY) by close(). */
  readonly #sessions = new Set<Http2Session>();
  #state: ServerState = 'open';
  readonly #trace = serverTrace('tandem:socket');
  #serverClosed = false;
  readonly #tracker: ConnectionOwner<ServerConnection> = {
    connectionClosed: (ws) => {
      this.clients.delete(ws);
      this.#maybeClosed();
    },
  };

  constructor(options: WebSocketServerOptions, callback?: () => void) {
    super();
    validateWebSocketServerOptions(options);
    const modes = Number(options.port !== undefined) + Number(options.server !== undefined) + Number(options.noServer === true);
    if (modes !== 1) throw new TandemError(ErrorCodes.InvalidArgument, 'Give exactly one of port, server or noServer');
    if (options.tls !== undefined && options.port === undefined) throw new TandemError(ErrorCodes.InvalidArgument, 'tls goes with port (an attached server has its own TLS)');
    const deflate = createDeflateNegotiator(options.perMessageDeflate, options.maxPayload ?? DEFAULTS.maxPayload);
    if (deflate !== undefined && options.negotiateExtensions !== undefined) {
      throw new TandemError(ErrorCodes.InvalidArgument, 'Give perMessageDeflate or negotiateExtensions, not both');
    }
    this.deflateLimiter = deflate?.limiter;
    this.deflateTotals = deflate?.totals;
    this.#options = deflate === undefined ? options : { ...options, negotiateExtensions: deflate.negotiate };
    this.#ownsServer = options.port !== undefined;
    if (options.port !== undefined && options.tls !== undefined) {
      this.#server = this.#listenTls(options.port, options.host, options.tls);
    } else if (options.port !== undefined) {
      const timeoutMs = options.handshakeTimeout ?? DEFAULTS.handshakeTimeout;
      const server = createServer({
        maxHeaderSize: options.maxHeaderBytes ?? DEFAULTS.maxHeaderBytes,
        headersTimeout: timeoutMs,
        requestTimeout: timeoutMs,
      });
      server.maxHeadersCount = DEFAULTS.maxHeadersCount;
      // Node checks headersTimeout only every few seconds: our own timer drops slow-loris clients on time.
      server.on('connection', (socket: Socket) => startHandshakeTimer(socket, timeoutMs));
      server.on('request', (req: IncomingMessage, res: ServerResponse) => this.#onPlainRequest(req, res));
      server.listen(options.port, options.host);
      this.#server = server;
    } else {
      this.#server = options.server;
    }
    if (this.#server !== undefined) {
      this.#server.on('listening', this.#onListening);
      this.#server.on('error', this.#onServerError);
      this.#server.on('upgrade', this.#onUpgrade);
      if (isHttp2Server(this.#server) && options.http2 !== false) this.#http2 = attachHttp2(this.#server, this.#http2Route);
    }
    if (callback !== undefined) this.once('listening', callback);
  }

  /** The address of the listening server (`port` or `server` mode). */
  address(): AddressInfo | string | null {
    if (this.#server === undefined) throw new StateError('address() is not available with noServer');
    return this.#server.address();
  }

  /**
   * Complete (or refuse) an upgrade. `cb` runs with the new connection right after the 101 is
   * written, before any frame is parsed: within this call unless `verifyClient` answers
   * asynchronously (as `ws`). Never throws; refusals are answered and the socket closed.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, cb: (socket: ServerConnection, request: IncomingMessage) => void): void {
    try {
      if (this.#state !== 'open') return this.#finish(req, socket, head, refusal(503, 'Server is closing'), cb, false);
      const outcome = negotiateNow(req, isSecure(socket), this.#options);
      // Without an asynchronous verifyClient the whole handshake runs now: no promise, no timer.
      if (!(outcome instanceof Promise)) return this.#finish(req, socket, head, outcome, cb, false);
      // verifyClient is still deciding: the socket needs an error listener and a deadline meanwhile.
      socket.on('error', destroyThis);
      startHandshakeTimer(socket, this.#options.handshakeTimeout ?? DEFAULTS.handshakeTimeout);
      outcome.then((o) => this.#finishLater(req, socket, head, o, cb)).catch((err: unknown) => this.#reportError(err));
    } catch (err) {
      this.#reportError(err);
    }
  }

  /** Does this server handle `req` (the `path` option)? */
  shouldHandle(req: IncomingMessage): boolean {
    const path = this.#options.path;
    if (path === undefined) return true;
    const url = req.url ?? '';
    const q = url.indexOf('?');
    return (q === -1 ? url : url.slice(0, q)) === path;
  }

  /**
   * Close every connection with 1001 (Going Away) and stop listening when this server created
   * its http server (an attached one is only detached). `cb` runs once all connections closed.
   */
  close(cb?: () => void): void {
    if (cb !== undefined) this.once('close', cb);
    if (this.#state !== 'open') {
      if (this.#state === 'closed') process.nextTick(() => this.emit('close'));
      return;
    }
    this.#state = 'closing';
    const server = this.#server;
    this.#http2?.detach();
    this.#http2 = undefined;
    if (server !== undefined) {
      server.off('upgrade', this.#onUpgrade);
      server.off('listening', this.#onListening);
      if (!this.#ownsServer) server.off('error', this.#onServerError);
    }
    for (const client of this.clients) client.close(CloseCodes.GoingAway);
    if (this.#ownsServer && server !== undefined) {
      server.close(() => {
        this.#serverClosed = true;
        this.#maybeClosed();
      });
      if ('closeIdleConnections' in server) server.closeIdleConnections();
      // Our HTTP/2 sessions: GOAWAY lets their WebSocket streams finish the 1001 handshake.
      for (const session of this.#sessions) session.close();
    } else {
      this.#serverClosed = true;
    }
    this.#maybeClosed();
  }

  #maybeClosed(): void {
    if (this.#state !== 'closing' || !this.#serverClosed || this.clients.size > 0) return;
    this.#state = 'closed';
    if (this.#ownsServer) this.#server?.off('error', this.#onServerError);
    this.emit('close');
  }

  /** The end of an asynchronous verifyClient: the server may have started closing meanwhile. */
  #finishLater(req: IncomingMessage, socket: Duplex, head: Buffer, outcome: HandshakeOutcome, cb: UpgradeCallback): void {
    // close() may have run while an async verifyClient was pending: it already sent 1001 to every
    // client and may have reported 0 clients, so this handshake must not complete.
    if (this.#state !== 'open' && !isRefusal(outcome)) {
      outcome.codec?.close();
      outcome = refusal(503, 'Server is closing');
    }
    this.#finish(req, socket, head, outcome, cb, true);
  }

  /**
   * Answers the handshake: a refusal, or the 101 and the new connection. `guarded`: the socket
   * already has the handshake's error listener (an asynchronous verifyClient ran); otherwise one is
   * added only where user code runs before the connection's own listeners exist.
   */
  #finish(req: IncomingMessage, socket: Duplex, head: Buffer, outcome: HandshakeOutcome, cb: UpgradeCallback, guarded: boolean): void {
    if (socket.destroyed) {
      // Timed out or gone while verifyClient ran: the negotiated codec has no connection to close it.
      if (!isRefusal(outcome)) outcome.codec?.close();
      return;
    }
    clearHandshakeTimer(socket);
    if (isRefusal(outcome)) {
      if (!guarded) socket.on('error', destroyThis);
      if (this.#trace.enabled) this.#trace(`refused ${outcome.status} ${outcome.reason} ${req.url ?? ''} from ${req.socket.remoteAddress ?? '?'}`);
      this.emit('refused', outcome, req);
      return writeRefusal(socket, outcome);
    }
    if (this.listenerCount('headers') > 0) {
      if (!guarded) socket.on('error', destroyThis);
      guarded = true;
      const headers = acceptHeaders(outcome.key, outcome.protocol, outcome.extensions);
      try {
        this.emit('headers', headers, req);
      } catch (err) {
        // No 101 went out and no connection will own the socket: close it, then report.
        outcome.codec?.close();
        socket.destroy();
        throw err;
      }
      socket.write(`${headers.join('\r\n')}\r\n\r\n`);
    } else {
      socket.write(acceptResponse(outcome.key, outcome.protocol, outcome.extensions));
    }
    if (guarded) socket.off('error', destroyThis);
    this.#adopt(socket, head, outcome, req, cb);
  }

  /** The answer is written: the same connection over a TCP socket or an HTTP/2 stream. */
  #adopt(socket: Duplex, head: Buffer, outcome: HandshakeAccepted, req: IncomingMessage, cb: (s: ServerConnection, r: IncomingMessage) => void): void {
    const ws = new ServerConnection(socket, head, {
      protocol: outcome.protocol,
      extensions: outcome.extensions,
      codec: outcome.codec,
      maxPayload: this.#options.maxPayload ?? DEFAULTS.maxPayload,
      maxFragments: this.#options.maxFragments ?? DEFAULTS.maxFragments,
      closeTimeout: this.#options.closeTimeout ?? DEFAULTS.closeTimeout,
      owner: this.#tracker,
    });
    this.clients.add(ws);
    if (this.#trace.enabled) this.#trace(`accepted ${req.url ?? ''} from ${req.socket.remoteAddress ?? '?'}${outcome.extensions ? ` (${outcome.extensions})` : ''}`);
    cb(ws, req);
  }

  #reportError(err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    if (this.listenerCount('error') > 0) this.emit('error', error);
    // eventemitter3 swallows an unheard 'error': rethrow so a listener's bug is not hidden.
    else process.nextTick(() => {
      throw error;
    });
  }

  /** A non-upgrade request to our own server: 426, or the handshake's 400 for a half-formed upgrade. */
  #onPlainRequest(req: IncomingMessage, res: ServerResponse): void {
    if (req.httpVersionMajor >= 2) {
      // HTTP/2 has neither Upgrade nor Connection (RFC 9113 §8.2.2): say where WebSockets are.
      const body = 'WebSocket server: open a WebSocket (extended CONNECT)';
      res.writeHead(426, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
      return void res.end(body);
    }
    const checked = req.headers.upgrade === undefined ? undefined : validateUpgrade(req);
    const r = checked !== undefined && isRefusal(checked) ? checked : refusal(426, STATUS_CODES[426], { Upgrade: 'websocket' });
    res.writeHead(r.status, {
      ...r.headers,
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': Buffer.byteLength(r.reason),
      Connection: 'close',
    });
    res.end(r.reason);
  }

  #onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (!this.shouldHandle(req)) {
      // Another upgrade listener on a shared server may own this path.
      if (!this.#ownsServer && (this.#server?.listenerCount('upgrade') ?? 0) > 1) return;
      clearHandshakeTimer(socket);
      socket.on('error', destroyThis);
      return writeRefusal(socket, refusal(400, 'Unknown path'));
    }
    this.handleUpgrade(req, socket, head, this.#emitConnection);
  };

  #emitConnection = (ws: ServerConnection, req: IncomingMessage): void => {
    this.emit('connection', ws, req);
  };

  /** `port` + `tls`: an HTTP/2 secure server that also speaks HTTP/1.1 (see tls-server.ts). */
  #listenTls(port: number, host: string | undefined, tls: SecureServerOptions): Http2WebSocketHost {
    const timeoutMs = this.#options.handshakeTimeout ?? DEFAULTS.handshakeTimeout;
    const server = createTlsServer(tls, timeoutMs, (socket) => startHandshakeTimer(socket, timeoutMs));
    server.on('session', (session: Http2Session) => {
      this.#sessions.add(session);
      session.once('close', () => this.#sessions.delete(session));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.#onPlainRequest(req, res));
    server.listen(port, host);
    return server;
  }

  /** The RFC 8441 route: extended CONNECTs for our path, negotiated like an HTTP/1.1 upgrade. */
  readonly #http2Route = {
    shouldHandle: (req: IncomingMessage): boolean => this.shouldHandle(req),
    accept: (stream: ServerHttp2Stream, req: Http2ServerRequest): void => {
      upgradeHttp2Stream(stream, req, this.#http2Host).catch((err: unknown) => this.#reportError(err));
    },
  };

  readonly #http2Host: Http2UpgradeHost = {
    accepting: () => this.#state === 'open',
    handshake: () => this.#options,
    handshakeTimeout: () => this.#options.handshakeTimeout ?? DEFAULTS.handshakeTimeout,
    refused: (r, req) => this.emit('refused', r, req as unknown as IncomingMessage),
    adopt: (stream, outcome, req) => {
      const request = req as unknown as IncomingMessage;
      this.#adopt(stream, Buffer.alloc(0), outcome, request, (ws) => this.#emitConnection(ws, request));
    },
  };

  #onListening = (): void => {
    this.emit('listening');
  };

  // A listen error (EADDRINUSE…) with no 'error' listener is thrown, as ws and net.Server do.
  #onServerError = (err: Error): void => {
    this.#reportError(err);
  };
}

function isSecure(socket: Duplex): boolean {
  return (socket as { encrypted?: unknown }).encrypted === true;
}
