/**
 * The cluster's membership in Redis: which peers exist (and on which node), the rooms of each
 * peer and the members of each room. Each node writes only its own peers, as they change; its
 * local view (a MemoryAdapter) stays the truth for them. Whenever Redis may disagree with it — the
 * first connect, a reconnect, a write that failed, a heartbeat key that vanished (Redis lost its
 * data, or this node was paused past the timeout and reaped) — the node rewrites its whole share
 * in one atomic script (resync).
 *
 * Liveness: each node refreshes a key with a TTL (the node timeout) every heartbeat interval, and
 * removes nodes whose key expired together with their peers (reap), so a `kill -9`'d node leaves
 * no ghosts after the timeout. The TTL is Redis's clock, so nodes' clocks need not agree.
 */
import type { BroadcastTarget, PeerId } from '../typed/adapter.js';
import { RedisAdapterError, RedisErrorCodes } from './errors.js';
import type { RedisKeys } from './keys.js';
import type { AnyRedisClient } from './options.js';
import { REAP_NODE, RESYNC_NODE, runScript } from './scripts.js';

/** What {@link RedisMembership} needs from the adapter. */
export interface MembershipOptions {
  readonly client: AnyRedisClient;
  readonly keys: RedisKeys;
  readonly nodeId: string;
  /** Node timeout (ms): the heartbeat key's TTL. */
  readonly timeout: number;
  /** This node's peers and their rooms, now. */
  readonly local: () => Iterable<readonly [PeerId, Iterable<string>]>;
  readonly report: (error: RedisAdapterError) => void;
}

/** This node's share of the membership in Redis, and the cluster-wide queries. */
export class RedisMembership {
  resyncs = 0;
  nodesReaped = 0;
  peersReaped = 0;
  readonly #o: MembershipOptions;
  /** Redis may disagree with the local view: resync at the next chance. */
  #dirty = true;
  #failureReported = false;
  #beating: Promise<void> | undefined;

  constructor(options: MembershipOptions) {
    this.#o = options;
  }

  addPeer(peer: PeerId): void {
    const { keys, nodeId } = this.#o;
    this.#write((m) => m.hSet(keys.peers, peer, nodeId).sAdd(keys.nodePeers(nodeId), peer));
  }

