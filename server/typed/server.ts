/**
 * `createServer<Contract>()`: the typed server. It runs the low-level {@link WebSocketServer} for
 * listening/attaching and the 101, admits connections (maxConnections, authenticate), turns each
 * socket into a {@link Peer} speaking the shared conversation, and owns the server-wide pieces:
 * request handlers, rooms through the {@link Adapter}, one liveness sweep, backpressure, stats
 * and the graceful shutdown.
 */
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { EventEmitter } from 'eventemitter3';
import type { Adapter, BroadcastMessage, BroadcastTarget, PeerId } from './adapter.js';
import { memoryAdapter } from './adapter.js';
import { backpressurePolicy } from './backpressure.js';
import type { BackpressurePolicy } from './backpressure.js';
import { LivenessSweep } from './liveness.js';
import { Peer } from './peer.js';
import type { EmitArgs, EmitOptions } from './peer.js';
import { failureMessage } from './peer-host.js';
import type { PeerHost } from './peer-host.js';
import type { PeerSessionHolder } from './peer-internals.js';
import { resumePolicy } from './session/resume-options.js';
import { SessionManager } from './session/session-manager.js';
import type { SessionStats } from './session/resume-stats.js';
import { PreparedMessage } from './prepared-message.js';
import { BroadcastOperator } from './rooms.js';
import type { BroadcastOptions, PeerLike } from './rooms.js';
import { Admission } from './admission.js';
import { ListenOutcome, isListenError } from './listen-outcome.js';
import { validateServerOptions } from './validate-options.js';
import { meteredCodec } from './metrics.js';
import { serverLine, serverTrace } from '../trace.js';
import { tracedCodec } from '../../src/debug.js';
import { RequestHandlers } from './request-handlers.js';
import { SERVER_DEFAULTS, lowLevelOptions } from './server-options.js';
import type { CloseOptions, ServerOptions } from './server-options.js';
import { StatsCounters } from './server-stats.js';
import type { ServerStats } from './server-stats.js';
import { WebSocketServer } from '../socket/websocket-server.js';
import type { ServerConnection } from '../socket/server-connection.js';
import { CloseCodes } from '../../src/close-codes.js';
import { jsonCodec } from '../../src/codec.js';
import type { Codec } from '../../src/codec.js';
import type { EventName, RequestHandler, RequestName, RequestPayload, ResponsePayload, ServerEndpoint } from '../../src/contract.js';
import { eventEnvelope } from '../../src/envelope.js';
import { callListener } from '../../src/call-listener.js';
import { loggerFrom } from '../../src/logger.js';
import type { Logger } from '../../src/logger.js';
import { systemScheduler } from '../../src/scheduler.js';
import type { Scheduler } from '../../src/scheduler.js';
import type { ContractDefinition } from '../../src/validate.js';

/** `stats().sessions` of a server without session resume. */
const NO_SESSIONS: SessionStats = Object.freeze({ live: 0, suspended: 0, resumed: 0, expired: 0, overflowed: 0, refused: Object.freeze({}), logBytes: 0 });

/** Lifecycle of the server. */
export type ServerState = 'running' | 'closing' | 'closed';

type Ep<C> = ServerEndpoint<C>;
type Listener = (...args: never[]) => void;

/** The typed server; create it with {@link createServer}. */
export class TandemServer<C, Identity = unknown, Data extends object = Record<string, unknown>> {
  readonly #options: ServerOptions<C, Identity, Data>;
  readonly #events = new EventEmitter();
  readonly #wss: WebSocketServer;
  readonly #scheduler: Scheduler;
  readonly #codec: Codec;
  readonly #logger: Logger | undefined;
  readonly #liveness: LivenessSweep | undefined;
  readonly #adapter: Adapter;
  readonly #admission: Admission<Identity>;
  readonly #stats = new StatsCounters();
  readonly #peers = new Map<PeerId, Peer<C, Identity, Data>>();
  readonly #handlers: RequestHandlers<Peer<C, Identity, Data>>;
  readonly #host: PeerHost<Peer<C, Identity, Data>, PeerSessionHolder>;
  /** Session resume (`undefined` with `resume: false`). */
  readonly #sessions: SessionManager<PeerSessionHolder> | undefined;
  readonly #root: BroadcastOperator<Ep<C>['emits']>;
  readonly #closeTimeout: number;
  readonly #trace = serverTrace('tandem:server');
  #state: ServerState = 'running';
  readonly #listen = new ListenOutcome();
  #closing: Promise<void> | undefined;
  #drained: (() => void) | undefined;

