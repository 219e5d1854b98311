/**
 * Every Redis key and channel the adapter uses, in one place (docs/cluster.md lists them with
 * their lifetimes). The Lua scripts build the same names from the prefix; keep both in step.
 *
 * A room's keys carry the room in a hash tag (`{room}`), so that on Redis Cluster a room's
 * members, log and epoch live in one slot.
 */
import type { PeerId } from '../typed/adapter.js';

/** Key names under one prefix. */
export class RedisKeys {
  readonly prefix: string;
  /** Pub/sub channel of every cluster message (broadcasts, remote joins and leaves). */
  readonly channel: string;
  /** SET of the ids of the nodes that registered. */
  readonly nodes: string;
  /** HASH peer id → id of the node it is connected to (its HLEN is the cluster's peer count). */
  readonly peers: string;

  constructor(prefix: string) {
    this.prefix = prefix;
    this.channel = `${prefix}:cluster`;
    this.nodes = `${prefix}:nodes`;
    this.peers = `${prefix}:peers`;
  }

  /** STRING that exists while the node is alive (its heartbeat, with a TTL of the node timeout). */
  nodeAlive(node: string): string {
    return `${this.prefix}:node:${node}`;
  }

  /** SET of the peers connected to `node`. */
  nodePeers(node: string): string {
    return `${this.prefix}:node:${node}:peers`;
  }

  /** SET of the rooms `peer` is in. */
  peerRooms(peer: PeerId): string {
    return `${this.prefix}:peer:${peer}:rooms`;
  }

  /** SET of the peers in `room`, on any node. */
  roomMembers(room: string): string {
    return `${this.prefix}:room:{${room}}:members`;
  }

  /** STREAM of the broadcasts to `room` (bounded length, TTL): their positions. */
  roomLog(room: string): string {
    return `${this.prefix}:room:{${room}}:log`;
  }

  /** STRING: the epoch of `room`'s log; a new value means its history was lost. */
  roomEpoch(room: string): string {
    return `${this.prefix}:room:{${room}}:epoch`;
  }

  /** HASH: a resumable session's record (identity, data, rooms, positions, owner node). */
  session(sid: string): string {
    return `${this.prefix}:session:{${sid}}`;
  }

  /** STREAM: the envelopes a session sent, entry id `<seq>-0`, trimmed as the client acknowledges. */
  sessionLog(sid: string): string {
    return `${this.prefix}:session:{${sid}}:log`;
  }

  /** STRING: why a session ended, kept for the resume window. */
  sessionEnded(sid: string): string {
    return `${this.prefix}:session:{${sid}}:ended`;
  }
}
