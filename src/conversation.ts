/**
 * The typed conversation both ends speak, written once: everything between "a message arrived"
 * and "user code runs" (decode, direction and handshake checks, validation, routing, answers).
 * The client keeps one Conversation across reconnects, so it also draws the line between
 * connections: work started on an old connection never reaches the next one (see `reset()`).
 */
import { decodeEnvelope, jsonCodec } from './codec.js';
import type { Codec } from './codec.js';
import { EnvelopeDirections, envelopeError, responseEnvelope } from './envelope.js';
import type { Envelope, ErrorEnvelope, EventEnvelope, HelloEnvelope, RequestEnvelope, ResponseEnvelope, Side, WelcomeEnvelope } from './envelope.js';
import { ErrorCodes } from './errors.js';
import type { ProtocolError, TandemError } from './errors.js';
import { heartbeatReply } from './heartbeat.js';
import { PendingRequests, RequestError, RequestErrorCodes, isRequestError } from './requests.js';
import type { Scheduler } from './scheduler.js';
import { systemScheduler } from './scheduler.js';
import { PayloadValidationError, describeIssues, findSchema, validatePayload } from './validate.js';
import type { ContractDefinition, StandardIssue, Validation } from './validate.js';
import { assertNever } from './assert-never.js';
import { isSequenced } from './session/inbound-sequence.js';
import type { InboundVerdict } from './session/inbound-sequence.js';

/** Options of a {@link Conversation}. */
export interface ConversationOptions<Ctx> {
  /** This end. */
  side: Side;
  /** Sends an envelope to the peer (the owner encodes, queues or drops it). */
  transmit(envelope: Envelope): void;
  /** Incoming event that passed validation. */
  onEvent(name: string, payload: unknown): void;
  /**
   * Non-fatal problems: invalid event payload, answer to an unknown request, handler failure.
   * `source` names the user code that failed, when it is user code (`request handler "join"`).
   */
  onError(error: TandemError | unknown, source?: string): void;
  /** Second argument of every request handler (the server passes the peer). */
  context: Ctx;
  /** @default jsonCodec */
  codec?: Codec | undefined;
  /** @default systemScheduler */
  scheduler?: Scheduler;
  /** Validators keyed by the sending side (see `ContractSchemas`). */
  schemas?: ContractDefinition | undefined;
  /** Default request timeout (ms). @default 10000 */
  requestTimeout?: number | undefined;
  /**
   * Where incoming requests find their handler, looked up by name per request (the typed server's
   * one table for all its peers), after those registered with `handle()`.
   */
  handlers?: HandlerTable<Ctx> | undefined;
}

/** Request handlers by name. */
export interface HandlerTable<Ctx> {
  get(name: string): AnyRequestHandler<Ctx> | undefined;
}

/**
 * The receiving side of a resumable session (a `SessionChannel`): what the conversation needs to
 * drop replayed duplicates and to acknowledge (docs/protocol.md §10).
 */
export interface SessionReceiver {
  /** The peer acknowledged up to `seq`; false when that is more than was sent. */
  acknowledged(seq: number): boolean;
  /** Judges (and counts) an incoming seq. */
  accept(seq: number): InboundVerdict;
}

/** What {@link Conversation.receive} did with one message. */
export type ReceiveOutcome =
  | { kind: 'handled'; envelope: Envelope }
  /** Session resume: a replayed envelope that was delivered before; dropped. */
  | { kind: 'duplicate'; envelope: Envelope }
  /** A hello (at the server) or welcome (at the client): the owner decides, then calls `ready()`. */
  | { kind: 'handshake'; envelope: HelloEnvelope | WelcomeEnvelope }
  /** Fail the connection with `error.closeCode` (docs/protocol.md "Errors"). */
  | { kind: 'fatal'; error: ProtocolError };

/** Handler signature stored by the conversation (typed at the client/server API). */
export type AnyRequestHandler<Ctx> = (payload: unknown, context: Ctx) => unknown;

/**
 * One end of the typed conversation, shared by client and server: decodes and routes incoming
 * messages (events to `onEvent`, requests to handlers, answers to the pending table, pings to
 * pongs) and enforces the handshake: nothing but hello/welcome/ping/pong before `ready()`.
 */
export class Conversation<Ctx = void> {
  /** Requests this end made. */
  readonly requests: PendingRequests;
  readonly codec: Codec;
  readonly #options: ConversationOptions<Ctx>;
  readonly #handlers = new Map<string, AnyRequestHandler<Ctx>>();
  readonly #peer: Side;
  #phase: 'handshake' | 'ready' = 'handshake';
  /** Counts connections: work captured under an older epoch is dropped, never delivered or sent. */
  #epoch = 0;
  /** Tail of the deliveries waiting behind an async validator on this connection, if any. */
  #tail: Promise<void> | undefined;
  /** The resumable session this conversation runs in, if both ends agreed to resume. */
  #session: SessionReceiver | undefined;

