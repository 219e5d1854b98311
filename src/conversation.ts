import { CloseCodes } from './close-codes.js';
import { decodeEnvelope, jsonCodec } from './codec.js';
import type { Codec } from './codec.js';
import { EnvelopeDirections, responseEnvelope } from './envelope.js';
import type { Envelope, ErrorEnvelope, EventEnvelope, HelloEnvelope, RequestEnvelope, ResponseEnvelope, Side, WelcomeEnvelope } from './envelope.js';
import { ErrorCodes, ProtocolError } from './errors.js';
import type { TandemError } from './errors.js';
import { heartbeatReply } from './heartbeat.js';
import { PendingRequests, RequestError, RequestErrorCodes, isRequestError } from './requests.js';
import type { Scheduler } from './scheduler.js';
import { systemScheduler } from './scheduler.js';
import { PayloadValidationError, describeIssues, findSchema, validatePayload } from './validate.js';
import type { ContractDefinition, StandardIssue, Validation } from './validate.js';

/** Options of a {@link Conversation}. */
export interface ConversationOptions<Ctx> {
  /** This end. */
  side: Side;
  /** Sends an envelope to the peer (the owner encodes, queues or drops it). */
  transmit(envelope: Envelope): void;
  /** Incoming event that passed validation. */
  onEvent(name: string, payload: unknown): void;
  /** Non-fatal problems: invalid event payload, answer to an unknown request, handler failure. */
  onError(error: TandemError | unknown): void;
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
}

/** What {@link Conversation.receive} did with one message. */
export type ReceiveOutcome =
  | { kind: 'handled'; envelope: Envelope }
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

  /** A new connection starts: back to the handshake phase (pending requests are kept). */
  reset(): void {
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
    // docs/protocol.md "Directions": the rule of checkDirection, as a value instead of a throw.
    if (EnvelopeDirections[envelope.type] === side) return fatal(`a ${side} never receives "${envelope.type}"`);
    const pre = envelope.type === 'ping' || envelope.type === 'pong';
    if (envelope.type === 'hello' || envelope.type === 'welcome') {
      // docs/protocol.md "Handshake": exactly one hello and one welcome per connection.
      if (this.#phase === 'ready') return fatal(`unexpected second "${envelope.type}"`);
      return { kind: 'handshake', envelope };
    }
    if (!pre && this.#phase === 'handshake') return fatal(`"${envelope.type}" before the handshake completed`);
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
      default: {
        const unreachable: never = envelope;
        return unreachable;
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
    const handler = this.#handlers.get(name);
    if (handler === undefined) {
      this.#options.transmit(new RequestError(RequestErrorCodes.UnknownMethod, `no handler for "${name}"`).toEnvelope(id));
      return;
    }
    this.#validate(this.#peer, 'request', name, envelope.payload, (result) => {
      if (!result.ok) return this.#options.transmit(invalidPayload('payload', name, result.issues).toEnvelope(id));
      // A handler is user code: its failure becomes an error envelope, never a protocol error.
      new Promise<unknown>((resolve) => resolve(handler(result.value, this.#options.context))).then(
        (value) => this.#options.transmit(responseEnvelope(id, value)),
        (err: unknown) => this.#options.transmit(this.#failure(id, err)),
      );
    });
  }

  #failure(id: number, err: unknown): ErrorEnvelope {
    if (isRequestError(err)) return err.toEnvelope(id);
    this.#options.onError(err);
    return new RequestError(RequestErrorCodes.Internal, 'internal error').toEnvelope(id);
  }

  #onAnswer(envelope: ResponseEnvelope | ErrorEnvelope): void {
    const name = this.requests.nameOf(envelope.id);
    if (name === undefined) {
      // docs/protocol.md "Errors": an answer to no pending request is reported and ignored.
      this.#options.onError(new ProtocolError(ErrorCodes.UnknownResponse, `${envelope.type} for unknown request id ${envelope.id}`, CloseCodes.PolicyViolation));
      return;
    }
    if (envelope.type === 'error') {
      this.requests.reject(envelope.id, new RequestError(envelope.code, envelope.message, envelope.details));
      return;
    }
    this.#validate(this.#options.side, 'response', name, envelope.payload, (result) => {
      if (result.ok) this.requests.resolve(envelope.id, result.value);
      else this.requests.reject(envelope.id, invalidPayload('response', name, result.issues));
    });
  }

  // Synchronous validators answer synchronously, so message order is kept.
  #validate(sender: Side, kind: 'event' | 'request' | 'response', name: string, payload: unknown, then: (result: Validation) => void): void {
    const result = validatePayload(findSchema(this.#options.schemas, sender, kind, name), payload);
    if (result instanceof Promise) void result.then(then);
    else then(result);
  }
}

function invalidPayload(what: 'payload' | 'response', name: string, issues: ReadonlyArray<StandardIssue>): RequestError {
  return new RequestError(RequestErrorCodes.InvalidPayload, `invalid ${what} for "${name}": ${describeIssues(issues)}`, issues);
}

function fatal(message: string): ReceiveOutcome {
  return { kind: 'fatal', error: new ProtocolError(ErrorCodes.InvalidEnvelope, message, CloseCodes.PolicyViolation) };
}

