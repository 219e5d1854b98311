/**
 * One connected client, seen through the typed contract. The Peer owns its life
 * (peer-lifecycle.ts: handshake → admitting → open → closing → closed, each variant owning its
 * socket, timers and held messages) and its {@link Conversation} (decode, route, pending
 * requests); the server is reached only through the {@link PeerHost} surface. An open, idle peer
 * owns no timer (liveness is the server's single sweep).
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'eventemitter3';
import type { BroadcastOperator, BroadcastOptions } from './rooms.js';
import type { BroadcastMessage, PeerId } from './adapter.js';
import { prepared } from './prepared-message.js';
import { helloVerdict } from './admission.js';
import type { HelloVerdict } from './admission.js';
import { beforeWrite, isSlowConsumer, slowConsumerError, slowConsumerReason } from './backpressure.js';
import { byteLength } from './server-stats.js';
import { MAX_HELD_MESSAGES, disposeLife } from './peer-lifecycle.js';
import type { PeerLife, PeerSocket, PeerState } from './peer-lifecycle.js';
import { failureMessage } from './peer-host.js';
import type { PeerHost } from './peer-host.js';
import { Conversation } from '../../src/conversation.js';
import { eventEnvelope, welcomeEnvelope } from '../../src/envelope.js';
import type { Envelope, HelloEnvelope } from '../../src/envelope.js';
import { PROTOCOL_VERSION } from '../../src/envelope.js';
import type { EventName, JsonPayload, PayloadArgs, RequestName, RequestPayload, ResponsePayload, ServerEndpoint } from '../../src/contract.js';
import type { RequestOptions } from '../../src/requests.js';
import { DisconnectedError } from '../../src/requests.js';
import { CloseCodes, isValidWireCloseCode } from '../../src/close-codes.js';
import { ErrorCodes, TandemError } from '../../src/errors.js';
import { callListener } from '../../src/call-listener.js';
import { assertNever } from '../../src/assert-never.js';

export type { PeerSocket, PeerState } from './peer-lifecycle.js';

/** What the peer knows of its HTTP upgrade request (for handlers and logs). */
export interface PeerHandshake {
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly remoteAddress: string | undefined;
}

/** Options of `peer.emit` (and of broadcasts). */
export type EmitOptions = BroadcastOptions;

/** `(payload, options?)`, the payload optional when the contract allows `undefined`. */
export type EmitArgs<P, O> = undefined extends P ? [payload?: JsonPayload<P>, options?: O] : [payload: JsonPayload<P>, options?: O];

/**
 * Reserved events of `peer.lifecycle`, apart from the contract's events on `peer.on`: a client
 * that emits an event named `disconnect` or `error` reaches `peer.on`, never these.
 */
export interface PeerLifecycleEvents {
  /** The connection ended: `reason` says why (ours, e.g. "heartbeat timeout", or the close frame's). */
  disconnect: [reason: string, code: number];
  /** A non-fatal problem with this peer (invalid event payload, socket error, handler failure). */
  error: [error: unknown];
}

type Ep<C> = ServerEndpoint<C>;
type Listener = (...args: never[]) => void;

/**
 * A connected client. `C` is the shared contract, `Identity` what `authenticate` returned,
 * `Data` the type of {@link Peer.data}.
 */
export class Peer<C, Identity = unknown, Data extends object = Record<string, unknown>> {
  /** Unique id (also what `except(peer)` matches). */
  readonly id: PeerId = randomUUID();
  /** The client's `auth` value from its hello envelope (browsers cannot set handshake headers). */
  auth: unknown = undefined;
  /** Per-connection application state. */
  data: Data = {} as Data;
  readonly handshake: PeerHandshake;
  /** Reserved events (`disconnect`, `error`); the client's own events are on {@link Peer.on}. */
  readonly lifecycle = new EventEmitter<PeerLifecycleEvents>();

  readonly #host: PeerHost<Peer<C, Identity, Data>>;
  readonly #conversation: Conversation<Peer<C, Identity, Data>>;
  readonly #events = new EventEmitter();
  #identity: Identity;
  #life: PeerLife;
  /** Our own reason when we end the connection (heartbeat, slow consumer…), reported on disconnect. */
  #closeReason: string | undefined;

