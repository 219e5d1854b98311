/**
 * One behaviour suite for every Adapter: the memory adapter runs it as a one-node cluster (in
 * `npm test`), the Redis adapter as three nodes in one process (in `npm run test:cluster`).
 * Peer i lives on node i % nodes; every expectation is about the whole cluster, so the same
 * test means "exactly once, everywhere" for both. Deliveries are counted per peer, so a
 * duplicate or a loss fails the test.
 */
import { expect, it } from 'vitest';
import type { Adapter, AdapterHost, BroadcastMessage, BroadcastTarget, PeerId } from '../../server/typed/adapter.js';

/** What one node delivered: [peer, text or hex of binary, volatile]. */
export type Delivery = readonly [PeerId, string, boolean];

/** A node under test and what its host was asked to deliver. */
export interface ConformanceNode {
  readonly adapter: Adapter;
  readonly delivered: Delivery[];
}

/** Adapters to test, built on hosts that record deliveries. */
export interface ConformanceCluster {
  readonly nodes: readonly ConformanceNode[];
  close(): Promise<void>;
}

/** A host recording every delivery (always "written"). */
export function recordingHost(delivered: Delivery[]): AdapterHost {
  return {
    deliver: (peerId, message) => {
      const data = message.data;
      delivered.push([peerId, typeof data === 'string' ? data : Buffer.from(data).toString('hex'), message.volatile]);
      return true;
    },
  };
}

const none: ReadonlySet<never> = new Set();

/** A broadcast target from plain lists. */
export function target(parts: { rooms?: string[]; peers?: string[]; exceptRooms?: string[]; exceptPeers?: string[] } = {}): BroadcastTarget {
  return {
    rooms: new Set(parts.rooms ?? none),
    peers: new Set(parts.peers ?? none),
    exceptRooms: new Set(parts.exceptRooms ?? none),
    exceptPeers: new Set(parts.exceptPeers ?? none),
  };
}

