/**
 * Everything a {@link Peer} does below its public API: its lifecycle (peer-lifecycle.ts, changed
 * only through `#transition`), its Conversation, its writes (peer-writer.ts), its hello
 * (peer-admission.ts) and — with session resume — its session across connections
 * (peer-resume.ts): a dropped connection suspends it, a resuming hello hands its connection over
 * to it (docs/protocol.md §10). The Peer is the facade users hold.
 */
import type { BroadcastMessage } from './adapter.js';
import { isSlowConsumer, slowConsumerError, slowConsumerReason } from './backpressure.js';
import type { LivenessHandle } from './liveness.js';
import { admitHello } from './peer-admission.js';
import type { HelloOutcome } from './peer-admission.js';
import { failureMessage } from './peer-host.js';
import type { PeerHost } from './peer-host.js';
import type { PeerFacade, PeerInternals, PeerSessionHolder } from './peer-internals.js';
import { MAX_HELD_MESSAGES, disposeLife, listen } from './peer-lifecycle.js';
import type { PeerLife, PeerSocket, PeerState } from './peer-lifecycle.js';
import { adoptFrom, resumeFrom, sharedLogging, startSession, suspend } from './peer-resume.js';
import { PeerWriter, writeModeOf } from './peer-writer.js';
import { Conversation } from '../../src/conversation.js';
import { welcomeEnvelope } from '../../src/envelope.js';
import type { Envelope, ResumeFailure } from '../../src/envelope.js';
import type { RequestOptions } from '../../src/requests.js';
import { DisconnectedError } from '../../src/requests.js';
import { CloseCodes } from '../../src/close-codes.js';
import { callListener } from '../../src/call-listener.js';
import { assertNever } from '../../src/assert-never.js';

/** Options of a {@link PeerCore}. */
export interface PeerCoreOptions<P extends PeerFacade> {
  /** The facade: handlers' context, what the server is told about. */
  readonly peer: P;
  readonly host: PeerHost<P, PeerSessionHolder>;
  readonly socket: PeerSocket;
  readonly identity: unknown;
  /** A validated event from the client, for the facade's listeners. */
  emitEvent(name: string, payload: unknown): void;
  /** The peer is gone: drop the facade's listeners. */
  forget(): void;
}

/**
 * Close codes after which a session does not wait for its client (docs/protocol.md §10.3): the
 * client closed on purpose (1000) or went away (1001, a page unloading), or the connection failed
 * on a protocol violation (RFC 6455 §7.4.1), whichever end saw it. Every other drop suspends: a
 * cut (1006), no status (1005, how a client drops a link it means to resume), a heartbeat
 * timeout (4000), the server's liveness sweep.
 */
const ENDS_SESSION: ReadonlySet<number> = new Set([1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010]);

/** A Peer's state machine. */
export class PeerCore<P extends PeerFacade> {
  /** The options minus the first socket: a session must not keep a connection it outlived. */
  readonly #options: Omit<PeerCoreOptions<P>, 'socket' | 'identity'>;
  readonly #host: PeerHost<P, PeerSessionHolder>;
  readonly #conversation: Conversation<P>;
  readonly #writer: PeerWriter;
  readonly #inside: PeerInternals<P>;
  #identity: unknown;
  #life: PeerLife;
  /** Our own reason when we end the connection (heartbeat, slow consumer…), reported on disconnect. */
  #closeReason: string | undefined;
  /** Removes this peer's listeners from its current socket. */
  #unlisten: (() => void) | undefined;

