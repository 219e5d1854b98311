/**
 * The inside of a Peer, as its own modules see it. The Peer's state machine (peer-core.ts) keeps
 * its state private and hands this object — never public — to the modules that carry out one part
 * of its life: admitting a hello (peer-admission.ts) and a session's suspend/resume
 * (peer-resume.ts). One object, so every change still goes through the core's one `transition`.
 */
import type { EventEmitter } from 'eventemitter3';
import type { LivenessHandle } from './liveness.js';
import type { PeerHost } from './peer-host.js';
import type { PeerLife, PeerSocket } from './peer-lifecycle.js';
import type { PeerLifecycleEvents } from './peer-types.js';
import type { PeerWriter } from './peer-writer.js';
import type { SessionHolder } from './session/session-manager.js';
import type { Conversation } from '../../src/conversation.js';

/** The facade's members the core reads and writes (the public `Peer`). */
export interface PeerFacade {
  readonly id: string;
  auth: unknown;
  readonly data: unknown;
  readonly rooms: ReadonlySet<string>;
  readonly bufferedAmount: number;
  readonly lifecycle: EventEmitter<PeerLifecycleEvents>;
}

/** What the session registry holds of a peer: its inside, to hand a resuming connection to. */
export interface PeerSessionHolder extends SessionHolder {
  readonly inside: PeerInternals<PeerFacade>;
}

/** A Peer's inside. */
export interface PeerInternals<P extends PeerFacade> {
  readonly peer: P;
  readonly host: PeerHost<P, PeerSessionHolder>;
  readonly writer: PeerWriter;
  readonly conversation: Conversation<P>;
  /** What the peer authenticated as. */
  identity: unknown;
  readonly life: PeerLife;
  /** The one state change. */
  transition(next: PeerLife): void;
  /** Listen to `socket` (and no longer to the previous one). */
  attach(socket: PeerSocket): void;
  /** Stop listening to the current socket. */
  detach(): void;
  /** Start watching the link (the liveness sweep), if the server does. */
  track(): LivenessHandle | undefined;
  /** Hold incoming messages while something asynchronous decides (`admitting`); the held state. */
  hold(): PeerLife | undefined;
  /** Forget our own close reason (the connection it explained is gone, the session lives on). */
  forgetCloseReason(): void;
  /** Process one incoming message (held ones, after a hand-over). */
  receive(data: Uint8Array | string, bytes: number): void;
  /** Close the current connection on purpose, with the session. */
  close(code: number, reason: string): void;
  /** The end of the peer and its session: `'disconnect'`. */
  end(code: number, why: string): void;
  /** The facade dropped its listeners. */
  forget(): void;
  report(error: unknown, source?: string): void;
}