  constructor(options: ServerOptions<C, Identity, Data>) {
    validateServerOptions(options);
    this.#options = options;
    this.#scheduler = options.scheduler ?? systemScheduler;
    this.#codec = tracedCodec(meteredCodec(options.codec ?? jsonCodec, this.#stats.metrics), serverTrace('tandem:server:wire'));
    this.#logger = loggerFrom(options.logger);
    this.#closeTimeout = options.closeTimeout ?? SERVER_DEFAULTS.closeTimeout;
    this.#handlers = new RequestHandlers(options.maxPendingRequests, this.#stats.metrics.observeRequest);
    this.#liveness =
      options.heartbeat === false
        ? undefined
        : new LivenessSweep({
            scheduler: this.#scheduler,
            ...(options.heartbeat?.interval !== undefined ? { interval: options.heartbeat.interval } : {}),
            ...(options.heartbeat?.timeout !== undefined ? { timeout: options.heartbeat.timeout } : {}),
          });
    this.#adapter = (options.adapter ?? memoryAdapter)({ deliver: (peerId, message) => this.#deliver(peerId, message), report: (err) => this.#report(err, undefined) });
    const policy = resumePolicy(options.resume);
    // A multi-node adapter brings the session store that lets a session resume on any node.
    const shared = options.resume === false || options.resume?.store !== undefined ? undefined : this.#adapter.sessionStore;
    const resume = policy === undefined || shared === undefined ? policy : { ...policy, store: shared };
    this.#sessions =
      resume === undefined ? undefined : new SessionManager({ policy: resume, scheduler: this.#scheduler, report: (err) => this.#report(err, undefined, 'session store') });
    this.#host = this.#makeHost(backpressurePolicy(options.backpressure));
    this.#root = new BroadcastOperator((event, payload, target, opts) => this.#broadcast(event, payload, target, opts), undefined, false, this.#adapter);
    this.#admission = new Admission<Identity>({
      ...(options.authenticate ? { authenticate: options.authenticate } : {}),
      maxConnections: options.maxConnections ?? Infinity,
      connections: () => this.#connections(),
      accepting: () => this.#state === 'running',
      report: (err) => this.#report(err, undefined, 'authenticate'),
    });
    this.#wss = new WebSocketServer(lowLevelOptions(options, (req) => this.#admission.verify(req)));
    this.#wss.on('connection', (socket, req) => this.#connect(socket, req));
    this.#wss.on('listening', () => (this.#listen.listening(), this.#emit('listening', undefined)));
    this.#wss.on('refused', (refusal) => this.#stats.refusedWith(refusal.status));
    this.#wss.on('error', (err) => (isListenError(err) ? this.#listenFailed(err) : this.#report(err, undefined, 'WebSocketServer')));
    if (options.port === undefined) this.#listen.listening(); // attached or noServer: nothing to wait for
  }

  /** Resolves once listening (at once when attached or `noServer`); rejects with a listen error (EADDRINUSE…; `state` is then `closed`). */
  ready(): Promise<void> {
    return this.#listen.promise;
  }

  /** `running`, `closing` (in `close()`) or `closed`. */
  get state(): ServerState {
    return this.#state;
  }

  /** The connected peers by id. */
  get peers(): ReadonlyMap<PeerId, Peer<C, Identity, Data>> {
    return this.#peers;
  }

  /** The adapter holding rooms (for inspection; use `peer.join` / `server.to` to change rooms). */
  get adapter(): Adapter {
    return this.#adapter;
  }

