/**
 * The browser client's lifecycle: one typed conversation kept alive across connections. This file
 * is the state machine (connecting → open → waiting → connecting …, open → connecting while a
 * resumable session replaces its link, or closed for good) and the
 * sending rules; attempts (URL, auth, socket) live in attempt.ts, browser network hints in
 * network.ts, the lifecycle events in lifecycle-notifier.ts. Each lifecycle variant owns its timers
 * and socket, released in `#transition`, and user listeners run only after a state change is
 * complete, guarded so they cannot derail it.
 */
import { EventEmitter } from 'eventemitter3';
import { attemptAfterUptime, backoffPolicy } from '../src/backoff.js';
import type { BackoffPolicy } from '../src/backoff.js';
import { CloseCodes } from '../src/close-codes.js';
import type { ContractShape, EventHandler, EventName, EventMap, JsonPayload, PayloadArgs, RequestHandler, RequestMap, RequestName, RequestPayload, ResponsePayload } from '../src/contract.js';
import { Conversation } from '../src/conversation.js';
import { ackEnvelope, eventEnvelope } from '../src/envelope.js';
import type { Envelope, SequencedEnvelope, WelcomeEnvelope } from '../src/envelope.js';
import { ErrorCodes, StateError, TandemTypeError, asError } from '../src/errors.js';
import { callListener } from '../src/call-listener.js';
import { loggerFrom } from '../src/logger.js';
import { HEARTBEAT_DEFAULTS, HeartbeatMonitor, pingEnvelope } from '../src/heartbeat.js';
import type { HeartbeatPolicy } from '../src/heartbeat.js';
import { DisconnectedError } from '../src/requests.js';
import type { RequestOptions } from '../src/requests.js';
import { systemScheduler } from '../src/scheduler.js';
import type { Scheduler, TimerHandle } from '../src/scheduler.js';
import type { ContractDefinition } from '../src/validate.js';
import { startAttempt } from './attempt.js';
import { browserCloseCode, checkCloseArgs } from './browser-close.js';
import type { AttemptSource } from './attempt.js';
import { watchNetwork } from './network.js';
import type { NetworkWatch } from './network.js';
import { CLIENT_DEFAULTS, closeInfo } from './options.js';
import type { ClientOptions, ClientState, LifecycleEvents, UrlSource } from './options.js';
import { decideReconnect } from './reconnect.js';
import type { ReconnectDecision } from './reconnect.js';
import { ClientSession } from './session.js';
import type { Transport, WebSocketConstructor } from './transport.js';
import { assertNever } from '../src/assert-never.js';
import { checkUrlSource, validateClientOptions } from './validate-options.js';
import { connectTimeoutError } from './connection-error.js';
import { LifecycleNotifier } from './lifecycle-notifier.js';
import { clientTrace, wireCodec } from './trace.js';

/** The lifecycle: each variant owns its resources, released by `#transition` when it is left. */
type Lifecycle =
  // `shown`: the public state meanwhile ('open' while a resumable session's link is replaced).
  | { kind: 'connecting'; attempt: number; shown: ClientState; socket: Transport | undefined; connectTimer: TimerHandle; url?: string }
  | { kind: 'open'; attempt: number; socket: Transport; heartbeat: HeartbeatMonitor | undefined; openedAt: number }
  | { kind: 'waiting'; attempt: number; retryTimer: TimerHandle | undefined }
  | { kind: 'closed'; code: number; reason: string };

type Linked = Extract<Lifecycle, { kind: 'connecting' | 'open' }>;

/** Request arguments: the payload (optional when the contract allows undefined), then options. */
export type RequestArgs<P> = undefined extends P ? [payload?: JsonPayload<P>, options?: RequestOptions] : [payload: JsonPayload<P>, options?: RequestOptions];

/**
 * The browser client: one typed conversation kept alive across reconnects.
 * `C` is the shared contract; this end emits `C['client']` events and serves `C['server']` requests.
 */
