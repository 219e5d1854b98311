/**
 * One connected client, seen through the typed contract: incoming events and requests are decoded
 * and routed by the shared {@link Conversation}; outgoing ones are encoded by the server's codec.
 * The peer owns no timer once its hello has arrived (liveness is the server's single sweep).
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'eventemitter3';
import type { BroadcastOperator, BroadcastOptions } from './rooms.js';
import type { PeerId } from './adapter.js';
import type { PreparedMessage } from './prepared-message.js';
import type { LivenessHandle } from './liveness.js';
import type { Conversation } from '../../src/conversation.js';
import type { Envelope, HelloEnvelope } from '../../src/envelope.js';
import { PROTOCOL_VERSION } from '../../src/envelope.js';
import type { EventName, JsonPayload, PayloadArgs, RequestName, RequestPayload, ResponsePayload, ServerEndpoint } from '../../src/contract.js';
import type { RequestOptions } from '../../src/requests.js';
import { DisconnectedError } from '../../src/requests.js';
import { CloseCodes, isValidWireCloseCode } from '../../src/close-codes.js';
import { ErrorCodes, TandemError } from '../../src/errors.js';
import { assertNever } from '../../src/assert-never.js';

/** The low-level socket a peer drives (a `WebSocketServer` connection, ws-style events). */
export interface PeerSocket {
  readonly bufferedAmount: number;
  send(data: string | Uint8Array): void;
  /** Write an already framed, unmasked message: the same bytes for every recipient of a broadcast. */
  sendFrame?(frame: readonly Uint8Array[]): void;
  ping(): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): unknown;
  on(event: 'close', listener: (code: number, reason: Buffer) => void): unknown;
  on(event: 'pong', listener: () => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
}

/**
 * Lifecycle: waiting for the hello, admitting (an async `authenticateHello` runs), open,
 * closing (close sent), closed.
 */
export type PeerState = 'handshake' | 'admitting' | 'open' | 'closing' | 'closed';

/** Messages a peer may send between its hello and our welcome (a client sends none but pings). */
const MAX_BACKLOG = 64;

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

/** The server internals a peer reports to (implemented by the server, never by users). */
export interface PeerHost {
  /** Send one envelope to `peer`, applying backpressure; false when it was not written. */
  write(peer: Peer<never>, envelope: Envelope, volatile: boolean): boolean;
  /** The hello arrived: admit the peer (welcome, 'connection'). */
  admit(peer: Peer<never>, hello: HelloEnvelope): void;
  /** The socket closed: forget the peer. Called once. */
  release(peer: Peer<never>, code: number, reason: string): void;
  /** A message arrived (stats, liveness). */
  received(peer: Peer<never>, bytes: number): void;
  /** Broadcast operator for `peer.to()`: its rooms, without the peer itself. */
  operatorFor(peer: Peer<never>): BroadcastOperator<object>;
  join(peer: Peer<never>, room: string): void;
  leave(peer: Peer<never>, room: string): void;
  roomsOf(peer: Peer<never>): ReadonlySet<string>;
  report(error: unknown, peer: Peer<never>): void;
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
  #identity: Identity;
  /** The client's `auth` value from its hello envelope (browsers cannot set handshake headers). */
  auth: unknown = undefined;
  /** Per-connection application state. */
  data: Data = {} as Data;
  readonly handshake: PeerHandshake;
  /** @internal set by the server: liveness tracking of this peer. */
  liveness: LivenessHandle | undefined;
  /** @internal the shared conversation (decode, route, pending requests). */
  conversation!: Conversation<Peer<C, Identity, Data>>;
  /** @internal client requests whose handler has not settled (for stats; forgotten with the peer). */
  inflight = 0;
  /** @internal disposers of the server's handlers installed on this peer's conversation. */
  readonly handlers = new Map<string, () => void>();