  /** The bound address in `port` mode (`port` 0 picks a free port). */
  address(): AddressInfo | string | null {
    return this.#wss.address();
  }

  /** A peer finished its hello; register `peer.on(...)` here. */
  on(event: 'connection', listener: (peer: Peer<C, Identity, Data>) => void): this;
  /**
   * A peer ended (after its rooms were left). With session resume: when its session ended (window
   * passed, log overflow, closed on purpose), not when a connection dropped (`'suspend'`).
   */
  on(event: 'disconnect', listener: (peer: Peer<C, Identity, Data>, reason: string, code: number) => void): this;
  /** Session resume: a peer's connection dropped; its session waits for the client (rooms, data, requests kept). */
  on(event: 'suspend', listener: (peer: Peer<C, Identity, Data>, reason: string, code: number) => void): this;
  /** Session resume: a suspended (or half-open) session continues on a new connection; what it missed was re-sent. */
  on(event: 'resume', listener: (peer: Peer<C, Identity, Data>) => void): this;
  /**
   * A reported failure: a handler or listener that threw, a protocol violation, a hook that
   * failed, a slow consumer. Never thrown. An exception thrown by an `'error'` listener itself is
   * swallowed (there is nowhere left to report it, and it must not crash the server).
   */
  on(event: 'error', listener: (error: unknown, peer: Peer<C, Identity, Data> | undefined) => void): this;
  /** The server is listening (`port` mode). */
  on(event: 'listening', listener: () => void): this;
  on(event: string, listener: Listener): this {
    this.#events.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /** Like {@link TandemServer.on}, once. */
  once(event: 'connection', listener: (peer: Peer<C, Identity, Data>) => void): this;
  once(event: 'disconnect', listener: (peer: Peer<C, Identity, Data>, reason: string, code: number) => void): this;
  once(event: 'suspend', listener: (peer: Peer<C, Identity, Data>, reason: string, code: number) => void): this;
  once(event: 'resume', listener: (peer: Peer<C, Identity, Data>) => void): this;
  once(event: 'error', listener: (error: unknown, peer: Peer<C, Identity, Data> | undefined) => void): this;
  once(event: 'listening', listener: () => void): this;
  once(event: string, listener: Listener): this {
    this.#events.once(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /** Remove a listener. */
  off(event: string, listener: Listener): this {
    this.#events.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /**
   * Serve the client's request `method`. The handler's value is the response; a thrown
   * `RequestError` travels back with its `code`; anything else becomes `internal` and is reported
   * through `'error'`. Returns a disposer.
   */
  handle<K extends RequestName<Ep<C>['serves']>>(
    method: K,
    // NoInfer: K comes from `method` alone, so a literal response is checked, not widened.
    handler: NoInfer<RequestHandler<RequestPayload<Ep<C>['serves'], K>, ResponsePayload<Ep<C>['serves'], K>, Peer<C, Identity, Data>>>,
  ): () => void {
    return this.#handlers.register(method, handler as (payload: unknown, peer: Peer<C, Identity, Data>) => unknown);
  }

  /** Broadcast to the members of `room` (chain `.to`, `.except`, `.volatile`). */
  to(room: string | readonly string[]): BroadcastOperator<Ep<C>['emits']> {
    return this.#root.to(room);
  }

  /** Alias of {@link TandemServer.to}. */
  in(room: string | readonly string[]): BroadcastOperator<Ep<C>['emits']> {
    return this.#root.to(room);
  }

  /** Peers by id, wherever they are connected: `toPeer(id).emit(…)`, `.join(room)`; `to(room).fetchMembers()` for a room. */
  toPeer(peer: PeerLike | PeerId | readonly (PeerLike | PeerId)[]): BroadcastOperator<Ep<C>['emits']> {
    return this.#root.toPeer(peer);
  }

  /** Broadcast to everyone except a peer or the members of a room. */
  except(peerOrRoom: PeerLike | string | readonly (PeerLike | string)[]): BroadcastOperator<Ep<C>['emits']> {
    return this.#root.except(peerOrRoom);
  }

  /** Broadcasts that may be dropped for slow consumers. */
  get volatile(): BroadcastOperator<Ep<C>['emits']> {
    return this.#root.volatile;
  }

  /** Send an event to every connected peer; returns how many it was written to. */
  emit<K extends EventName<Ep<C>['emits']>>(event: K, ...args: EmitArgs<Ep<C>['emits'][K], EmitOptions>): number {
    const [payload, options] = args;
    return this.#broadcast(event, payload, this.#root.target, options ?? {});
  }

  /** For `noServer`: complete an upgrade the application received on its own HTTP server. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.#wss.handleUpgrade(req, socket, head, (ws, request) => this.#connect(ws, request));
  }

  /** Counters and gauges. */
  stats(): ServerStats {
    const adapter = this.#adapter.stats?.();
    const snapshot = this.#stats.snapshot(this.#connections(), this.#adapter.roomNames().length);
    return { ...snapshot, pendingHandlers: this.#handlers.pending, sessions: this.#sessions?.stats() ?? NO_SESSIONS, ...(adapter ? { adapter } : {}) };
  }

  /** Prometheus text exposition (format 0.0.4) of the server's metrics; see docs/typed-server.md#metrics. */
  metrics(): string {
    const { rooms, pendingHandlers, dropped } = this.stats();
    return this.#stats.metrics.render({ connections: this.#wss.clients.size, peers: this.#peers.values(), rooms, pendingHandlers, dropped, deflate: this.#wss.deflateTotals });
  }

  /**
   * Graceful shutdown: stop accepting, close every peer with 1001 (or 1012 with `restart`),
   * wait for the close handshakes up to the timeout, terminate the rest, resolve when all is released.
   */
  close(options: CloseOptions = {}): Promise<void> {
    this.#closing ??= this.#shutdown(options);
    return this.#closing;
  }

  async #shutdown(options: CloseOptions): Promise<void> {
    this.#state = 'closing'; // admission now answers 503
    const code = options.restart ? CloseCodes.ServiceRestart : CloseCodes.GoingAway;
    const reason = options.restart ? 'server restarting' : 'server shutting down';
    const timeout = options.timeout ?? this.#closeTimeout;
    const drained = new Promise<void>((resolve) => {
      this.#drained = resolve;
      if (this.#peers.size === 0) resolve();
    });
    for (const peer of [...this.#peers.values()]) peer.close(code, reason);
    // Stop listening (own server) or detach; connections already closing keep our code.
    const stopped = new Promise<void>((resolve) => this.#wss.close(() => resolve()));
    const timer = this.#scheduler.setTimeout(() => {
      for (const peer of [...this.#peers.values()]) peer.terminate(`no close handshake within ${timeout} ms of shutdown`);
    }, timeout);
    await drained;
    this.#scheduler.clearTimeout(timer);
    this.#liveness?.clear();
    // Every session ended with its peer above; this releases the store (its timer, its broker).
    await Promise.all([stopped, this.#adapter.close(), this.#sessions?.close()]);
    this.#state = 'closed';
  }

  // The port could not be bound: the server is not running, and must not look as if it were.
  #listenFailed(err: Error): void {
    this.#state = 'closed';
    this.#liveness?.clear();
    this.#listen.failed(err, this.#events.listenerCount('error') > 0);
    this.#emit('error', undefined, err, undefined);
  }

  // ——— connections ———

  #connect(socket: ServerConnection, req: IncomingMessage): void {
    this.#stats.accepted();
    const identity = this.#admission.take(req) as Identity;
    const peer = new Peer<C, Identity, Data>(socket, this.#host, identity, {
      url: req.url ?? '/',
      headers: req.headers,
      remoteAddress: req.socket.remoteAddress,
    });
    this.#peers.set(peer.id, peer);
    this.#adapter.addPeer(peer.id);
    if (this.#state !== 'running') peer.close(CloseCodes.GoingAway, 'server shutting down');
  }

  #release(peer: Peer<C, Identity, Data>, code: number, reason: string): void {
    this.#adapter.removePeer(peer.id);
    this.#peers.delete(peer.id);
    this.#handlers.forget(peer);
    this.#emit('disconnect', peer, peer, reason, code);
    if (this.#state === 'closing' && this.#peers.size === 0) this.#drained?.();
  }

  #broadcast(event: string, payload: unknown, target: BroadcastTarget, options: BroadcastOptions): number {
    if (this.#state === 'closed') return 0;
    // Encoded once here; framed once, lazily, by the first recipient.
    return this.#stats.broadcast(this.#adapter.broadcast(new PreparedMessage(this.#codec.encode(eventEnvelope(event, payload)), options.volatile ?? false), target));
  }

  /** True when written: peers still in their hello, closing, or past the mark (volatile) are not counted. */
  #deliver(peerId: PeerId, message: BroadcastMessage): boolean {
    return this.#peers.get(peerId)?.deliver(message) ?? false;
  }

  // ——— plumbing ———

  /**
   * A failure concerning `peer` (whose own 'error' listeners already had it: `heardByPeer`) or
   * the server: the server's 'error' listeners get it; when nobody listened, the logger does.
   */
  #report(error: unknown, peer: Peer<C, Identity, Data> | undefined, source?: string, heardByPeer = false): void {
    if (!heardByPeer && this.#events.listenerCount('error') === 0) this.#logger?.error(failureMessage(source, peer?.id), error);
    this.#emit('error', peer, error, peer);
  }

  // Listeners run inside a socket's message/close handling: a throw is the application's bug,
  // reported on 'error', never unwound into the connection. A throwing 'error' listener has
  // nowhere left to go but the logger (and must not loop).
  #emit(event: 'connection' | 'disconnect' | 'suspend' | 'resume' | 'error' | 'listening', peer: Peer<C, Identity, Data> | undefined, ...args: unknown[]): void {
    if (this.#trace.enabled) this.#trace(serverLine(event, args));
    callListener(
      (err) => (event === 'error' ? this.#logger?.error(failureMessage("'error' listener", peer?.id), err) : this.#report(err, peer, `'${event}' listener`)),
      () => this.#events.emit(event, ...args),
    );
  }

  /** Peers with a connection now (a suspended session has none). */
  #connections(): number {
    return this.#peers.size - (this.#sessions?.suspendedCount ?? 0);
  }

  #makeHost(backpressure: BackpressurePolicy): PeerHost<Peer<C, Identity, Data>, PeerSessionHolder> {
    const options = this.#options;
    const check = options.authenticateHello;
    return {
      scheduler: this.#scheduler,
      codec: this.#codec,
      schemas: options.schemas as ContractDefinition | undefined,
      requestTimeout: options.requestTimeout,
      handlers: this.#handlers,
      helloTimeout: options.helloTimeout ?? SERVER_DEFAULTS.helloTimeout,
      closeTimeout: this.#closeTimeout,
      backpressure,
      liveness: this.#liveness,
      stats: this.#stats,
      rooms: this.#adapter,
      authenticateHello: check,
      logger: this.#logger,
      operatorFor: (peer) => this.#root.except(peer) as BroadcastOperator<object>,
      opened: (peer) => this.#emit('connection', peer, peer),
      released: (peer, code, reason) => this.#release(peer, code, reason),
      sessions: this.#sessions,
      closed: (code) => this.#stats.closedWith(code),
      suspended: (peer, reason, code) => this.#emit('suspend', peer, peer, reason, code),
      resumed: (peer) => this.#emit('resume', peer, peer),
      discard: (peer) => {
        this.#adapter.removePeer(peer.id);
        this.#peers.delete(peer.id);
      },
      report: (error, peer, source, heard) => this.#report(error, peer, source, heard),
    };
  }
}

/** Creates the typed server for contract `C` and starts listening (or attaches). */
export function createServer<C, Identity = unknown, Data extends object = Record<string, unknown>>(
  options: ServerOptions<C, Identity, Data>,
): TandemServer<C, Identity, Data> {
  return new TandemServer<C, Identity, Data>(options);
}