export class TandemClient<C extends ContractShape = ContractShape> {
  /** Reserved events: `state`, `open`, `close`, `error`. */
  readonly lifecycle: EventEmitter<LifecycleEvents>;
  readonly #events = new EventEmitter();
  readonly #conversation: Conversation;
  readonly #session: ClientSession;
  readonly #network: NetworkWatch;
  readonly #source: AttemptSource;
  readonly #options: ClientOptions<C>;
  readonly #scheduler: Scheduler;
  readonly #random: () => number;
  readonly #backoff: BackoffPolicy;
  readonly #heartbeat: HeartbeatPolicy | undefined;
  readonly #trace = clientTrace('tandem:client');
  readonly #notifier: LifecycleNotifier;
  #state: Lifecycle;

  constructor(url: UrlSource, options: ClientOptions<C> = {}) {
    validateClientOptions(options);
    checkUrlSource(url);
    const WebSocketCtor = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (WebSocketCtor === undefined) throw new TandemTypeError(ErrorCodes.InvalidArgument, 'createClient: no global WebSocket: pass the `WebSocket` option');
    this.#source = { url, auth: options.auth, WebSocket: WebSocketCtor, protocols: options.protocols };
    this.#options = options;
    this.#scheduler = options.scheduler ?? systemScheduler;
    this.#random = options.random ?? Math.random;
    this.#backoff = backoffPolicy(options.reconnect || {});
    this.#heartbeat = options.heartbeat === false ? undefined : { ...HEARTBEAT_DEFAULTS, ...options.heartbeat };
    this.#notifier = new LifecycleNotifier(loggerFrom(options.logger), this.#trace);
    this.lifecycle = this.#notifier.emitter;
    this.#conversation = new Conversation<void>({
      side: 'client',
      context: undefined,
      scheduler: this.#scheduler,
      schemas: options.schemas as ContractDefinition | undefined,
      codec: wireCodec(options.codec),
      requestTimeout: options.requestTimeout,
      transmit: (envelope) => this.#reply(envelope),
      // A listener's exception is the application's: reported, never a protocol error.
      onEvent: (name, payload) => callListener((err) => this.#notifier.report(err, `listener of "${name}"`), () => this.#events.emit(name, payload)),
      onError: (error, source) => this.#notifier.report(error, source),
    });
    this.#session = new ClientSession(this.#conversation, {
      maxQueued: options.maxQueued ?? CLIENT_DEFAULTS.maxQueued,
      resume: options.resume !== false,
      scheduler: this.#scheduler,
      sendAck: (seq) => this.#reply(ackEnvelope(seq)),
    });
    this.#network = watchNetwork(options.network, {
      online: () => this.#retryNow(), // retry at once when the network returns
      offline: () => this.#pauseRetries(),
    });
    this.#state = this.#attempt(0, 'connecting');
  }

  /** `connecting` (first attempt), `open`, `reconnecting` (waiting or retrying) or `closed`. */
  get state(): ClientState {
    const s = this.#state;
    switch (s.kind) {
      case 'connecting':
        return s.shown;
      case 'open':
        return 'open';
      case 'waiting':
        return 'reconnecting';
      case 'closed':
        return 'closed';
      default: {
        return assertNever(s);
      }
    }
  }

  /**
   * Sends event `name`. While the link is down it is queued, or kept in the session's log to go out
   * after the resume (either way throws QueueFullError when `maxQueued` are waiting); throws
   * StateError after close().
   */
  emit<K extends EventName<EventMap<C, 'client'>>>(name: K, ...args: PayloadArgs<EventMap<C, 'client'>[K]>): void {
    if (this.#state.kind === 'closed') throw new StateError(`emit("${name}") after close()`);
    this.#send(eventEnvelope(name, args[0]));
  }

  /** Listens to the server's event `name`; returns the disposer. */
  on<K extends EventName<EventMap<C, 'server'>>>(name: K, handler: EventHandler<EventMap<C, 'server'>[K]>): () => void {
    this.#events.on(name, handler);
    return () => this.off(name, handler);
  }

  /** Removes a listener added with {@link on}. */
  off<K extends EventName<EventMap<C, 'server'>>>(name: K, handler: EventHandler<EventMap<C, 'server'>[K]>): void {
    this.#events.off(name, handler);
  }

  /**
   * Calls the server's handler `name`. Made while offline, it waits for the connection (bounded
   * by its timeout). Rejects with RequestError (`code` from the server or `timeout`), DisconnectedError,
   * QueueFullError, or the signal's reason.
   */
  request<K extends RequestName<RequestMap<C, 'client'>>>(
    name: K,
    ...args: RequestArgs<RequestPayload<RequestMap<C, 'client'>, K>>
  ): Promise<ResponsePayload<RequestMap<C, 'client'>, K>> {
    if (this.#state.kind === 'closed') return Promise.reject(new StateError(`request("${name}") after close()`));
    const [payload, options] = args;
    const { envelope, promise } = this.#conversation.requests.create(name, payload, options);
    if (envelope === undefined) return promise as Promise<never>; // the signal was already aborted: nothing to send
    try {
      this.#send(envelope);
    } catch (err) {
      this.#conversation.requests.reject(envelope.id, err);
    }
    return promise as Promise<ResponsePayload<RequestMap<C, 'client'>, K>>;
  }

  /** Handles the server's request `name`; returns the disposer. */
  handle<K extends RequestName<RequestMap<C, 'server'>>>(
    name: K,
    // NoInfer: K comes from `name` alone, so the handler is checked against the contract's types
    // (a literal response such as 'pong' is not widened to string).
    handler: NoInfer<RequestHandler<RequestPayload<RequestMap<C, 'server'>, K>, ResponsePayload<RequestMap<C, 'server'>, K>>>,
  ): () => void {
    return this.#conversation.handle(name, (payload) => handler(payload as RequestPayload<RequestMap<C, 'server'>, K>));
  }

  /** Closes for good: no more reconnects, pending requests reject, every timer and listener is released. */
  close(code: number = CloseCodes.NormalClosure, reason = ''): void {
    checkCloseArgs(code, reason);
    if (this.#state.kind === 'closed') return;
    this.#finish(code, reason, code);
  }

  /**
   * Forces an attempt now (drops the current link if any; a resumable session is resumed, the
   * state staying `open`); throws StateError after close().
   */
  reconnect(): void {
    const s = this.#state;
    switch (s.kind) {
      case 'closed':
        throw new StateError('reconnect() after close()');
      case 'waiting':
        return this.#retryNow();
      case 'connecting':
      case 'open':
        // Dropped without a status code: a 1000 would tell the server the session is over (§10.3).
        this.#transition(this.#attempt(0, this.#session.unlink() ? 'open' : 'reconnecting'));
        return;
      default: {
        return assertNever(s);
      }
    }
  }

  // ——— connecting ———

  /** A new connecting state; URL and auth are resolved, then its socket is created. */
  #attempt(attempt: number, shown: ClientState): Lifecycle {
    const timeout = this.#options.connectTimeout ?? CLIENT_DEFAULTS.connectTimeout;
    const state: Linked = { kind: 'connecting', attempt, shown, socket: undefined, connectTimer: undefined };
    state.connectTimer = this.#scheduler.setTimeout(() => this.#failed(state, connectTimeoutError(state.url, timeout), 'connect timeout'), timeout);
    startAttempt(this.#source, {
      isCurrent: () => this.#state === state,
      onSocket: (socket) => void (state.socket = socket),
      onUrl: (url) => void ((state.url = url), this.#trace(`attempt ${attempt} → ${url}`)),
      onOpen: (socket, credentials) => socket.send(this.#encode(this.#session.hello(credentials))),
      onMessage: (socket, data) => this.#onMessage(socket, data),
      // The transport's cause (a refused handshake, ECONNREFUSED, a TLS error…): reported, and in the close info.
      onClose: (socket, code, reason, cause) => {
        if (!this.#owns(socket)) return;
        const error = cause === undefined ? undefined : asError(cause);
        if (error !== undefined) this.#notifier.report(error);
        this.#lost(this.#state as Linked, code, reason, false, error);
      },
      onFailed: (err, reason) => this.#failed(state, err, reason),
    });
    return state;
  }

  /** The attempt failed without a close from its socket: reported, and in the close info. */
  #failed(state: Linked, thrown: unknown, reason: string): void {
    const error = asError(thrown); // the same object on 'error' and in the close info
    this.#notifier.report(error, reason);
    this.#lost(state, CloseCodes.AbnormalClosure, reason, false, error);
  }

  #owns(socket: Transport): boolean {
    const s = this.#state;
    return (s.kind === 'connecting' || s.kind === 'open') && s.socket === socket;
  }

  #onMessage(socket: Transport, data: string | Uint8Array): void {
    if (!this.#owns(socket)) return;
    const state = this.#state as Linked;
    if (state.kind === 'open') state.heartbeat?.touch(); // any inbound traffic is liveness
    const outcome = this.#conversation.receive(data);
    switch (outcome.kind) {
      case 'handled':
      case 'duplicate':
        return;
      case 'handshake': // only a welcome gets here: the direction check refuses a hello
        return this.#onWelcome(state as Extract<Linked, { kind: 'connecting' }>, socket, outcome.envelope as WelcomeEnvelope);
      case 'fatal':
        this.#notifier.report(outcome.error, 'protocol');
        if (this.#state === state) this.#lost(state, browserCloseCode(outcome.error.closeCode), outcome.error.code, true);
        return;
      default: {
        return assertNever(outcome);
      }
    }
  }

  #onWelcome(state: Extract<Linked, { kind: 'connecting' }>, socket: Transport, welcome: WelcomeEnvelope): void {
    const { info, replay, error } = this.#session.welcome(welcome);
    if (error) {
      this.#notifier.report(error);
      return this.#lost(state, browserCloseCode(error.closeCode), error.code, true);
    }
    const policy = this.#heartbeat;
    const heartbeat = policy
      ? new HeartbeatMonitor({
          policy,
          scheduler: this.#scheduler,
          sendPing: () => socket.send(this.#encode(pingEnvelope())),
          onDead: () => this.#lost(this.#state as Linked, CloseCodes.HeartbeatTimeout, 'heartbeat timeout', true),
        })
      : undefined;
    this.#conversation.ready();
    // The replay and queued messages go first, before anything a 'state' or 'open' listener sends.
    this.#session.flush(socket, replay);
    // Started before the 'state' listeners run: the open state owns it from its first moment, so a
    // listener that closes the client stops it, and one that throws cannot leave the link unwatched.
    heartbeat?.start();
    const open: Lifecycle = { kind: 'open', attempt: state.attempt, socket, heartbeat, openedAt: this.#scheduler.now() };
    this.#transition(open);
    if (this.#state === open) this.#notifier.notify('open', info);
  }

  // ——— sending ———

  #encode(envelope: Envelope): string | Uint8Array {
    return this.#conversation.codec.encode(envelope);
  }

  /** An event or request: onto the live link, or kept for the next one (session log or offline queue). */
  #send(envelope: SequencedEnvelope): void {
    const s = this.#state;
    // A CLOSING socket silently discards what it is given (WHATWG WebSockets, send() step 3):
    // until its close event moves us on, it is not live.
    this.#session.send(envelope, s.kind === 'open' && s.socket.isOpen ? s.socket : undefined);
  }

  // Pongs, acks and answers to the server's requests: only on a live link, never queued.
  #reply(envelope: Envelope): void {
    const s = this.#state;
    const socket = (s.kind === 'open' || s.kind === 'connecting') && s.socket?.isOpen ? s.socket : undefined;
    this.#session.reply(envelope, socket, s.kind === 'open');
  }

  // ——— losing the link ———

  /** A connection or attempt ended with `code`; `wire` says the client itself closes it with that code. */
  #lost(state: Linked, code: number, reason: string, wire = false, error?: Error): void {
    if (this.#state !== state) return;
    const resuming = this.#session.unlink();
    const attempt = state.kind === 'open' ? attemptAfterUptime(this.#backoff, state.attempt, this.#scheduler.now() - state.openedAt) : state.attempt;
    const reconnect = this.#options.reconnect;
    const decision: ReconnectDecision =
      reconnect === false ? { kind: 'stop' } : decideReconnect(this.#backoff, code, attempt, this.#random, reconnect?.isFatal);
    if (decision.kind === 'stop') return this.#finish(code, reason, wire ? code : undefined, error);
    const offline = this.#network.isOffline();
    // A blip of a resumable session: one attempt at once, the public state staying 'open'. A
    // restart hint (1012/1013) keeps its spread, so a restarted server is not stampeded.
    const blip = resuming && state.kind === 'open' && !offline && code !== CloseCodes.ServiceRestart && code !== CloseCodes.TryAgainLater;
    const retryTimer = blip || offline ? undefined : this.#scheduler.setTimeout(() => this.#retryNow(), decision.delay);
    const next: Lifecycle = blip ? this.#attempt(attempt, 'open') : { kind: 'waiting', attempt: attempt + 1, retryTimer };
    this.#transition(next, wire ? code : undefined, reason);
    // Unless a 'state' listener already moved on (close(), reconnect()), whose own events said so.
    if ((this.#state as Lifecycle) === next) this.#notifier.notify('close', closeInfo(code, reason, true, resuming, retryTimer === undefined ? undefined : decision.delay, error));
  }

  // Offline: stop burning retries, and wait (without a timer) for 'online'.
  #pauseRetries(): void {
    const s = this.#state;
    if (s.kind === 'waiting' && s.retryTimer !== undefined) this.#transition({ kind: 'waiting', attempt: s.attempt, retryTimer: undefined });
  }

  #retryNow(): void {
    const s = this.#state;
    if (s.kind === 'waiting') this.#transition(this.#attempt(s.attempt, 'reconnecting'));
  }

  #finish(code: number, reason: string, wireCode: number | undefined, error?: Error): void {
    this.#conversation.requests.rejectAll(new DisconnectedError('the client was closed'));
    this.#session.end();
    this.#network.dispose();
    this.#transition({ kind: 'closed', code, reason }, wireCode, reason);
    this.#notifier.notify('close', closeInfo(code, reason, false, false, undefined, error));
  }

  // ——— the one state change ———

  /** Enters `next`, releasing what the old state owned (socket closed with `code` unless carried over). */
  #transition(next: Lifecycle, code?: number, reason?: string): void {
    const previous = this.state;
    const old = this.#state;
    this.#state = next;
    switch (old.kind) {
      case 'connecting':
        this.#scheduler.clearTimeout(old.connectTimer);
        if (old.socket && !(next.kind === 'open' && next.socket === old.socket)) old.socket.dispose(code, reason);
        break;
      case 'open':
        old.heartbeat?.stop();
        old.socket.dispose(code, reason);
        break;
      case 'waiting':
        if (old.retryTimer !== undefined) this.#scheduler.clearTimeout(old.retryTimer);
        break;
      case 'closed':
        break;
      default: {
        return assertNever(old);
      }
    }
    if (this.state !== previous) this.#notifier.notify('state', this.state, previous);
  }
}

/** Creates a client for contract `C` and starts connecting. */
export function createClient<C extends ContractShape = ContractShape>(url: UrlSource, options: ClientOptions<C> = {}): TandemClient<C> {
  return new TandemClient<C>(url, options);
}
