/**
 * What a {@link Peer} needs from its server, and all it may reach of it: the server-wide
 * configuration and shared pieces (codec, handler table, liveness sweep, backpressure policy,
 * counters, rooms, sessions), and the notifications going the other way (opened, released,
 * closed, suspended, resumed, discard, report).
 * The server implements it once; the peer drives its own lifecycle with it, so no server code
 * ever sets a peer's state.
 */
import type { Adapter } from './adapter.js';
import type { BackpressurePolicy } from './backpressure.js';
import type { LivenessSweep } from './liveness.js';
import type { BroadcastOperator } from './rooms.js';
import type { StatsCounters } from './server-stats.js';
import type { Codec } from '../../src/codec.js';
import type { HandlerTable } from '../../src/conversation.js';
import type { Logger } from '../../src/logger.js';
import type { Scheduler } from '../../src/scheduler.js';
import type { ContractDefinition } from '../../src/validate.js';
import type { SessionHolder, SessionManager } from './session/session-manager.js';

/**
 * The server a peer of type `P` belongs to (implemented by the typed server, never by users). `H`
 * is what the session registry holds of a peer.
 */
export interface PeerHost<P, H extends SessionHolder = SessionHolder> {
  readonly scheduler: Scheduler;
  readonly codec: Codec;
  readonly schemas: ContractDefinition | undefined;
  /** Default timeout of `peer.request`, in ms (`undefined`: the shared default). */
  readonly requestTimeout: number | undefined;
  /** The server's one handler table, looked up by name per request. */
  readonly handlers: HandlerTable<P>;
  /** How long a new connection may take to send its hello, in ms. */
  readonly helloTimeout: number;
  /** How long a slow consumer being closed may take before it is terminated, in ms. */
  readonly closeTimeout: number;
  readonly backpressure: BackpressurePolicy;
  /** The single liveness sweep (`undefined` with `heartbeat: false`). */
  readonly liveness: LivenessSweep | undefined;
  readonly stats: StatsCounters;
  readonly rooms: Pick<Adapter, 'join' | 'leave' | 'roomsOf'>;
  /** The `authenticateHello` option, if set. */
  readonly authenticateHello: ((auth: unknown, peer: P) => unknown) | undefined;
  /** Where an error nobody listens to is written (`undefined`: `logger: false`). */
  readonly logger: Logger | undefined;
  /** Session resume (`undefined` with `resume: false`). */
  readonly sessions: SessionManager<H> | undefined;
  /** The broadcast operator behind `peer.to()`: everyone but `peer`. */
  operatorFor(peer: P): BroadcastOperator<object>;
  /** The welcome went out: `'connection'`. */
  opened(peer: P): void;
  /** The peer (its session) ended: forget it (rooms, handler calls), `'disconnect'`. Called once. */
  released(peer: P, code: number, reason: string): void;
  /** A connection closed with `code` (the close counters; a session may outlive it). */
  closed(code: number): void;
  /** A resumable session lost its connection and waits for its client: `'suspend'`. */
  suspended(peer: P, reason: string, code: number): void;
  /** A new connection took the session over: `'resume'`. */
  resumed(peer: P): void;
  /** This connection resumed another peer's session: forget `peer` without any event. */
  discard(peer: P): void;
  /**
   * An error concerning `peer`, already given to the peer's own `'error'` listeners (`heard`:
   * there were some): the server's listeners get it, or the logger when nobody heard it.
   * `source` names the user code or part that failed (`request handler "join"`, `backpressure`).
   */
  report(error: unknown, peer: P, source: string | undefined, heard: boolean): void;
}

/** The logger's message for an error from `source`, concerning the peer `peerId` if any. */
export function failureMessage(source: string | undefined, peerId: string | undefined): string {
  return `tandem server: ${source ?? 'error'}${peerId === undefined ? '' : ` (peer ${peerId})`}`;
}