  constructor(options: PeerCoreOptions<P>) {
    const host = options.host;
    this.#options = { peer: options.peer, host, emitEvent: options.emitEvent, forget: options.forget };
    this.#host = host;
    this.#identity = options.identity;
    const peer = options.peer;
    const writing = { host, mode: () => this.#mode(), socket: () => this.#socket(), buffered: () => peer.bufferedAmount, checkSlow: () => this.#checkSlow() };
    this.#writer = new PeerWriter({ ...writing, ...sharedLogging(host.sessions) });
    this.#conversation = new Conversation<P>({
      side: 'server',
      context: options.peer,
      codec: host.codec,
      scheduler: host.scheduler,
      schemas: host.schemas,
      requestTimeout: host.requestTimeout,
      handlers: host.handlers,
      transmit: (envelope) => void this.#writer.send(envelope, false),
      // Closures here use `this`, never `options`: a closure over it would keep the first socket
      // alive for as long as the session lives (suspended sessions included).
      onEvent: (name, payload) => callListener((err) => this.#report(err, `listener of "${name}"`), () => this.#options.emitEvent(name, payload)),
      onError: (error, source) => this.#report(error, source),
    });
    this.#inside = this.#internals();
    const timeout = host.helloTimeout;
    const helloTimer = host.scheduler.setTimeout(() => this.close(CloseCodes.HelloTimeout, `no hello within ${timeout} ms`), timeout);
    this.#life = { kind: 'handshake', socket: options.socket, helloTimer };
    this.#attach(options.socket);
  }

  get identity(): unknown {
    return this.#identity;
  }

  get state(): PeerState {
    return this.#life.kind;
  }

  get sid(): string | undefined {
    return this.#writer.session?.sid;
  }

  get bufferedAmount(): number {
    return this.#socket()?.bufferedAmount ?? 0;
  }

  /** Send (or, suspended, log) an envelope; false when neither. */
  send(envelope: Envelope, volatile: boolean): boolean {
    return this.#writer.send(envelope, volatile);
  }

  /** Write (or, suspended, log) a broadcast; false when neither. */
  deliver(message: BroadcastMessage): boolean {
    return this.#writer.deliver(message);
  }

  /** A request to the client (a suspended session's goes out on resume). */
  request(method: string, payload: unknown, options: RequestOptions | undefined): Promise<unknown> {
    const mode = this.#mode();
    if (mode !== 'open' && mode !== 'log') return Promise.reject(new DisconnectedError('the peer is not connected'));
    const { envelope, promise } = this.#conversation.requests.create(method, payload, options);
    if (envelope !== undefined) this.#writer.send(envelope, false); // undefined: the signal was already aborted
    return promise;
  }

  /** Close on purpose: the session ends with the connection (the facade checked the code). */
  close(code: number, reason: string): void {
    const life = this.#life;
    if (life.kind === 'closed') return;
    if (reason !== '') this.#closeReason ??= reason;
    if (life.kind === 'suspended') return this.#end(code, this.#closeReason ?? `closed with ${code}`);
    if (life.kind === 'closing') return this.#endSessionWith(life);
    this.#toClosing(life, true).close(code, reason);
  }

  /** Drop the connection on purpose: the session ends with it. */
  terminate(reason: string): void {
    const life = this.#life;
    if (life.kind === 'closed') return;
    this.#closeReason ??= reason;
    if (life.kind === 'suspended') return this.#end(CloseCodes.AbnormalClosure, reason);
    if (life.kind === 'closing') this.#endSessionWith(life);
    (life.kind === 'closing' ? life.socket : this.#toClosing(life, true)).terminate();
  }

  /** The rooms changed: the session store hears of it. */
  roomsChanged(): void {
    const session = this.#writer.session;
    if (session !== undefined) this.#host.sessions?.update(session, { rooms: [...this.#options.peer.rooms] });
  }

  // ——— the socket ———

  /** Listens to `socket` (instead of the previous one); its events count only while it is this peer's socket. */
  #attach(socket: PeerSocket): void {
    this.#unlisten?.();
    this.#unlisten = listen(socket, {
      // A text message is handed over as a string: the codec tells text from binary envelopes by
      // type. Binary: a plain Uint8Array view (no copy), because a Buffer's toJSON would defeat
      // the codec's binary attachments when a handler echoes the bytes back.
      message: (data, isBinary) => {
        if (this.#socket() === socket) this.#onMessage(isBinary ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : data.toString('utf8'), data.byteLength);
      },
      pong: () => {
        if (this.#socket() === socket) this.#alive();
      },
      error: (err) => {
        if (this.#socket() === socket) this.#report(err, 'socket');
      },
      close: (code, reason) => {
        if (this.#socket() === socket) this.#onClose(code, reason.toString('utf8'));
      },
    });
  }

  #detach(): void {
    this.#unlisten?.();
    this.#unlisten = undefined;
  }

  #socket(): PeerSocket | undefined {
    const life = this.#life;
    return life.kind === 'closed' || life.kind === 'suspended' ? undefined : life.socket;
  }