  readonly #socket: PeerSocket;
  readonly #host: PeerHost;
  readonly #events = new EventEmitter();
  #state: PeerState = 'handshake';
  /** Raw messages that arrived while admitting, replayed in order once open. */
  #backlog: Array<[data: Uint8Array | string, bytes: number]> = [];
  /** Our own reason when we end the connection (heartbeat, slow consumer…), reported on disconnect. */
  #closeReason: string | undefined;

  /** @internal created by the server after the 101. */
  constructor(socket: PeerSocket, host: PeerHost, identity: Identity, handshake: PeerHandshake) {
    this.#socket = socket;
    this.#host = host;
    this.#identity = identity;
    this.handshake = handshake;
    // A text message is handed over as a string: the codec tells text from binary envelopes by type.
    // Binary: a plain Uint8Array view (no copy), because a Buffer's toJSON would defeat the codec's
    // binary attachments when a handler echoes the bytes back.
    socket.on('message', (data, isBinary) =>
      this.#onMessage(isBinary ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : data.toString('utf8'), data.byteLength),
    );
    socket.on('pong', () => this.liveness?.alive());
    socket.on('error', (err) => this.#host.report(err, this.#self()));
    socket.on('close', (code, reason) => this.#onClose(code, reason.toString('utf8')));
  }

  /** What `authenticate(request)` (or `authenticateHello`) resolved to; `undefined` without them. */
  get identity(): Identity {
    return this.#identity;
  }

  /** Current lifecycle state. */
  get state(): PeerState {
    return this.#state;
  }

  /** Bytes queued on this peer's socket and not yet handed to the kernel. */
  get bufferedAmount(): number {
    return this.#socket.bufferedAmount;
  }

  /** The rooms this peer is in. */
  get rooms(): ReadonlySet<string> {
    return this.#host.roomsOf(this.#self());
  }

  /** Join one or more rooms. */
  join(room: string | readonly string[]): void {
    for (const r of typeof room === 'string' ? [room] : room) this.#host.join(this.#self(), r);
  }

  /** Leave a room (no-op when not in it). */
  leave(room: string): void {
    this.#host.leave(this.#self(), room);
  }

  /** Broadcast to the members of `room`, this peer excluded. */
  to(room: string | readonly string[]): BroadcastOperator<Ep<C>['emits']> {
    return this.#host.operatorFor(this.#self()).to(room) as BroadcastOperator<Ep<C>['emits']>;
  }

  /** Listen to an event the client emits. */
  on<K extends EventName<Ep<C>['receives']>>(event: K, handler: (payload: Ep<C>['receives'][K]) => void): this;
  /** The connection ended: `reason` says why (ours, e.g. "heartbeat timeout", or the close frame's). */
  on(event: 'disconnect', handler: (reason: string, code: number) => void): this;
  /** A non-fatal problem with this peer (invalid event payload, socket error, handler failure). */
  on(event: 'error', handler: (error: unknown) => void): this;
  on(event: string, handler: Listener): this {
    this.#events.on(event, handler as (...args: unknown[]) => void);
    return this;
  }

  /** Remove a listener added with {@link Peer.on}. */
  off(event: string, handler: Listener): this {
    this.#events.off(event, handler as (...args: unknown[]) => void);
    return this;
  }

  /** Send a typed event to this client. Returns false when it was dropped (closed, or volatile and behind). */
  emit<K extends EventName<Ep<C>['emits']>>(event: K, ...args: EmitArgs<Ep<C>['emits'][K], EmitOptions>): boolean {
    const [payload, options] = args;
    const envelope: Envelope = { v: PROTOCOL_VERSION, type: 'event', name: event };
    if (payload !== undefined) envelope.payload = payload;
    return this.#host.write(this.#self(), envelope, options?.volatile ?? false);
  }

  /** Ask the client (its request handler answers). Rejects with `RequestError` (`timeout`…) or `DisconnectedError`. */
  request<K extends RequestName<Ep<C>['calls']>>(
    method: K,
    ...args: EmitArgs<RequestPayload<Ep<C>['calls'], K>, RequestOptions>
  ): Promise<ResponsePayload<Ep<C>['calls'], K>> {
    const [payload, options] = args;
    if (this.#state !== 'open') return Promise.reject(new DisconnectedError('the peer is not connected'));
    const { envelope, promise } = this.conversation.requests.create(method, payload, options);
    if (envelope !== undefined) this.#host.write(this.#self(), envelope, false); // undefined: the signal was already aborted
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
    if (this.#state === 'closing' || this.#state === 'closed') return;
    this.#state = 'closing';
    if (reason !== '') this.#closeReason ??= reason;
    this.#socket.close(code, reason);
  }

  /** Drop the TCP connection at once, without a close handshake. */
  terminate(reason = 'terminated'): void {
    if (this.#state === 'closed') return;
    this.#closeReason ??= reason;
    this.#state = 'closing';
    this.#socket.terminate();
  }

  /** @internal the server writes through here after applying backpressure. */
  writeRaw(data: string | Uint8Array): void {
    this.#socket.send(data);
  }

  /** @internal write a broadcast: its shared frame when the socket can, else its encoded data. */
  writePrepared(message: PreparedMessage): void {
    if (this.#socket.sendFrame !== undefined) this.#socket.sendFrame(message.frame);
    else this.#socket.send(message.data);
  }

  /** @internal the socket (protocol pings). */
  get socket(): PeerSocket {
    return this.#socket;
  }

  /** @internal the hello was accepted. */
  markOpen(): void {
    if (this.#state === 'handshake' || this.#state === 'admitting') this.#state = 'open';
  }

  /** @internal an async hello check runs: hold incoming messages until it is done. */
  markAdmitting(): void {
    if (this.#state === 'handshake') this.#state = 'admitting';
  }

  /** @internal the hello check's identity. */
  setIdentity(identity: Identity): void {
    this.#identity = identity;
  }

  /** @internal process the messages held while admitting (after 'connection' listeners exist). */
  replay(): void {
    for (const [data, bytes] of this.#backlog.splice(0)) this.#onMessage(data, bytes);
  }

  /** @internal deliver an incoming typed event or a reserved one to listeners. */
  dispatch(event: string, ...args: unknown[]): void {
    try {
      this.#events.emit(event, ...args);
    } catch (err) {
      // A listener's exception is the application's bug, not the peer's: report, keep going.
      if (event !== 'error') this.#host.report(err, this.#self());
    }
  }

  #onMessage(data: Uint8Array | string, bytes: number): void {
    if (this.#state === 'closed') return;
    if (this.#state === 'admitting') {
      // docs/protocol.md "Handshake": a client waits for the welcome; a flood before it is abuse.
      if (this.#backlog.push([data, bytes]) > MAX_BACKLOG) this.close(CloseCodes.PolicyViolation, 'too many messages before the welcome');
      return;
    }
    this.#host.received(this.#self(), bytes);
    this.liveness?.alive();
    const outcome = this.conversation.receive(data);
    switch (outcome.kind) {
      case 'handled':
        return;
      case 'handshake':
        // Direction was checked by the conversation: at the server this is always a hello.
        if (outcome.envelope.type === 'hello') this.#host.admit(this.#self(), outcome.envelope);
        return;
      case 'fatal':
        this.#host.report(outcome.error, this.#self());
        this.close(outcome.error.closeCode, outcome.error.message);
        return;
      default: {
        return assertNever(outcome);
      }
    }
  }

  #onClose(code: number, reason: string): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#backlog = [];
    const why = this.#closeReason ?? (reason !== '' ? reason : `closed with ${code}`);
    this.#host.release(this.#self(), code, why);
    this.dispatch('disconnect', why, code);
    this.#events.removeAllListeners();
  }

  // The host API is contract-agnostic; a Peer<C> is handed over as the erased Peer<never>.
  #self(): Peer<never> {
    return this as unknown as Peer<never>;
  }
}
