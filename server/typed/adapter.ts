/**
 * Room bookkeeping and broadcast fan-out behind one interface, so that a multi-process adapter
 * (`tandem/redis`) can replace the in-memory default without touching the rest of the server.
 * The adapter knows peer ids and room names only; it never sees a socket.
 *
 * Two views: the synchronous methods answer for this node's own peers (what a handler needs on
 * the hot path); the `fetch…`/`addRooms`/`removeRooms` methods act on the whole cluster and are
 * asynchronous, because for a multi-process adapter they travel through the broker.
 */

import type { SessionStoreFactory } from './session/session-store.js';

/** A peer's id, unique per server (and, for a multi-process adapter, across the cluster). */
export type PeerId = string;

/**
 * One message to fan out. `data` is the envelope already encoded by the codec (encoded once per
 * broadcast); a multi-process adapter publishes `data` as is and the receiving node delivers it.
 */
export interface BroadcastMessage {
  /** The encoded envelope: a text frame for a string, a binary frame for bytes. */
  readonly data: string | Uint8Array;
  /** A volatile message may be dropped for a peer that is not keeping up (backpressure). */
  readonly volatile: boolean;
}

/**
 * Who a broadcast reaches: the members of `rooms` plus the `peers` named directly (every peer
 * when both are empty), minus the exclusions.
 */
export interface BroadcastTarget {
  readonly rooms: ReadonlySet<string>;
  /** These peers, wherever they are connected (direct messages). Absent = none. */
  readonly peers?: ReadonlySet<PeerId>;
  /** Peers in any of these rooms are skipped. */
  readonly exceptRooms: ReadonlySet<string>;
  /** These peers are skipped. */
  readonly exceptPeers: ReadonlySet<PeerId>;
}

/** What the server gives an adapter: a way to hand a message to one of its local peers. */
export interface AdapterHost {
  /**
   * Write `message` to the local peer `peerId` (the server frames it once per message). False
   * when it was not written: the peer is unknown, still before its welcome, closing, or behind
   * and the message volatile.
   */
  deliver(peerId: PeerId, message: BroadcastMessage): boolean;
  /** Report a failure that belongs to no peer (the broker is unreachable…) on the server's `'error'`. */
  report?(error: unknown): void;
}

/** Counters of a multi-process adapter, shown as `server.stats().adapter`. */
export type AdapterStats = Readonly<Record<string, number | string | boolean>>;

/**
 * Room membership and broadcast. The synchronous methods are the local node's view; the
 * asynchronous ones the cluster's (for the memory adapter both are the same).
 */
export interface Adapter {
  /** A peer connected: it can now join rooms and receive broadcasts to everyone. */
  addPeer(peerId: PeerId): void;
  /** A peer disconnected: it leaves every room it was in; empty rooms disappear. */
  removePeer(peerId: PeerId): void;
  join(peerId: PeerId, room: string): void;
  leave(peerId: PeerId, room: string): void;
  /** The rooms `peerId` is in (empty for an unknown peer). */
  roomsOf(peerId: PeerId): ReadonlySet<string>;
  /** The local members of `room` (empty for an unknown room). */
  membersOf(room: string): ReadonlySet<PeerId>;
  /** Names of the rooms that have at least one member. */
  roomNames(): string[];
  /** Number of connected peers known to this adapter. */
  peerCount(): number;
  /**
   * Deliver `message` to every peer `target` selects, on every node, each once; returns how many
   * local peers it was written to (the other nodes deliver on their own).
   */
  broadcast(message: BroadcastMessage, target: BroadcastTarget): number;
  /** The peers `target` selects, cluster-wide, each once. */
  fetchMembers(target: BroadcastTarget): Promise<PeerId[]>;
  /** The rooms of `peerId`, wherever it is connected (empty for an unknown peer). */
  fetchRoomsOf(peerId: PeerId): Promise<string[]>;
  /** Connected peers, cluster-wide. */
  fetchPeerCount(): Promise<number>;
  /**
   * The peers `target` selects, on every node, join `rooms`. Resolves once the request is
   * applied locally and handed to the other nodes (a later broadcast from this node is ordered
   * after it on every node).
   */
  addRooms(target: BroadcastTarget, rooms: readonly string[]): Promise<void>;
  /** Like {@link Adapter.addRooms}, leaving `rooms`. */
  removeRooms(target: BroadcastTarget, rooms: readonly string[]): Promise<void>;
  /** Counters for `server.stats().adapter` (multi-process adapters). */
  stats?(): AdapterStats;
  /** Release what the adapter holds (connections to a broker…). */
  close(): Promise<void>;
  /**
   * The session store that goes with this adapter (a multi-node one: sessions resume on any node).
   * The server uses it unless `resume.store` is given.
   */
  readonly sessionStore?: SessionStoreFactory | undefined;
}

/** Builds an adapter for one server; pass it as `createServer({ adapter })`. */
export type AdapterFactory = (host: AdapterHost) => Adapter;

const EMPTY: ReadonlySet<never> = new Set<never>();

