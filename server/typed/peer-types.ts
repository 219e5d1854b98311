/**
 * The types around a {@link Peer} that user code names: what it knows of its upgrade request,
 * the arguments of `emit`, and the reserved events of `peer.lifecycle`.
 */
import type { JsonPayload } from '../../src/contract.js';
import type { BroadcastOptions } from './rooms.js';

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
  /**
   * The session ended: `reason` says why (ours, e.g. "heartbeat timeout" or "session expired",
   * or the close frame's), `code` is the last connection's close code. With session resume a
   * dropped connection is not an end: see `suspend`.
   */
  disconnect: [reason: string, code: number];
  /** Session resume: the connection dropped; the session waits for its client for the window. */
  suspend: [reason: string, code: number];
  /** Session resume: a new connection took the session over; everything missed was re-sent. */
  resume: [];
  /** A non-fatal problem with this peer (invalid event payload, socket error, handler failure). */
  error: [error: unknown];
}