  /** @internal created by the server after the 101; the hello deadline starts now. */
  constructor(socket: PeerSocket, host: PeerHost<Peer<C, Identity, Data>>, identity: Identity, handshake: PeerHandshake) {
    this.#host = host;
    this.#identity = identity;
    this.handshake = handshake;
    this.#conversation = new Conversation<Peer<C, Identity, Data>>({
      side: 'server',
      context: this,
      codec: host.codec,
      scheduler: host.scheduler,
      schemas: host.schemas,
      requestTimeout: host.requestTimeout,
      handlers: host.handlers,
      transmit: (envelope) => void this.#send(envelope, false),
      onEvent: (name, payload) => callListener((err) => this.#report(err, `listener of "${name}"`), () => this.#events.emit(name, payload)),
      onError: (error, source) => this.#report(error, source),
    });
    const timeout = host.helloTimeout;
    const helloTimer = host.scheduler.setTimeout(() => this.close(CloseCodes.HelloTimeout, `no hello within ${timeout} ms`), timeout);
    this.#life = { kind: 'handshake', socket, helloTimer };
    this.#attach(socket);
  }

  /** What `authenticate(request)` (or `authenticateHello`) resolved to; `undefined` without them. */
  get identity(): Identity {
    return this.#identity;
  }

  /** Current lifecycle state. */
  get state(): PeerState {
    return this.#life.kind;
  }

  /** Bytes queued on this peer's socket and not yet handed to the kernel (0 once closed). */
  get bufferedAmount(): number {
    return this.#socket()?.bufferedAmount ?? 0;
  }

  /** The rooms this peer is in. */
  get rooms(): ReadonlySet<string> {
    return this.#host.rooms.roomsOf(this.id);
  }

  /** Join one or more rooms. */
  join(room: string | readonly string[]): void {
    for (const r of typeof room === 'string' ? [room] : room) this.#host.rooms.join(this.id, r);
  }

  /** Leave a room (no-op when not in it). */
  leave(room: string): void {
    this.#host.rooms.leave(this.id, room);
  }

  /** Broadcast to the members of `room`, this peer excluded. */
  to(room: string | readonly string[]): BroadcastOperator<Ep<C>['emits']> {
    return this.#host.operatorFor(this).to(room) as BroadcastOperator<Ep<C>['emits']>;
  }

  /** Listen to an event the client emits (reserved events are on {@link Peer.lifecycle}). */
  on<K extends EventName<Ep<C>['receives']>>(event: K, handler: (payload: Ep<C>['receives'][K]) => void): this;
  on(event: string, handler: Listener): this {
    this.#events.on(event, handler as (...args: unknown[]) => void);
    return this;
  }

  /** Remove a listener added with {@link Peer.on}. */
  off<K extends EventName<Ep<C>['receives']>>(event: K, handler: (payload: Ep<C>['receives'][K]) => void): this;
  off(event: string, handler: Listener): this {
    this.#events.off(event, handler as (...args: unknown[]) => void);
    return this;
  }

  /** Send a typed event to this client. Returns false when it was dropped (closed, or volatile and behind). */
  emit<K extends EventName<Ep<C>['emits']>>(event: K, ...args: EmitArgs<Ep<C>['emits'][K], EmitOptions>): boolean {
    const [payload, options] = args;
    return this.#send(eventEnvelope(event, payload), options?.volatile ?? false);
  }

  /** Ask the client (its request handler answers). Rejects with `RequestError` (`timeout`…) or `DisconnectedError`. */
  request<K extends RequestName<Ep<C>['calls']>>(
    method: K,
    ...args: EmitArgs<RequestPayload<Ep<C>['calls'], K>, RequestOptions>
  ): Promise<ResponsePayload<Ep<C>['calls'], K>> {
    const [payload, options] = args;
    if (this.#life.kind !== 'open') return Promise.reject(new DisconnectedError('the peer is not connected'));
    const { envelope, promise } = this.#conversation.requests.create(method, payload, options);
    if (envelope !== undefined) this.#send(envelope, false); // undefined: the signal was already aborted
    return promise as Promise<ResponsePayload<Ep<C>['calls'], K>>;
  }

  /**
   * Start the close handshake (RFC 6455 §7.1.2); `'disconnect'` fires when it completes. A code
   * that may not be sent throws a `TandemError` `ERR_INVALID_ARGUMENT` at once, the peer unchanged.
   */
  close(code: number = CloseCodes.NormalClosure, reason = ''): void {
    // RFC 6455 §7.4.2: 1005, 1006, 1015 (and unassigned codes) never appear in a close frame.
    // Checked before any state changes, so a bad call cannot strand the peer in 'closing'.
    if (!isValidWireCloseCode(code)) throw new TandemError(ErrorCodes.InvalidArgument, `close code ${code} may not be sent`);
    const life = this.#life;
    if (life.kind === 'closing' || life.kind === 'closed') return;
    if (reason !== '') this.#closeReason ??= reason;
    this.#toClosing(life).close(code, reason);
  }

  /** Drop the TCP connection at once, without a close handshake. */
  terminate(reason = 'terminated'): void {
    const life = this.#life;
    if (life.kind === 'closed') return;
    this.#closeReason ??= reason;
    (life.kind === 'closing' ? life.socket : this.#toClosing(life)).terminate();
  }

  /** @internal write a broadcast (its shared frame) when open; false when not written. */
  deliver(message: BroadcastMessage): boolean {
    const life = this.#life;
    if (life.kind !== 'open') return false; // peers still in their hello or closing are not counted
    if (!this.#admits(message.volatile)) return false;
    const ready = prepared(message);
    life.socket.sendFrame(ready.frame);
    this.#host.stats.sent(ready.payloadBytes);
    this.#checkSlow();
    return true;
  }

  // ——— the socket ———

  /** Listens to `socket`; its events count only while it is this peer's socket. */
  #attach(socket: PeerSocket): void {
    // A text message is handed over as a string: the codec tells text from binary envelopes by type.
    // Binary: a plain Uint8Array view (no copy), because a Buffer's toJSON would defeat the codec's
    // binary attachments when a handler echoes the bytes back.
    socket.on('message', (data, isBinary) => {
      if (this.#socket() !== socket) return;
      this.#onMessage(isBinary ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : data.toString('utf8'), data.byteLength);
    });
    socket.on('pong', () => {
      if (this.#socket() === socket) this.#alive();
    });
    socket.on('error', (err) => {
      if (this.#socket() === socket) this.#report(err, 'socket');
    });
    socket.on('close', (code, reason) => {
      if (this.#socket() === socket) this.#onClose(code, reason.toString('utf8'));
    });
  }

  #socket(): PeerSocket | undefined {
    const life = this.#life;
    return life.kind === 'closed' ? undefined : life.socket;
  }

  #alive(): void {
    const life = this.#life;
    if (life.kind === 'open' || life.kind === 'closing') life.liveness?.alive();
  }

  #onMessage(data: Uint8Array | string, bytes: number): void {
    const life = this.#life;
    if (life.kind === 'closed') return;
    if (life.kind === 'admitting') {
      // docs/protocol.md "Handshake": a client waits for the welcome; a flood before it is abuse.
      if (life.held.push([data, bytes]) > MAX_HELD_MESSAGES) this.close(CloseCodes.PolicyViolation, 'too many messages before the welcome');
      return;
    }
    this.#host.stats.received(bytes);
    this.#alive();
    const outcome = this.#conversation.receive(data);
    switch (outcome.kind) {
      case 'handled':
      case 'duplicate':
        return;
      case 'handshake':
        // Direction was checked by the conversation: at the server this is always a hello.
        if (outcome.envelope.type === 'hello') this.#onHello(outcome.envelope);
        return;
      case 'fatal':
        this.#report(outcome.error, 'protocol');
        this.close(outcome.error.closeCode, outcome.error.message);
        return;
      default: {
        return assertNever(outcome);
      }
    }
  }

  // ——— the lifecycle ———

  #onHello(hello: HelloEnvelope): void {
    const life = this.#life;
    if (life.kind !== 'handshake') return;
    this.auth = hello.auth;
    const check = this.#host.authenticateHello;
    if (check === undefined) return this.#open();
    // The hello deadline keeps running: a hook that hangs is cut off by it.
    const admitting: PeerLife = { kind: 'admitting', socket: life.socket, helloTimer: life.helloTimer, held: [] };
    this.#transition(admitting);
    helloVerdict(() => check(hello.auth, this))
      .then((verdict) => {
        if (this.#life === admitting) this.#onVerdict(verdict);
      })
      // Listeners are guarded, so this is a last resort: never an unhandled rejection.
      .catch((err: unknown) => this.#report(err, 'authenticateHello'));
  }

  #onVerdict(verdict: HelloVerdict): void {
    switch (verdict.kind) {
      case 'admit':
        this.#identity = verdict.identity as Identity;
        return this.#open();
      case 'refuse':
        if (verdict.error !== undefined) this.#report(verdict.error, 'authenticateHello');
        return this.close(verdict.code, verdict.reason);
      default:
        return assertNever(verdict);
    }
  }

  /** The hello was accepted: welcome, `'connection'`, then the messages held meanwhile. */
  #open(): void {
    const life = this.#life;
    if (life.kind !== 'handshake' && life.kind !== 'admitting') return;
    const liveness = this.#host.liveness?.track({
      ping: () => this.#socket()?.ping(),
      terminate: (reason) => (this.#host.stats.metrics.heartbeatTimeouts.inc(), this.terminate(`heartbeat timeout: ${reason}`)),
      failed: (error) => this.#report(error, 'liveness'),
    });
    this.#transition({ kind: 'open', socket: life.socket, liveness });
    this.#conversation.ready();
    // The welcome goes first: anything a 'connection' listener sends must follow it.
    this.#send(welcomeEnvelope(), false);
    this.#host.opened(this);
    if (life.kind === 'admitting') for (const [data, bytes] of life.held) this.#onMessage(data, bytes);
  }

  /** Enters `closing` from a state with a socket; returns that socket for the caller to close. */
  #toClosing(life: Exclude<PeerLife, { kind: 'closing' | 'closed' }>): PeerSocket {
    const liveness = life.kind === 'open' ? life.liveness : undefined;
    this.#transition({ kind: 'closing', socket: life.socket, liveness, terminateTimer: undefined });
    return life.socket;
  }

  #onClose(code: number, reason: string): void {
    const why = this.#closeReason ?? (reason !== '' ? reason : `closed with ${code}`);
    this.#transition({ kind: 'closed', code, reason: why });
    this.#conversation.requests.rejectAll(new DisconnectedError());
    // A new epoch: handler answers and async-validated events that finish after the disconnect are dropped.
    this.#conversation.reset();
    this.#host.released(this, code, why);
    callListener((err) => this.#report(err, "'disconnect' listener"), () => this.lifecycle.emit('disconnect', why, code));
    this.lifecycle.removeAllListeners();
    this.#events.removeAllListeners();
  }

  /** The one state change: enter `next`, releasing what the old state owned and `next` does not carry. */
  #transition(next: PeerLife): void {
    const old = this.#life;
    this.#life = next;
    disposeLife(old, next, this.#host.scheduler);
  }

  // ——— writing ———

  /** Encode and write one envelope while there is a live socket; false when it was not written. */
  #send(envelope: Envelope, volatile: boolean): boolean {
    const life = this.#life;
    if (life.kind === 'closing' || life.kind === 'closed') return false;
    if (!this.#admits(volatile)) return false;
    const data = this.#host.codec.encode(envelope);
    life.socket.send(data);
    this.#host.stats.sent(byteLength(data), 1, envelope.type);
    this.#checkSlow();
    return true;
  }

  /** Backpressure before a write: a volatile message to a peer that is behind is dropped (and counted). */
  #admits(volatile: boolean): boolean {
    if (beforeWrite(this.#host.backpressure, this.bufferedAmount, volatile) === 'write') return true;
    this.#host.stats.dropped += 1;
    return false;
  }

  #checkSlow(): void {
    const buffered = this.bufferedAmount;
    if (!isSlowConsumer(this.#host.backpressure, buffered)) return;
    this.#host.stats.metrics.slowConsumerCloses.inc();
    // Reported first, so an 'error' listener sees the peer while it is still being closed.
    this.#report(slowConsumerError(buffered), 'backpressure');
    this.close(CloseCodes.TryAgainLater, slowConsumerReason(buffered));
    // A peer that does not read will not read our close frame either: terminate at the deadline.
    const life = this.#life;
    if (life.kind !== 'closing') return;
    if (life.terminateTimer !== undefined) this.#host.scheduler.clearTimeout(life.terminateTimer);
    life.terminateTimer = this.#host.scheduler.setTimeout(() => this.terminate(slowConsumerReason(this.bufferedAmount)), this.#host.closeTimeout);
  }

  // ——— errors ———

  /** The peer's own `'error'` listeners first, then the server's (or its logger when nobody listens). */
  #report(error: unknown, source?: string): void {
    const heard = this.lifecycle.listenerCount('error') > 0;
    // There is nowhere left to report an 'error' listener's own exception but the logger.
    callListener((err) => this.#host.logger?.error(failureMessage("'error' listener", this.id), err), () => this.lifecycle.emit('error', error));
    this.#host.report(error, this, source, heard);
  }
}