/** The default adapter: rooms live in this process's memory. */
export class MemoryAdapter implements Adapter {
  readonly #host: AdapterHost;
  /** peer → its rooms; the key set is also the set of connected peers. */
  readonly #roomsByPeer = new Map<PeerId, Set<string>>();
  /** room → its members; a room is deleted with its last member, so rooms cannot leak. */
  readonly #peersByRoom = new Map<string, Set<PeerId>>();

  constructor(host: AdapterHost) {
    this.#host = host;
  }

  addPeer(peerId: PeerId): void {
    if (!this.#roomsByPeer.has(peerId)) this.#roomsByPeer.set(peerId, new Set());
  }

  removePeer(peerId: PeerId): void {
    const rooms = this.#roomsByPeer.get(peerId);
    if (rooms === undefined) return;
    for (const room of rooms) this.#dropMember(room, peerId);
    this.#roomsByPeer.delete(peerId);
  }

  join(peerId: PeerId, room: string): void {
    const rooms = this.#roomsByPeer.get(peerId);
    // A peer that already disconnected must not resurrect a room (join after an await).
    if (rooms === undefined) return;
    rooms.add(room);
    let members = this.#peersByRoom.get(room);
    if (members === undefined) {
      members = new Set();
      this.#peersByRoom.set(room, members);
    }
    members.add(peerId);
  }

  leave(peerId: PeerId, room: string): void {
    const rooms = this.#roomsByPeer.get(peerId);
    if (rooms === undefined || !rooms.delete(room)) return;
    this.#dropMember(room, peerId);
  }

  roomsOf(peerId: PeerId): ReadonlySet<string> {
    return this.#roomsByPeer.get(peerId) ?? EMPTY;
  }

  /** The connected peers' ids. */
  peers(): IterableIterator<PeerId> {
    return this.#roomsByPeer.keys();
  }

  /** Is `peerId` connected here? */
  has(peerId: PeerId): boolean {
    return this.#roomsByPeer.has(peerId);
  }

  membersOf(room: string): ReadonlySet<PeerId> {
    return this.#peersByRoom.get(room) ?? EMPTY;
  }

  roomNames(): string[] {
    return [...this.#peersByRoom.keys()];
  }

  peerCount(): number {
    return this.#roomsByPeer.size;
  }

  broadcast(message: BroadcastMessage, target: BroadcastTarget): number {
    let reached = 0;
    for (const peerId of this.select(target)) {
      if (this.#host.deliver(peerId, message)) reached += 1;
    }
    return reached;
  }

  async fetchMembers(target: BroadcastTarget): Promise<PeerId[]> {
    return [...this.select(target)];
  }

  async fetchRoomsOf(peerId: PeerId): Promise<string[]> {
    return [...this.roomsOf(peerId)];
  }

  async fetchPeerCount(): Promise<number> {
    return this.peerCount();
  }

  async addRooms(target: BroadcastTarget, rooms: readonly string[]): Promise<void> {
    for (const peerId of this.select(target)) for (const room of rooms) this.join(peerId, room);
  }

  async removeRooms(target: BroadcastTarget, rooms: readonly string[]): Promise<void> {
    for (const peerId of this.select(target)) for (const room of rooms) this.leave(peerId, room);
  }

  async close(): Promise<void> {
    this.#roomsByPeer.clear();
    this.#peersByRoom.clear();
  }

  /**
   * The connected peers `target` selects, each once (a peer in two target rooms gets one copy).
   * Public so that a multi-process adapter can keep its local view in a MemoryAdapter.
   */
  select(target: BroadcastTarget): Set<PeerId> {
    const selected = new Set<PeerId>();
    const direct = target.peers ?? EMPTY;
    const everyone = target.rooms.size === 0 && direct.size === 0;
    const candidates: Iterable<PeerId> = everyone ? this.#roomsByPeer.keys() : this.#membersOfAny(target.rooms);
    for (const peerId of candidates) this.#pick(selected, peerId, target);
    for (const peerId of direct) if (this.#roomsByPeer.has(peerId)) this.#pick(selected, peerId, target);
    return selected;
  }

  #pick(selected: Set<PeerId>, peerId: PeerId, target: BroadcastTarget): void {
    if (target.exceptPeers.has(peerId) || this.#inAny(peerId, target.exceptRooms)) return;
    selected.add(peerId);
  }

  *#membersOfAny(rooms: ReadonlySet<string>): Iterable<PeerId> {
    for (const room of rooms) yield* this.#peersByRoom.get(room) ?? EMPTY;
  }

  #inAny(peerId: PeerId, rooms: ReadonlySet<string>): boolean {
    if (rooms.size === 0) return false;
    const own = this.#roomsByPeer.get(peerId);
    if (own === undefined) return false;
    for (const room of rooms) if (own.has(room)) return true;
    return false;
  }

  #dropMember(room: string, peerId: PeerId): void {
    const members = this.#peersByRoom.get(room);
    if (members === undefined) return;
    members.delete(peerId);
    if (members.size === 0) this.#peersByRoom.delete(room);
  }
}

/** The default {@link AdapterFactory}. */
export const memoryAdapter: AdapterFactory = (host) => new MemoryAdapter(host);