  #alive(): void {
    const life = this.#life;
    if (life.kind === 'open' || life.kind === 'closing') life.liveness?.alive();
  }

  #track(): LivenessHandle | undefined {
    return this.#host.liveness?.track({
      ping: () => this.#socket()?.ping(),
      terminate: (reason) => (this.#host.stats.metrics.heartbeatTimeouts.inc(), this.#drop(`heartbeat timeout: ${reason}`)),
      failed: (error) => this.#report(error, 'liveness'),
    });
  }

  /** The link is dead (liveness): drop the connection; a resumable session is suspended, not ended. */
  #drop(reason: string): void {
    const life = this.#life;
    if (life.kind === 'closed' || life.kind === 'suspended') return;
    this.#closeReason ??= reason;
    (life.kind === 'closing' ? life.socket : this.#toClosing(life, false)).terminate();
  }

  #onMessage(data: Uint8Array | string, bytes: number): void {
    const life = this.#life;
    if (life.kind === 'closed' || life.kind === 'suspended') return;
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
        if (outcome.envelope.type === 'hello' && life.kind === 'handshake') admitHello(this.#inside, outcome.envelope, (decided) => this.#decided(decided));
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

  #decided(outcome: HelloOutcome): void {
    switch (outcome.kind) {
      case 'open':
        return this.#open(outcome.resume);
      case 'resume': {
        const { holder, session, replay } = outcome.claim;
        // All peers of one server share the facade type P.
        return resumeFrom(holder.inside as unknown as PeerInternals<P>, this.#inside, session, replay);
      }
      case 'adopt':
        return adoptFrom(this.#inside, outcome.claim);
      case 'refuse':
        return this.close(outcome.code, outcome.reason);
      default:
        return assertNever(outcome);
    }
  }

  /** The hello was accepted: welcome (with a new session when `resume`), `'connection'`, then the messages held meanwhile. */
  #open(resume: { readonly reason: ResumeFailure | undefined } | undefined): void {
    const life = this.#life;
    if (life.kind !== 'handshake' && life.kind !== 'admitting') return;
    this.#transition({ kind: 'open', socket: life.socket, liveness: this.#track() });
    this.#conversation.ready();
    // The welcome goes first: anything a 'connection' listener sends must follow it.
    const welcome = resume === undefined ? welcomeEnvelope() : startSession(this.#inside, resume.reason);
    this.#writer.send(welcome, false);
    this.#host.opened(this.#options.peer);
    if (life.kind === 'admitting') for (const [data, bytes] of life.held) this.#onMessage(data, bytes);
  }

  /** Enters `closing` from a state with a socket; returns that socket for the caller to close. */
  #toClosing(life: Extract<PeerLife, { kind: 'handshake' | 'admitting' | 'open' }>, endsSession: boolean): PeerSocket {
    const liveness = life.kind === 'open' ? life.liveness : undefined;
    this.#transition({ kind: 'closing', socket: life.socket, liveness, terminateTimer: undefined, endsSession });
    const session = this.#writer.session;
    // Closed on purpose: the session ends now, so a resume racing the close handshake hears `closed`.
    if (endsSession && session !== undefined) this.#host.sessions?.end(session, 'closed');
    return life.socket;
  }

  /** Closed on purpose while closing already (e.g. dropped by liveness): the session ends with it. */
  #endSessionWith(life: Extract<PeerLife, { kind: 'closing' }>): void {
    life.endsSession = true;
    const session = this.#writer.session;
    if (session !== undefined) this.#host.sessions?.end(session, 'closed');
  }

  #onClose(code: number, reason: string): void {
    const why = this.#closeReason ?? (reason !== '' ? reason : `closed with ${code}`);
    this.#host.closed(code);
    const life = this.#life;
    const session = this.#writer.session;
    const dropped = life.kind === 'open' || (life.kind === 'closing' && !life.endsSession);
    if (session !== undefined && dropped && !ENDS_SESSION.has(code)) return suspend(this.#inside, session, code, why);
    // The client's own 1000/1001: it will not resume, there is no reason to remember.
    this.#end(code, why, life.kind === 'open' && (code === 1000 || code === 1001) ? 'left' : 'closed');
  }

  /** The end of the peer and of its session: `'disconnect'`. */
  #end(code: number, why: string, reason: 'closed' | 'left' = 'closed'): void {
    const session = this.#writer.session;
    if (session !== undefined) this.#host.sessions?.end(session, reason); // a no-op when the registry ended it
    this.#detach();
    this.#transition({ kind: 'closed', code, reason: why });
    this.#conversation.requests.rejectAll(new DisconnectedError());
    // A new epoch: handler answers and async-validated events that finish after the disconnect are dropped.
    this.#conversation.reset();
    const peer = this.#options.peer;
    this.#host.released(peer, code, why);
    callListener((err) => this.#report(err, "'disconnect' listener"), () => peer.lifecycle.emit('disconnect', why, code));
    peer.lifecycle.removeAllListeners();
    this.#options.forget();
  }

  /** The one state change: enter `next`, releasing what the old state owned and `next` does not carry. */
  #transition(next: PeerLife): void {
    const old = this.#life;
    this.#life = next;
    disposeLife(old, next, this.#host.scheduler);
  }

  /** Hold incoming messages while something asynchronous decides (`admitting`). */
  #hold(): PeerLife | undefined {
    const life = this.#life;
    if (life.kind === 'admitting') return life;
    if (life.kind !== 'handshake') return undefined;
    const admitting: PeerLife = { kind: 'admitting', socket: life.socket, helloTimer: life.helloTimer, held: [] };
    this.#transition(admitting);
    return admitting;
  }

  /** This core's inside, for the modules that carry out a part of its life. */
  #internals(): PeerInternals<P> {
    const core = this;
    return {
      peer: this.#options.peer,
      host: this.#host,
      writer: this.#writer,
      conversation: this.#conversation,
      get identity() {
        return core.#identity;
      },
      set identity(identity: unknown) {
        core.#identity = identity;
      },
      get life() {
        return core.#life;
      },
      transition: (next) => this.#transition(next),
      attach: (socket) => this.#attach(socket),
      detach: () => this.#detach(),
      track: () => this.#track(),
      hold: () => this.#hold(),
      forgetCloseReason: () => void (this.#closeReason = undefined),
      receive: (data, bytes) => this.#onMessage(data, bytes),
      close: (code, reason) => this.close(code, reason),
      end: (code, why) => this.#end(code, why),
      forget: () => this.#options.forget(),
      report: (error, source) => this.#report(error, source),
    };
  }

  // ——— writing and errors ———

  #mode(): ReturnType<typeof writeModeOf> {
    return writeModeOf(this.#life, this.#writer.session !== undefined);
  }

  #checkSlow(): void {
    const buffered = this.#options.peer.bufferedAmount;
    if (!isSlowConsumer(this.#host.backpressure, buffered)) return;
    this.#host.stats.metrics.slowConsumerCloses.inc();
    // Reported first, so an 'error' listener sees the peer while it is still being closed.
    this.#report(slowConsumerError(buffered), 'backpressure');
    this.close(CloseCodes.TryAgainLater, slowConsumerReason(buffered));
    // A peer that does not read will not read our close frame either: terminate at the deadline.
    const life = this.#life;
    if (life.kind !== 'closing') return;
    if (life.terminateTimer !== undefined) this.#host.scheduler.clearTimeout(life.terminateTimer);
    life.terminateTimer = this.#host.scheduler.setTimeout(() => this.terminate(slowConsumerReason(this.#options.peer.bufferedAmount)), this.#host.closeTimeout);
  }

  /** The peer's own `'error'` listeners first, then the server's (or its logger when nobody listens). */
  #report(error: unknown, source?: string): void {
    const peer = this.#options.peer;
    const heard = peer.lifecycle.listenerCount('error') > 0;
    // There is nowhere left to report an 'error' listener's own exception but the logger.
    callListener((err) => this.#host.logger?.error(failureMessage("'error' listener", peer.id), err), () => peer.lifecycle.emit('error', error));
    this.#host.report(error, peer, source, heard);
  }
}