/** Poll `check` (it throws while not yet true) every 10 ms, up to `timeoutMs`. */
export async function eventually(check: () => unknown, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

const text = (n: number): BroadcastMessage => ({ data: `{"v":1,"type":"event","name":"n","payload":${n}}`, volatile: false });

/** Register the suite; `make` builds a fresh cluster per test, `settle` waits out in-flight messages. */
export function adapterConformance(make: () => Promise<ConformanceCluster>, settle: () => Promise<void>): void {
  async function withCluster(peers: number, run: (c: { nodes: readonly ConformanceNode[]; node: (peer: number) => ConformanceNode; id: (peer: number) => PeerId }) => Promise<void>) {
    const cluster = await make();
    try {
      const node = (peer: number) => cluster.nodes[peer % cluster.nodes.length]!;
      const id = (peer: number) => `peer-${peer}`;
      for (let p = 0; p < peers; p++) node(p).adapter.addPeer(id(p));
      await run({ nodes: cluster.nodes, node, id });
    } finally {
      await cluster.close();
    }
  }
  /** Per peer, the payloads it got (text messages `…"payload":n}` → n), sorted by peer. */
  const received = (nodes: readonly ConformanceNode[]) => {
    const byPeer: Record<string, number[]> = {};
    for (const n of nodes) for (const [peer, data] of n.delivered) (byPeer[peer] ??= []).push(Number(/"payload":(\d+)/.exec(data)?.[1]));
    return byPeer;
  };

  it('a room broadcast from any node reaches every member on every node exactly once', async () => {
    await withCluster(6, async ({ nodes, node, id }) => {
      for (const p of [0, 1, 2, 4]) node(p).adapter.join(id(p), 'lobby');
      await settle();
      const local = nodes[nodes.length - 1]!.adapter.broadcast(text(1), target({ rooms: ['lobby'] }));
      expect(local).toBe([0, 1, 2, 4].filter((p) => node(p) === nodes[nodes.length - 1]).length);
      nodes[0]!.adapter.broadcast(text(2), target({ rooms: ['lobby'] }));
      await eventually(() => expect(Object.values(received(nodes)).flat().length).toBe(8));
      await settle();
      // Two publishers: each peer gets both, in no defined order between nodes.
      const got = Object.fromEntries(Object.entries(received(nodes)).map(([peer, ns]) => [peer, ns.sort()]));
      expect(got).toEqual({ [id(0)]: [1, 2], [id(1)]: [1, 2], [id(2)]: [1, 2], [id(4)]: [1, 2] });
    });
  });

  it('several rooms: one copy per peer; except peers and except rooms hold cluster-wide', async () => {
    await withCluster(6, async ({ nodes, node, id }) => {
      for (const p of [0, 1, 2, 3]) node(p).adapter.join(id(p), 'red');
      for (const p of [2, 3, 4]) node(p).adapter.join(id(p), 'blue');
      node(1).adapter.join(id(1), 'muted');
      await settle();
      nodes[0]!.adapter.broadcast(text(7), target({ rooms: ['red', 'blue'], exceptRooms: ['muted'], exceptPeers: [id(3)] }));
      await eventually(() => expect(Object.values(received(nodes)).flat().length).toBe(3));
      await settle();
      expect(received(nodes)).toEqual({ [id(0)]: [7], [id(2)]: [7], [id(4)]: [7] });
    });
  });

  it('everyone, with volatile kept; binary bodies arrive byte for byte', async () => {
    await withCluster(5, async ({ nodes }) => {
      nodes[0]!.adapter.broadcast({ data: text(3).data, volatile: true }, target());
      nodes[0]!.adapter.broadcast({ data: new Uint8Array([0, 1, 0xfe, 0xff]), volatile: false }, target());
      await eventually(() => expect(nodes.flatMap((n) => n.delivered).length).toBe(10));
      await settle();
      const all = nodes.flatMap((n) => n.delivered);
      expect(all.filter(([, , volatile]) => volatile).length).toBe(5);
      expect(all.filter(([, data]) => data === '0001feff').map(([peer]) => peer).sort()).toEqual(['peer-0', 'peer-1', 'peer-2', 'peer-3', 'peer-4']);
    });
  });

  it('a direct message reaches one peer wherever it lives; an unknown peer gets nothing', async () => {
    await withCluster(4, async ({ nodes, id }) => {
      nodes[0]!.adapter.broadcast(text(9), target({ peers: [id(3), 'nobody'] }));
      nodes[0]!.adapter.broadcast(text(10), target({ peers: [id(0)] }));
      await eventually(() => expect(Object.values(received(nodes)).flat().length).toBe(2));
      await settle();
      expect(received(nodes)).toEqual({ [id(3)]: [9], [id(0)]: [10] });
    });
  });

  it('membership queries agree on every node, and follow joins, leaves and departures', async () => {
    await withCluster(5, async ({ nodes, node, id }) => {
      for (const p of [0, 1, 3]) node(p).adapter.join(id(p), 'lobby');
      node(1).adapter.join(id(1), 'vip');
      for (const n of nodes) {
        await eventually(async () => {
          expect((await n.adapter.fetchMembers(target({ rooms: ['lobby'] }))).sort()).toEqual([id(0), id(1), id(3)]);
          expect(await n.adapter.fetchPeerCount()).toBe(5);
          expect((await n.adapter.fetchRoomsOf(id(1))).sort()).toEqual(['lobby', 'vip']);
          expect((await n.adapter.fetchMembers(target({ rooms: ['lobby'], exceptRooms: ['vip'] }))).sort()).toEqual([id(0), id(3)]);
        });
      }
      node(1).adapter.leave(id(1), 'lobby');
      node(3).adapter.removePeer(id(3));
      for (const n of nodes) {
        await eventually(async () => {
          expect(await n.adapter.fetchMembers(target({ rooms: ['lobby'] }))).toEqual([id(0)]);
          expect(await n.adapter.fetchPeerCount()).toBe(4);
          expect(await n.adapter.fetchRoomsOf(id(3))).toEqual([]);
        });
      }
    });
  });

  it('any node can make a peer on another node join or leave; a broadcast sent right after sees it', async () => {
    await withCluster(4, async ({ nodes, node, id }) => {
      const last = nodes[nodes.length - 1]!;
      await last.adapter.addRooms(target({ peers: [id(0), id(1)] }), ['vip']);
      last.adapter.broadcast(text(4), target({ rooms: ['vip'] }));
      await eventually(() => expect(received(nodes)).toEqual({ [id(0)]: [4], [id(1)]: [4] }));
      expect([...node(0).adapter.roomsOf(id(0))]).toEqual(['vip']);
      await last.adapter.addRooms(target({ rooms: ['vip'] }), ['stage']);
      await last.adapter.removeRooms(target({ peers: [id(0)] }), ['vip']);
      last.adapter.broadcast(text(5), target({ rooms: ['vip'] }));
      last.adapter.broadcast(text(6), target({ rooms: ['stage'] }));
      await eventually(() => expect(received(nodes)).toEqual({ [id(0)]: [4, 6], [id(1)]: [4, 5, 6] }));
      await eventually(async () => expect((await nodes[0]!.adapter.fetchMembers(target({ rooms: ['stage'] }))).sort()).toEqual([id(0), id(1)]));
    });
  });
}