  /** `rooms`: the peer's rooms just before it left. */
  removePeer(peer: PeerId, rooms: Iterable<string>): void {
    const { keys, nodeId } = this.#o;
    this.#write((m) => {
      m.hDel(keys.peers, peer).sRem(keys.nodePeers(nodeId), peer).del(keys.peerRooms(peer));
      for (const room of rooms) m.sRem(keys.roomMembers(room), peer);
      return m;
    });
  }

  join(peer: PeerId, room: string): void {
    const { keys } = this.#o;
    this.#write((m) => m.sAdd(keys.peerRooms(peer), room).sAdd(keys.roomMembers(room), peer));
  }

  leave(peer: PeerId, room: string): void {
    const { keys } = this.#o;
    this.#write((m) => m.sRem(keys.peerRooms(peer), room).sRem(keys.roomMembers(room), peer));
  }

  /**
   * One heartbeat: refresh this node's key (resync if it had vanished or a write failed), then
   * reap the nodes whose key expired. Never rejects; failures mark the view dirty and are reported.
   */
  heartbeat(): Promise<void> {
    this.#beating ??= this.#beat().finally(() => {
      this.#beating = undefined;
    });
    return this.#beating;
  }

  /** Leave the cluster on purpose: drop the heartbeat key and reap this node at once. */
  async depart(): Promise<void> {
    const { client, keys, nodeId } = this.#o;
    if (!client.isReady) return;
    await client.del(keys.nodeAlive(nodeId));
    await runScript(client, REAP_NODE, [], [keys.prefix, nodeId]);
  }

  /** The peers `target` selects, on every live (or not yet reaped) node. */
  async fetchMembers(target: BroadcastTarget): Promise<PeerId[]> {
    const { client, keys } = this.#o;
    return this.#query('fetchMembers', async () => {
      const direct = [...(target.peers ?? [])];
      const candidates = new Set<PeerId>();
      if (target.rooms.size === 0 && direct.length === 0) {
        for (const peer of await client.hKeys(keys.peers)) candidates.add(String(peer));
      } else {
        for (const peer of await this.#membersOf(target.rooms)) candidates.add(peer);
        if (direct.length > 0) {
          const nodes = await client.hmGet(keys.peers, direct);
          direct.forEach((peer, i) => nodes[i] != null && candidates.add(peer));
        }
      }
      for (const peer of await this.#membersOf(target.exceptRooms)) candidates.delete(peer);
      for (const peer of target.exceptPeers) candidates.delete(peer);
      return [...candidates];
    });
  }

  async fetchRoomsOf(peer: PeerId): Promise<string[]> {
    const { client, keys } = this.#o;
    return this.#query('fetchRoomsOf', async () => [...(await client.sMembers(keys.peerRooms(peer)))].map(String));
  }

  async fetchPeerCount(): Promise<number> {
    const { client, keys } = this.#o;
    return this.#query('fetchPeerCount', async () => Number(await client.hLen(keys.peers)));
  }

  async #membersOf(rooms: ReadonlySet<string>): Promise<string[]> {
    const { client, keys } = this.#o;
    // One SMEMBERS per room (not SUNION): rooms hash to different slots on Redis Cluster.
    const lists = await Promise.all([...rooms].map((room) => client.sMembers(keys.roomMembers(room))));
    return lists.flatMap((list) => [...list].map(String));
  }

  async #query<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw new RedisAdapterError(RedisErrorCodes.Unavailable, `${what}: redis did not answer: ${message(err)}`, { cause: err });
    }
  }

  async #beat(): Promise<void> {
    const { client, keys, nodeId, timeout } = this.#o;
    if (!client.isReady) return void (this.#dirty = true);
    try {
      const previous = await client.set(keys.nodeAlive(nodeId), '1', { PX: timeout, GET: true } as never);
      if (previous === null || this.#dirty) await this.#resync();
      await this.#sweep();
    } catch (err) {
      this.#fail(err);
    }
  }

  async #resync(): Promise<void> {
    const { client, keys, nodeId, timeout } = this.#o;
    this.#dirty = false;
    const want: Record<string, string[]> = {};
    for (const [peer, rooms] of this.#o.local()) want[peer] = [...rooms];
    // cjson decodes {} and [] alike; an empty object is what the script expects for no peers.
    await runScript(client, RESYNC_NODE, [], [keys.prefix, nodeId, String(timeout), JSON.stringify(want)]);
    this.resyncs += 1;
    this.#failureReported = false;
  }

  async #sweep(): Promise<void> {
    const { client, keys, nodeId } = this.#o;
    // RESP3 answers SMEMBERS with a Set, RESP2 with an array: spread both.
    const others = [...(await client.sMembers(keys.nodes))].map(String).filter((node) => node !== nodeId);
    const alive = await Promise.all(others.map((node) => client.exists(keys.nodeAlive(node))));
    for (const [i, node] of others.entries()) {
      if (Number(alive[i]) === 1) continue;
      const removed = Number(await runScript(client, REAP_NODE, [], [keys.prefix, node]));
      if (removed < 0) continue;
      this.nodesReaped += 1;
      this.peersReaped += removed;
    }
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  #write(build: (multi: any) => { exec(): Promise<unknown> }): void {
    const { client } = this.#o;
    if (!client.isReady) return void (this.#dirty = true);
    build(client.multi())
      .exec()
      .catch((err: unknown) => this.#fail(err));
  }

  #fail(err: unknown): void {
    this.#dirty = true;
    if (this.#failureReported) return;
    this.#failureReported = true;
    this.#o.report(new RedisAdapterError(RedisErrorCodes.MembershipFailed, `membership not written to redis (rewritten in full once it answers): ${message(err)}`, { cause: err }));
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
