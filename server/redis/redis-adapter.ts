/**
 * The Redis adapter: rooms and broadcast across every node that shares a Redis (and a prefix).
 *
 * Each node keeps its own peers' rooms in a MemoryAdapter (the hot path never waits on Redis) and
 * mirrors them into Redis for the cluster-wide queries (membership.ts). A broadcast is delivered to
 * the local members at once and published once on the cluster channel, as the bytes the codec
 * produced; every other node decodes the audience and hands the body to its own local members,
 * framed once per node. A node ignores its own messages, so each member is reached exactly once.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { MemoryAdapter } from '../typed/adapter.js';
import type { Adapter, AdapterHost, AdapterStats, BroadcastMessage, BroadcastTarget, PeerId } from '../typed/adapter.js';
import { PreparedMessage, prepared } from '../typed/prepared-message.js';
import { tagBroadcast } from '../typed/broadcast-ids.js';
import type { SessionStoreFactory } from '../typed/session/session-store.js';
import { decodeClusterMessage, encodeClusterMessage, MessageKinds } from './cluster-message.js';
import type { ClusterMessage, MessageKind } from './cluster-message.js';
import { RedisConnections } from './connections.js';
import { RedisAdapterError, RedisErrorCodes } from './errors.js';
import { RedisKeys } from './keys.js';
import { RedisMembership } from './membership.js';
import type { ResolvedRedisOptions } from './options.js';
import { Publisher } from './publisher.js';
import { RedisSessionStore } from './redis-session-store.js';

/** `server.stats().adapter` for the Redis adapter. */
export interface RedisAdapterStats extends AdapterStats {
  readonly nodeId: string;
  /** All three connections are up. */
  readonly connected: boolean;
  /** Cluster messages handed to Redis and acknowledged. */
  readonly published: number;
  /** Cluster messages from other nodes applied here. */
  readonly received: number;
  /** Waiting for Redis now (bounded by maxQueued / maxQueuedBytes). */
  readonly queued: number;
  readonly queuedBytes: number;
  /** Sent to Redis, reply not yet received (bounded by maxInflight). */
  readonly inflight: number;
  /** Dropped because the queue was full: those never reached the other nodes. */
  readonly dropped: number;
  /** Sent but failed (connection lost before the reply): may or may not have arrived. */
  readonly publishFailed: number;
  /** Messages on the channel this node could not read. */
  readonly invalid: number;
  /** Connection failures (every reconnect attempt counts). */
  readonly connectionErrors: number;
  /** Times this node rewrote its share of the membership in Redis. */
  readonly resyncs: number;
  /** Dead nodes this node removed, and their peers. */
  readonly nodesReaped: number;
  readonly peersReaped: number;
  /** Resumable sessions this node keeps in Redis (its session store), and writes of them that failed. */
  readonly sessions: number;
  readonly sessionWriteFailures: number;
}

/** The Redis {@link Adapter}; build it with `redisAdapter(options)`. */
export class RedisAdapter implements Adapter {
  readonly nodeId: string;
  readonly #host: AdapterHost;
  readonly #local: MemoryAdapter;
  readonly #keys: RedisKeys;
  readonly #connections: RedisConnections;
  readonly #publisher: Publisher;
  readonly #membership: RedisMembership;
  readonly #timer: ReturnType<typeof setInterval>;
  readonly #closeTimeout: number;
  #received = 0;
  #invalid = 0;
  /** The SUBSCRIBE was answered (node-redis re-subscribes by itself after a reconnect). */
  #subscribed = false;
  #closing: Promise<void> | undefined;
  /** Broadcast ids: this node's random prefix and a counter. */
  readonly #idBase = randomBytes(6).toString('base64url');
  #idCount = 0;
  /**
   * Per room with local members, the log position of the last cluster message for it that this
   * node handled (delivered to its members, its own included): a session of this node has had
   * every broadcast of the room up to there that was meant for it (the session store's catch-up
   * starting point).
   */
  readonly #positions = new Map<string, { readonly epoch: string; readonly offset: string }>();
  /** The session store for this adapter (docs/cluster.md "Resume across nodes"); none without room logs. */
  readonly sessionStore: SessionStoreFactory | undefined;
  /** The store the server built from {@link sessionStore}, for stats. */
  #store: RedisSessionStore | undefined;

