/**
 * `server.to(room).except(peer).emit(event, payload)`: an immutable description of who a
 * broadcast reaches. Each call returns a new operator, so a stored `server.to('lobby')` can be
 * reused safely; `emit` hands the event and the target to the server, which encodes the envelope
 * once and lets the {@link Adapter} fan it out.
 */
import type { BroadcastTarget, PeerId } from './adapter.js';
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

const NONE: ReadonlySet<never> = new Set<never>();

/** The audience of a broadcast: everyone, or the members of some rooms, minus exclusions. */
export class BroadcastOperator<Events extends object> {
  readonly #sink: BroadcastSink;
  readonly #target: BroadcastTarget;
  readonly #volatile: boolean;

  /** @internal created by `server.to/except/volatile` and `peer.to`. */
  constructor(sink: BroadcastSink, target?: BroadcastTarget, volatile = false) {
    this.#sink = sink;
    this.#target = target ?? { rooms: NONE, exceptRooms: NONE, exceptPeers: NONE };
    this.#volatile = volatile;
  }

  /** Narrow to the members of `room` (several calls or an array: members of any of them). */
  to(room: string | readonly string[]): BroadcastOperator<Events> {
    return this.#with({ rooms: union(this.#target.rooms, room) });
  }

  /** Alias of {@link BroadcastOperator.to}. */
  in(room: string | readonly string[]): BroadcastOperator<Events> {
    return this.to(room);
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
    return new BroadcastOperator<Events>(this.#sink, this.#target, true);
  }

  /** Send `event` to the audience; returns how many local peers it was written to. */
  emit<K extends keyof Events & string>(event: K, payload: JsonPayload<Events[K]>, options?: BroadcastOptions): number {
    const volatile = options?.volatile ?? this.#volatile;
    return this.#sink(event, payload, this.#target, { volatile });
  }

  /** @internal the resolved audience (for tests and adapters). */
  get target(): BroadcastTarget {
    return this.#target;
  }

  #with(change: Partial<BroadcastTarget>): BroadcastOperator<Events> {
    return new BroadcastOperator<Events>(this.#sink, { ...this.#target, ...change }, this.#volatile);
  }
}

function union<T>(set: ReadonlySet<T>, more: T | readonly T[]): ReadonlySet<T> {
  const next = new Set(set);
  for (const item of Array.isArray(more) ? (more as readonly T[]) : [more as T]) next.add(item);
  return next;
}
