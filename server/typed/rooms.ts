/**
 * `server.to(room).except(peer).emit(event, payload)`: an immutable description of who a
 * broadcast reaches. Each call returns a new operator, so a stored `server.to('lobby')` can be
 * reused safely; `emit` hands the event and the target to the server, which encodes the envelope
 * once and lets the {@link Adapter} fan it out. The same audience can be asked, cluster-wide,
 * for its members or told to join or leave rooms (`server.toPeer(id).join('vip')`).
 */
import type { Adapter, BroadcastTarget, PeerId } from './adapter.js';
import { StateError } from '../../src/errors.js';
import type { JsonPayload } from '../../src/contract.js';

/** Anything with a peer id (a `Peer`), accepted by `except`. */
export interface PeerLike {
  readonly id: PeerId;
}

/** Options of one broadcast. */
export interface BroadcastOptions {
  /** May be dropped for peers past the backpressure high-water mark. @default false */
  readonly volatile?: boolean;
}

/** The server side of `emit`: encode once, fan out through the adapter, return the recipient count. */
export type BroadcastSink = (
  event: string,
  payload: unknown,
  target: BroadcastTarget,
  options: BroadcastOptions,
) => number;

/** The cluster-wide operations an operator forwards (the server's {@link Adapter}). */
export type MembershipOps = Pick<Adapter, 'fetchMembers' | 'addRooms' | 'removeRooms'>;

const NONE: ReadonlySet<never> = new Set<never>();

/** The audience of a broadcast: everyone, or the members of some rooms, minus exclusions. */
export class BroadcastOperator<Events extends object> {
  readonly #sink: BroadcastSink;
  readonly #target: BroadcastTarget;
  readonly #volatile: boolean;
  readonly #membership: MembershipOps | undefined;

  /** @internal created by `server.to/except/volatile` and `peer.to`. */
  constructor(sink: BroadcastSink, target?: BroadcastTarget, volatile = false, membership?: MembershipOps) {
    this.#sink = sink;
    this.#target = target ?? { rooms: NONE, exceptRooms: NONE, exceptPeers: NONE };
    this.#volatile = volatile;
    this.#membership = membership;
  }

  /** Narrow to the members of `room` (several calls or an array: members of any of them). */
  to(room: string | readonly string[]): BroadcastOperator<Events> {
    return this.#with({ rooms: union(this.#target.rooms, room) });
  }

  /** Alias of {@link BroadcastOperator.to}. */
  in(room: string | readonly string[]): BroadcastOperator<Events> {
    return this.to(room);
  }

  /**
   * Add peers by id (or `Peer`), wherever in the cluster they are connected: the audience is then
   * the members of the rooms named so far plus these peers.
   */
  toPeer(peer: PeerLike | PeerId | readonly (PeerLike | PeerId)[]): BroadcastOperator<Events> {
    const items = Array.isArray(peer) ? peer : [peer as PeerLike | PeerId];
    const ids = items.map((item: PeerLike | PeerId) => (typeof item === 'string' ? item : item.id));
    return this.#with({ peers: union(this.#target.peers ?? NONE, ids) });
  }

  /** Skip a peer, or every member of a room (strings are room names). */
  except(peerOrRoom: PeerLike | string | readonly (PeerLike | string)[]): BroadcastOperator<Events> {
    const items = Array.isArray(peerOrRoom) ? peerOrRoom : [peerOrRoom as PeerLike | string];
    const rooms = items.filter((item): item is string => typeof item === 'string');
    const peers = items.filter((item): item is PeerLike => typeof item !== 'string').map((peer) => peer.id);
    return this.#with({
      exceptRooms: union(this.#target.exceptRooms, rooms),
      exceptPeers: union(this.#target.exceptPeers, peers),
    });
  }

  /** The same audience, but the event may be dropped for peers that are not keeping up. */
  get volatile(): BroadcastOperator<Events> {
    return new BroadcastOperator<Events>(this.#sink, this.#target, true, this.#membership);
  }

  /** Send `event` to the audience; returns how many local peers it was written to. */
  emit<K extends keyof Events & string>(event: K, payload: JsonPayload<Events[K]>, options?: BroadcastOptions): number {
    const volatile = options?.volatile ?? this.#volatile;
    return this.#sink(event, payload, this.#target, { volatile });
  }

  /** The ids of the peers in this audience, cluster-wide (asynchronous: it may ask the broker). */
  fetchMembers(): Promise<PeerId[]> {
    return this.#cluster().fetchMembers(this.#target);
  }

  /** Every peer in this audience, on any node, joins `room` (see {@link Adapter.addRooms}). */
  join(room: string | readonly string[]): Promise<void> {
    return this.#cluster().addRooms(this.#target, typeof room === 'string' ? [room] : room);
  }

  /** Every peer in this audience, on any node, leaves `room`. */
  leave(room: string | readonly string[]): Promise<void> {
    return this.#cluster().removeRooms(this.#target, typeof room === 'string' ? [room] : room);
  }

  /** @internal the resolved audience (for tests and adapters). */
  get target(): BroadcastTarget {
    return this.#target;
  }

  #with(change: Partial<BroadcastTarget>): BroadcastOperator<Events> {
    return new BroadcastOperator<Events>(this.#sink, { ...this.#target, ...change }, this.#volatile, this.#membership);
  }

  #cluster(): MembershipOps {
    if (this.#membership === undefined) throw new StateError('this operator has no adapter to ask (built without a server)');
    return this.#membership;
  }
}

function union<T>(set: ReadonlySet<T>, more: T | readonly T[]): ReadonlySet<T> {
  const next = new Set(set);
  for (const item of Array.isArray(more) ? (more as readonly T[]) : [more as T]) next.add(item);
  return next;
}
