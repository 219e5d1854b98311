/**
 * One client, seen through the typed contract: the object users hold. With session resume on it
 * is a **session**, not a socket: a dropped connection suspends it (`'suspend'`), a resuming
 * hello on a new connection continues it (`'resume'`), and `'disconnect'` fires when the session
 * ends (docs/protocol.md §10). Its state machine — lifecycle, handshake, conversation, writes,
 * session — is its {@link PeerCore} (peer-core.ts); the server is reached only through the
 * {@link PeerHost} surface. An open, idle peer owns no timer (liveness and session expiry are the
 * server's single sweeps).
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'eventemitter3';
import type { BroadcastOperator } from './rooms.js';
import type { BroadcastMessage, PeerId } from './adapter.js';
import { PeerCore } from './peer-core.js';
import type { PeerHost } from './peer-host.js';
import type { PeerSessionHolder } from './peer-internals.js';
import type { PeerSocket, PeerState } from './peer-lifecycle.js';
import type { EmitArgs, EmitOptions, PeerHandshake, PeerLifecycleEvents } from './peer-types.js';
import { eventEnvelope } from '../../src/envelope.js';
import type { EventName, RequestName, RequestPayload, ResponsePayload, ServerEndpoint } from '../../src/contract.js';
import type { RequestOptions } from '../../src/requests.js';
import { CloseCodes, isValidWireCloseCode } from '../../src/close-codes.js';
import { ErrorCodes, TandemError } from '../../src/errors.js';

export type { PeerSocket, PeerState } from './peer-lifecycle.js';
export type { EmitArgs, EmitOptions, PeerHandshake, PeerLifecycleEvents } from './peer-types.js';

type Ep<C> = ServerEndpoint<C>;
type Listener = (...args: never[]) => void;

/**
 * A connected client. `C` is the shared contract, `Identity` what `authenticate` returned,
 * `Data` the type of {@link Peer.data}.
 */
export class Peer<C, Identity = unknown, Data extends object = Record<string, unknown>> {
  /** Unique id (also what `except(peer)` matches); the same across a resumed session's connections. */
  readonly id: PeerId = randomUUID();
  /** The client's `auth` value from its hello envelope (browsers cannot set handshake headers). */
  auth: unknown = undefined;
  /** Per-session application state (kept across a resume; saved to the session store on suspend). */
  data: Data = {} as Data;
  readonly handshake: PeerHandshake;
  /** Reserved events (`disconnect`, `suspend`, `resume`, `error`); the client's own events are on {@link Peer.on}. */
  readonly lifecycle = new EventEmitter<PeerLifecycleEvents>();

  readonly #host: PeerHost<Peer<C, Identity, Data>, PeerSessionHolder>;
  readonly #core: PeerCore<Peer<C, Identity, Data>>;
  readonly #events = new EventEmitter();

  /** @internal created by the server after the 101; the hello deadline starts now. */
  constructor(socket: PeerSocket, host: PeerHost<Peer<C, Identity, Data>, PeerSessionHolder>, identity: Identity, handshake: PeerHandshake) {
    this.#host = host;
    this.handshake = handshake;
    this.#core = new PeerCore<Peer<C, Identity, Data>>({
      peer: this as Peer<C, Identity, Data>,
      host,
      socket,
      identity,
      emitEvent: (name, payload) => void this.#events.emit(name, payload),
      forget: () => void this.#events.removeAllListeners(),
    });
  }

  /** What `authenticate(request)` (or `authenticateHello`) resolved to; `undefined` without them. */
  get identity(): Identity {
    return this.#core.identity as Identity;
  }

  /** Current lifecycle state (`suspended`: a resumable session waiting for its client). */
  get state(): PeerState {
    return this.#core.state;
  }

  /** Session resume: this peer's session id, when its client resumes sessions (docs/protocol.md §10). */
  get sid(): string | undefined {
    return this.#core.sid;
  }

  /** Bytes queued on this peer's socket and not yet handed to the kernel (0 without a socket). */
  get bufferedAmount(): number {
    return this.#core.bufferedAmount;
  }

  /** The rooms this peer is in (kept while suspended). */
  get rooms(): ReadonlySet<string> {
    return this.#host.rooms.roomsOf(this.id);
  }

  /** Join one or more rooms. */
  join(room: string | readonly string[]): void {
    for (const r of typeof room === 'string' ? [room] : room) this.#host.rooms.join(this.id, r);
    this.#core.roomsChanged();
  }

  /** Leave a room (no-op when not in it). */
  leave(room: string): void {
    this.#host.rooms.leave(this.id, room);
    this.#core.roomsChanged();
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

  /**
   * Send a typed event to this client; while the session is suspended it is kept and sent on
   * resume. False when it was dropped (closed, or volatile and behind or suspended).
   */
  emit<K extends EventName<Ep<C>['emits']>>(event: K, ...args: EmitArgs<Ep<C>['emits'][K], EmitOptions>): boolean {
    const [payload, options] = args;
    return this.#core.send(eventEnvelope(event, payload), options?.volatile ?? false);
  }

  /**
   * Ask the client (its request handler answers); a suspended session's request goes out on
   * resume. Rejects with `RequestError` (`timeout`…) or `DisconnectedError`.
   */
  request<K extends RequestName<Ep<C>['calls']>>(
    method: K,
    ...args: EmitArgs<RequestPayload<Ep<C>['calls'], K>, RequestOptions>
  ): Promise<ResponsePayload<Ep<C>['calls'], K>> {
    const [payload, options] = args;
    return this.#core.request(method, payload, options) as Promise<ResponsePayload<Ep<C>['calls'], K>>;
  }

  /**
   * Start the close handshake (RFC 6455 §7.1.2); `'disconnect'` fires when it completes (at once
   * for a suspended session). The session ends: it cannot be resumed. A code that may not be sent
   * throws a `TandemError` `ERR_INVALID_ARGUMENT` at once, the peer unchanged.
   */
  close(code: number = CloseCodes.NormalClosure, reason = ''): void {
    // RFC 6455 §7.4.2: 1005, 1006, 1015 (and unassigned codes) never appear in a close frame.
    // Checked before any state changes, so a bad call cannot strand the peer in 'closing'.
    if (!isValidWireCloseCode(code)) throw new TandemError(ErrorCodes.InvalidArgument, `close code ${code} may not be sent`);
    this.#core.close(code, reason);
  }

  /** Drop the TCP connection at once, without a close handshake. The session ends. */
  terminate(reason = 'terminated'): void {
    this.#core.terminate(reason);
  }

  /** @internal write (or, suspended, log) a broadcast; false when neither. */
  deliver(message: BroadcastMessage): boolean {
    return this.#core.deliver(message);
  }
}
