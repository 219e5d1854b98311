/**
 * Room bookkeeping and broadcast fan-out behind one interface, so that a multi-process adapter
 * (Redis pub/sub, `tandem/redis`) can replace the in-memory default without touching the rest
 * of the server. The adapter knows peer ids and room names only; it never sees a socket.
 */

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

/** Who a broadcast reaches: the members of `rooms` (every peer when empty), minus the exclusions. */
export interface BroadcastTarget {
  readonly rooms: ReadonlySet<string>;
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
}

/** Room membership and broadcast. All methods are synchronous for the local node's view. */
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
  /** Deliver `message` to every local peer `target` selects; returns how many it was written to. */
  broadcast(message: BroadcastMessage, target: BroadcastTarget): number;
  /** Release what the adapter holds (connections to a broker…). */
  close(): Promise<void>;
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
    for (const peerId of this.#recipients(target)) {
      if (this.#host.deliver(peerId, message)) reached += 1;
    }
    return reached;
  }

  async close(): Promise<void> {
    this.#roomsByPeer.clear();
    this.#peersByRoom.clear();
  }

  /** The selected peers, each once (a peer in two target rooms gets one copy). */
  #recipients(target: BroadcastTarget): Set<PeerId> {
    const selected = new Set<PeerId>();
    const candidates: Iterable<PeerId> =
      target.rooms.size === 0 ? this.#roomsByPeer.keys() : this.#membersOfAny(target.rooms);
    for (const peerId of candidates) {
      if (target.exceptPeers.has(peerId) || this.#inAny(peerId, target.exceptRooms)) continue;
      selected.add(peerId);
    }
    return selected;
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