  constructor(options: ConversationOptions<Ctx>) {
    this.#options = options;
    this.codec = options.codec ?? jsonCodec;
    this.#peer = options.side === 'client' ? 'server' : 'client';
    this.requests = new PendingRequests(options.scheduler ?? systemScheduler, options.requestTimeout);
  }

  /** Has the handshake completed on the current connection? */
  get isReady(): boolean {
    return this.#phase === 'ready';
  }

  /** The handshake is done: typed traffic may flow. */
  ready(): void {
    this.#phase = 'ready';
  }

  /**
   * The connection ended; the next one starts in the handshake phase (pending requests are kept).
   * Answers of handlers still running and deliveries still waiting for an async validator belong
   * to the old connection: they are dropped, so they can never land on the new one.
   */
  reset(): void {
    this.#phase = 'handshake';
    this.#epoch++;
    this.#tail = undefined;
  }

  /**
   * Session resume: from now on incoming application envelopes must carry `seq` and are checked
   * by `session` (duplicates dropped, gaps fatal); `undefined` turns it off (a new, plain session).
   */
  useSession(session: SessionReceiver | undefined): void {
    this.#session = session;
  }

  /**
   * Session resume: the link dropped but the session lives on. The next link starts in the
   * handshake phase, but — unlike {@link reset} — answers still being computed belong to the
   * session and go out (the owner logs them and re-sends them after the resume).
   */
  suspend(): void {
    this.#phase = 'handshake';
  }

