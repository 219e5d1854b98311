/**
 * A peer's life as one value. Each variant owns what only exists in that phase: the socket while
 * there is one, the hello deadline until the welcome, the messages held while `authenticateHello`
 * runs, the liveness handle while the link is watched, the terminate deadline of a peer closed as
 * a slow consumer. The Peer changes it only through its `#transition`, which disposes (with
 * {@link disposeLife}) whatever the old variant owned and the new one does not carry over.
 *
 * The socket is a part of the variant, not of the Peer: a resumable session goes `suspended` (no
 * socket; its window is the session registry's sweep, its outgoing log the session's) and back to
 * `open` with a new socket, without touching the rest of the Peer.
 */
import type { ServerConnection } from '../socket/server-connection.js';
import type { LivenessHandle } from './liveness.js';
import type { Scheduler, TimerHandle } from '../../src/scheduler.js';
import { assertNever } from '../../src/assert-never.js';

/** The low-level socket a peer drives: the part of a `WebSocketServer` connection it uses. */
export type PeerSocket = Pick<ServerConnection, 'bufferedAmount' | 'send' | 'sendFrame' | 'ping' | 'close' | 'terminate' | 'on' | 'off'>;

/** A raw message held while admitting: its data as the codec takes it, and its size on the wire. */
export type HeldMessage = readonly [data: Uint8Array | string, bytes: number];

/**
 * The lifecycle. `handshake`: waiting for the hello. `admitting`: an async `authenticateHello`
 * (or a session store lookup) runs, incoming messages are held. `open`: typed traffic flows.
 * `closing`: we closed (or terminated) and wait for the socket to be gone. `suspended`: a
 * resumable session lost its connection and waits for the next. `closed`: the end, with its code
 * and reason.
 */
export type PeerLife =
  | { readonly kind: 'handshake'; readonly socket: PeerSocket; readonly helloTimer: TimerHandle }
  | { readonly kind: 'admitting'; readonly socket: PeerSocket; readonly helloTimer: TimerHandle; readonly held: HeldMessage[] }
  | { readonly kind: 'open'; readonly socket: PeerSocket; readonly liveness: LivenessHandle | undefined }
  | {
      readonly kind: 'closing';
      readonly socket: PeerSocket;
      /** Still watched: a peer that stops answering pings while closing is terminated. */
      readonly liveness: LivenessHandle | undefined;
      /** Set when the peer must be gone by a deadline (a slow consumer will not read our close frame). */
      terminateTimer: TimerHandle | undefined;
      /**
       * Session resume: closed on purpose (the session ends with the connection), or dropped by
       * the liveness sweep (the session is suspended when the socket is gone).
       */
      endsSession: boolean;
    }
  /**
   * Session resume: the connection dropped, the session waits for its client (docs/protocol.md
   * §10). No socket, no timer: the window is the session registry's single sweep, and what is
   * sent meanwhile goes to the session's log. `code` and `reason` are the dropped connection's.
   */
  | { readonly kind: 'suspended'; readonly code: number; readonly reason: string }
  | { readonly kind: 'closed'; readonly code: number; readonly reason: string };

/** The public name of a lifecycle state (`peer.state`). */
export type PeerState = PeerLife['kind'];

/** Messages a peer may send between its hello and our welcome (a client sends none but pings). */
export const MAX_HELD_MESSAGES = 64;

/**
 * Releases what `old` owned and `next` does not carry over: timers are cleared, a liveness
 * handle is untracked, held messages are dropped with the variant. The socket is never closed
 * here: the Peer closes it on purpose (with a code), or it is already gone.
 */
export function disposeLife(old: PeerLife, next: PeerLife, scheduler: Scheduler): void {
  switch (old.kind) {
    case 'handshake':
    case 'admitting':
      // handshake → admitting carries the deadline over: a hook that hangs is cut off by it.
      if (!('helloTimer' in next && next.helloTimer === old.helloTimer)) scheduler.clearTimeout(old.helloTimer);
      return;
    case 'open':
      if (!('liveness' in next && next.liveness === old.liveness)) old.liveness?.untrack();
      return;
    case 'closing':
      if (old.terminateTimer !== undefined) scheduler.clearTimeout(old.terminateTimer);
      if (!('liveness' in next && next.liveness === old.liveness)) old.liveness?.untrack();
      return;
    case 'suspended':
    case 'closed':
      return;
    default:
      return assertNever(old);
  }
}

/** What a peer does with its socket's events. */
export interface SocketListeners {
  message(data: Buffer, isBinary: boolean): void;
  pong(): void;
  error(err: Error): void;
  close(code: number, reason: Buffer): void;
}

/** Listens to `socket`; returns what stops listening (a resumed session moves to another socket). */
export function listen(socket: PeerSocket, on: SocketListeners): () => void {
  const message = (data: Buffer, isBinary: boolean): void => on.message(data, isBinary);
  const pong = (): void => on.pong();
  const error = (err: Error): void => on.error(err);
  const close = (code: number, reason: Buffer): void => on.close(code, reason);
  socket.on('message', message).on('pong', pong).on('error', error).on('close', close);
  return () => void socket.off('message', message).off('pong', pong).off('error', error).off('close', close);
}