  constructor(host: AdapterHost, options: ResolvedRedisOptions) {
    this.#host = host;
    this.nodeId = options.nodeId ?? randomUUID();
    this.#closeTimeout = options.closeTimeout;
    this.#local = new MemoryAdapter(host);
    this.#keys = new RedisKeys(options.prefix);
    const report = (error: RedisAdapterError) => this.#report(error);
    this.#connections = new RedisConnections(options, { report, ready: (role) => this.#ready(role) });
    const { publisher, commands } = this.#connections;
    this.#publisher = new Publisher({ client: publisher, keys: this.#keys, history: options.history, report, ...limits(options) });
    this.#membership = new RedisMembership({
      client: commands,
      keys: this.#keys,
      nodeId: this.nodeId,
      timeout: options.heartbeatTimeout,
      local: () => this.#localView(),
      report,
    });
    const history = options.history;
    this.sessionStore =
      history === false
        ? undefined
        : (context) =>
            (this.#store = new RedisSessionStore(context, {
              client: commands,
              keys: this.#keys,
              nodeId: this.nodeId,
              roomPosition: (room) => this.#positions.get(room),
              published: () => this.#publisher.settled(),
              report,
            }));
    this.#timer = setInterval(() => void this.#membership.heartbeat(), options.heartbeatInterval);
    this.#timer.unref();
    this.#connections.start();
    this.#subscribe();
  }

  // ——— local view (synchronous), mirrored into Redis ———

  addPeer(peerId: PeerId): void {
    if (this.#local.has(peerId)) return;
    this.#local.addPeer(peerId);
    this.#membership.addPeer(peerId);
  }

  removePeer(peerId: PeerId): void {
    if (!this.#local.has(peerId)) return;
    const rooms = [...this.#local.roomsOf(peerId)];
    this.#local.removePeer(peerId);
    this.#membership.removePeer(peerId, rooms);
  }

  join(peerId: PeerId, room: string): void {
    if (!this.#local.has(peerId) || this.#local.roomsOf(peerId).has(room)) return;
    this.#local.join(peerId, room);
    this.#membership.join(peerId, room);
  }

  leave(peerId: PeerId, room: string): void {
    if (!this.#local.roomsOf(peerId).has(room)) return;
    this.#local.leave(peerId, room);
    this.#membership.leave(peerId, room);
  }

  roomsOf(peerId: PeerId): ReadonlySet<string> {
    return this.#local.roomsOf(peerId);
  }

  membersOf(room: string): ReadonlySet<PeerId> {
    return this.#local.membersOf(room);
  }

  roomNames(): string[] {
    return this.#local.roomNames();
  }

  peerCount(): number {
    return this.#local.peerCount();
  }

  // ——— cluster ———

  broadcast(message: BroadcastMessage, target: BroadcastTarget): number {
    const id = `${this.#idBase}.${(this.#idCount++).toString(36)}`;
    tagBroadcast(message, id);
    const reached = this.#local.broadcast(message, target);
    if (this.#closing === undefined && !this.#allLocal(target)) {
      const ready = prepared(message);
      const frame = encodeClusterMessage(MessageKinds.Broadcast, this.nodeId, target, { volatile: ready.volatile, text: ready.text, body: ready.payload, id });
      this.#publisher.publish(frame, target.rooms.size > 0 ? [...target.rooms] : undefined);
    }
    return reached;
  }

  fetchMembers(target: BroadcastTarget): Promise<PeerId[]> {
    return this.#membership.fetchMembers(target);
  }

  fetchRoomsOf(peerId: PeerId): Promise<string[]> {
    return this.#local.has(peerId) ? this.#local.fetchRoomsOf(peerId) : this.#membership.fetchRoomsOf(peerId);
  }

  fetchPeerCount(): Promise<number> {
    return this.#membership.fetchPeerCount();
  }

  addRooms(target: BroadcastTarget, rooms: readonly string[]): Promise<void> {
    return this.#changeRooms(MessageKinds.AddRooms, target, rooms);
  }

  removeRooms(target: BroadcastTarget, rooms: readonly string[]): Promise<void> {
    return this.#changeRooms(MessageKinds.RemoveRooms, target, rooms);
  }

  stats(): RedisAdapterStats {
    const p = this.#publisher;
    const m = this.#membership;
    return {
      nodeId: this.nodeId,
      connected: this.#connections.ready && this.#subscribed,
      published: p.published,
      received: this.#received,
      queued: p.queued,
      queuedBytes: p.queuedBytes,
      inflight: p.inflight,
      dropped: p.dropped,
      publishFailed: p.failed,
      invalid: this.#invalid,
      connectionErrors: this.#connections.errors,
      resyncs: m.resyncs,
      nodesReaped: m.nodesReaped,
      peersReaped: m.peersReaped,
      sessions: this.#store?.size ?? 0,
      sessionWriteFailures: this.#store?.writeFailures ?? 0,
    };
  }

  /** Leave the cluster (this node's peers leave Redis at once, not after the timeout) and disconnect. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    clearInterval(this.#timer);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.#closeTimeout);
    });
    await Promise.race([this.#membership.depart().catch(() => undefined), deadline]);
    clearTimeout(timer);
    this.#publisher.clear(new Error('adapter closed'));
    await this.#local.close();
    await this.#connections.close();
  }

  // ——— plumbing ———

  async #changeRooms(kind: MessageKind, target: BroadcastTarget, rooms: readonly string[]): Promise<void> {
    const apply = kind === MessageKinds.AddRooms ? (peer: PeerId, room: string) => this.join(peer, room) : (peer: PeerId, room: string) => this.leave(peer, room);
    for (const peer of this.#local.select(target)) for (const room of rooms) apply(peer, room);
    if (this.#allLocal(target)) return;
    const frame = encodeClusterMessage(kind, this.nodeId, target, { rooms });
    await new Promise<void>((resolve, reject) => this.#publisher.publish(frame, undefined, (error) => (error ? reject(error) : resolve())));
  }

  /** A message only for named peers that are all connected here needs no other node. */
  #allLocal(target: BroadcastTarget): boolean {
    if (target.rooms.size > 0 || target.peers === undefined || target.peers.size === 0) return false;
    for (const peer of target.peers) if (!this.#local.has(peer)) return false;
    return true;
  }

  #subscribe(): void {
    // Buffers, not strings: the body is an envelope's bytes and is framed as is.
    this.#connections.subscriber
      .subscribe(this.#keys.channel, (message: Buffer) => this.#onMessage(message), true)
      .then(() => {
        this.#subscribed = true;
      })
      .catch((err: unknown) => this.#report(new RedisAdapterError(RedisErrorCodes.Unavailable, `subscribe failed: ${String(err)}`, { cause: err })));
  }

  #onMessage(bytes: Buffer): void {
    let message: ClusterMessage;
    try {
      message = decodeClusterMessage(bytes);
    } catch (err) {
      this.#invalid += 1;
      return this.#report(err as RedisAdapterError);
    }
    if (this.#closing !== undefined) return;
    // Our own: delivered locally before it was published; only its positions are news.
    if (message.origin === this.nodeId) return this.#handled(message);
    this.#received += 1;
    switch (message.kind) {
      case MessageKinds.Broadcast: {
        const body = message.text ? PreparedMessage.fromUtf8(message.body, message.volatile) : new PreparedMessage(message.body, message.volatile);
        if (message.id !== undefined) tagBroadcast(body, message.id);
        this.#local.broadcast(body, message.target);
        return this.#handled(message);
      }
      case MessageKinds.AddRooms:
      case MessageKinds.RemoveRooms:
        for (const peer of this.#local.select(message.target)) {
          for (const room of message.rooms) (message.kind === MessageKinds.AddRooms ? this.join(peer, room) : this.leave(peer, room));
        }
        return;
    }
  }

  /** `message` was handled here: the rooms it was logged to have a new position on this node. */
  #handled(message: ClusterMessage): void {
    for (const { room, epoch, offset } of message.positions) {
      // Only rooms with members here: the map never outgrows this node's own rooms.
      if (this.#local.membersOf(room).size > 0) this.#positions.set(room, { epoch, offset });
      else this.#positions.delete(room);
    }
  }

  #ready(role: string): void {
    if (role === 'publisher') this.#publisher.connected();
    if (role === 'commands') void this.#membership.heartbeat();
  }

  *#localView(): Iterable<readonly [PeerId, Iterable<string>]> {
    for (const peer of this.#local.peers()) yield [peer, this.#local.roomsOf(peer)];
  }

  #report(error: RedisAdapterError): void {
    this.#host.report?.(error);
  }
}

function limits(options: ResolvedRedisOptions) {
  return { maxInflight: options.maxInflight, maxQueued: options.maxQueued, maxQueuedBytes: options.maxQueuedBytes };
}