  /** Registers the handler of incoming request `name`; returns its disposer. */
  handle(name: string, handler: AnyRequestHandler<Ctx>): () => void {
    this.#handlers.set(name, handler);
    return () => {
      if (this.#handlers.get(name) === handler) this.#handlers.delete(name);
    };
  }

  /** Decodes and routes one incoming message. Never throws for anything the peer sent. */
  receive(data: string | Uint8Array): ReceiveOutcome {
    const decoded = decodeEnvelope(this.codec, data);
    if (!decoded.ok) return { kind: 'fatal', error: decoded.error };
    const envelope = decoded.envelope;
    const side = this.#options.side;
    // docs/protocol.md "Directions": an envelope only its own side may send is refused (1008).
    if (EnvelopeDirections[envelope.type] === side) return fatal(`a ${side} never receives "${envelope.type}"`);
    const pre = envelope.type === 'ping' || envelope.type === 'pong';
    if (envelope.type === 'hello' || envelope.type === 'welcome') {
      // docs/protocol.md "Handshake": exactly one hello and one welcome per connection.
      if (this.#phase === 'ready') return fatal(`unexpected second "${envelope.type}"`);
      return { kind: 'handshake', envelope };
    }
    if (!pre && this.#phase === 'handshake') return fatal(`"${envelope.type}" before the handshake completed`);
    const session = this.#session;
    if (session !== undefined) {
      // docs/protocol.md §10: acks are cumulative; one beyond what was sent is the peer's fault.
      if (envelope.ack !== undefined && !session.acknowledged(envelope.ack)) return fatal(`"ack" ${envelope.ack} is beyond what was sent`);
      if (isSequenced(envelope)) {
        if (envelope.seq === undefined) return fatal(`"${envelope.type}" without "seq" in a resumable session`);
        const verdict = session.accept(envelope.seq);
        if (verdict === 'duplicate') return { kind: 'duplicate', envelope };
        if (verdict === 'gap') return fatal(`"seq" ${envelope.seq} skips a message`);
      }
    }
    this.#route(envelope);
    return { kind: 'handled', envelope };
  }

  #route(envelope: Exclude<Envelope, HelloEnvelope | WelcomeEnvelope>): void {
    switch (envelope.type) {
      case 'event':
        return this.#onEvent(envelope);
      case 'request':
        return this.#onRequest(envelope);
      case 'response':
        return this.#onAnswer(envelope);
      case 'error':
        return this.#onAnswer(envelope);
      case 'ping': {
        const pong = heartbeatReply(envelope);
        if (pong) this.#options.transmit(pong);
        return;
      }
      case 'pong':
        return; // liveness only: the owner's heartbeat already saw the traffic
      case 'ack':
        return; // its `ack` field was applied in receive(); without a session it means nothing
      default: {
        return assertNever(envelope);
      }
    }
  }

  #onEvent(envelope: EventEnvelope): void {
    this.#validate(this.#peer, 'event', envelope.name, envelope.payload, (result) => {
      if (result.ok) this.#options.onEvent(envelope.name, result.value);
      else this.#options.onError(new PayloadValidationError(envelope.name, result.issues));
    });
  }

  #onRequest(envelope: RequestEnvelope): void {
    const { id, name } = envelope;
    const handler = this.#handlers.get(name) ?? this.#options.handlers?.get(name);
    if (handler === undefined) {
      this.#options.transmit(new RequestError(RequestErrorCodes.UnknownMethod, `no handler for "${name}"`).toEnvelope(id));
      return;
    }
    this.#validate(this.#peer, 'request', name, envelope.payload, (result) => {
      if (!result.ok) return this.#options.transmit(invalidPayload('payload', name, result.issues).toEnvelope(id));
      // Ids restart with every connection's peer: an answer computed for this connection must
      // not go out on a later one, where `id` may name another request (or come before the welcome).
      const epoch = this.#epoch;
      const answer = (envelope: Envelope): void => {
        if (epoch !== this.#epoch) return;
        try {
          this.#options.transmit(envelope);
        } catch (err) {
          // The handler's value could not be encoded (a cycle, 100,000 levels of nesting…): report
          // it, and the caller still gets an answer instead of waiting for its timeout.
          this.#options.onError(err, `request handler "${name}"`);
          this.#options.transmit(new RequestError(RequestErrorCodes.Internal, 'internal error').toEnvelope(id));
        }
      };
      // A handler is user code: its failure becomes an error envelope, never a protocol error.
      new Promise<unknown>((resolve) => resolve(handler(result.value, this.#options.context))).then(
        (value) => answer(responseEnvelope(id, value)),
        (err: unknown) => answer(this.#failure(id, name, err)),
      );
    });
  }

  #failure(id: number, name: string, err: unknown): ErrorEnvelope {
    if (isRequestError(err)) return err.toEnvelope(id);
    this.#options.onError(err, `request handler "${name}"`);
    return new RequestError(RequestErrorCodes.Internal, 'internal error').toEnvelope(id);
  }

  #onAnswer(envelope: ResponseEnvelope | ErrorEnvelope): void {
    const name = this.requests.nameOf(envelope.id);
    if (name === undefined) {
      // docs/protocol.md "Errors": an answer to no pending request is reported and ignored.
      this.#options.onError(envelopeError(`${envelope.type} for unknown request id ${envelope.id}`, undefined, ErrorCodes.UnknownResponse));
      return;
    }
    if (envelope.type === 'error') {
      const error = new RequestError(envelope.code, envelope.message, envelope.details);
      // Unvalidated, but still in line behind any earlier message waiting for an async validator.
      this.#inOrder({ ok: true, value: undefined }, () => this.requests.reject(envelope.id, error));
      return;
    }
    this.#validate(this.#options.side, 'response', name, envelope.payload, (result) => {
      if (result.ok) this.requests.resolve(envelope.id, result.value);
      else this.requests.reject(envelope.id, invalidPayload('response', name, result.issues));
    });
  }

  #validate(sender: Side, kind: 'event' | 'request' | 'response', name: string, payload: unknown, then: (result: Validation) => void): void {
    this.#inOrder(validatePayload(findSchema(this.#options.schemas, sender, kind, name), payload), then);
  }

  /**
   * Runs `then` in arrival order and only on the connection the message came on. With nothing
   * async in flight a synchronous result runs at once (sync validators stay synchronous); once an
   * async validator is pending, later messages queue behind it on a promise chain until it drains.
   */
  #inOrder(result: Validation | Promise<Validation>, then: (result: Validation) => void): void {
    if (this.#tail === undefined && !(result instanceof Promise)) return then(result);
    const epoch = this.#epoch;
    const tail: Promise<void> = (this.#tail ?? Promise.resolve())
      .then(() => result)
      .then((settled) => {
        if (epoch === this.#epoch) then(settled);
      })
      // `then` routes user code through callbacks that report their own failures; never break the chain.
      .catch((err: unknown) => this.#options.onError(err))
      .finally(() => {
        if (this.#tail === tail) this.#tail = undefined;
      });
    this.#tail = tail;
  }
}

function invalidPayload(what: 'payload' | 'response', name: string, issues: ReadonlyArray<StandardIssue>): RequestError {
  return new RequestError(RequestErrorCodes.InvalidPayload, `invalid ${what} for "${name}": ${describeIssues(issues)}`, issues);
}

function fatal(message: string): ReceiveOutcome {
  return { kind: 'fatal', error: envelopeError(message) };
}

