// Three node processes on one redis-server, clients spread over them: exactly-once broadcast,
// membership that agrees everywhere, remote join/leave and direct emit, and a kill -9'd node
// whose peers leave the membership after the node timeout.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from '../helpers/redis-server.js';
import { eventually } from '../helpers/adapter-conformance.js';
import { connect, startNode, stopCluster, tally, type ClusterNode, type RecordingClient } from './cluster-harness.js';

const PER_NODE = 8;
let redis: RedisServer;
let nodes: ClusterNode[];
let clients: RecordingClient[];

beforeAll(async () => {
  redis = await RedisServer.start();
  nodes = await Promise.all([0, 1, 2].map(() => startNode(redis.url, 'main')));
  clients = [];
  for (let i = 0; i < 3 * PER_NODE; i++) clients.push(await connect(nodes[i % 3]!, `c${i}`, ['lobby', i % 2 === 0 ? 'even' : 'odd']));
});

afterAll(async () => {
  await stopCluster();
  await redis.stop();
});

const on = (node: number) => clients.find((_, i) => i % 3 === node)!;

describe('three nodes, one Redis', () => {
  it('membership queries agree on every node', async () => {
    const all = clients.map((c) => c.id).sort();
    const even = clients.filter((_, i) => i % 2 === 0).map((c) => c.id).sort();
    for (const node of [0, 1, 2]) {
      await eventually(async () => {
        expect(await on(node).client.request('members', { room: 'lobby' })).toEqual(all);
        expect(await on(node).client.request('members', { room: 'even' })).toEqual(even);
        expect(await on(node).client.request('count', undefined)).toBe(3 * PER_NODE);
      });
    }
  });

  it('bursts from every node at once reach every client exactly once (lost 0, duplicated 0)', async () => {
    const COUNT = 300;
    for (const c of clients) c.ticks.length = 0;
    await Promise.all([0, 1, 2].map((node) => on(node).client.request('burst', { room: 'lobby', count: COUNT, from: `n${node}` })));
    const senders = ['n0', 'n1', 'n2'];
    await eventually(() => {
      for (const c of clients) expect(c.ticks.length).toBeGreaterThanOrEqual(3 * COUNT);
    }, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 200)); // a late duplicate would show now
    for (const c of clients) {
      expect(tally(c.ticks, senders, COUNT)).toEqual({ lost: 0, duplicated: 0, foreign: 0 });
      // One publisher's ticks arrive in the order it sent them.
      for (const from of senders) {
        const order = c.ticks.filter((t) => t.startsWith(`${from}:`)).map((t) => Number(t.split(':')[1]));
        expect(order).toEqual([...order].sort((a, b) => a - b));
      }
    }
  });

  it('multi-room broadcasts: one copy per client; rooms that were not named get nothing', async () => {
    for (const c of clients) c.ticks.length = 0;
    await on(1).client.request('burst', { room: ['even', 'odd'], count: 50, from: 'multi' });
    await on(2).client.request('burst', { room: 'odd', count: 20, from: 'odd' });
    await eventually(() => {
      for (const c of clients) expect(c.ticks.length).toBeGreaterThanOrEqual(clients.indexOf(c) % 2 === 1 ? 70 : 50);
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    clients.forEach((c, i) => {
      expect(tally(c.ticks.filter((t) => t.startsWith('multi:')), ['multi'], 50)).toEqual({ lost: 0, duplicated: 0, foreign: 0 });
      const odd = c.ticks.filter((t) => t.startsWith('odd:'));
      if (i % 2 === 1) expect(tally(odd, ['odd'], 20)).toEqual({ lost: 0, duplicated: 0, foreign: 0 });
      else expect(odd).toEqual([]);
    });
  });

  it('a peer on another node: direct emit, remote join and leave', async () => {
    const target = clients[2]!; // on node 2
    target.directs.length = 0;
    expect(await clients[0]!.client.request('direct', { to: target.id, n: 42 })).toEqual({ local: 0 });
    await eventually(() => expect(target.directs).toEqual([42]));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(clients.filter((c) => c.directs.length > 0).map((c) => c.id)).toEqual([target.id]);

    await clients[0]!.client.request('join', { peer: target.id, room: 'vip' }); // asked on node 0
    await eventually(async () => expect(await clients[1]!.client.request('members', { room: 'vip' })).toEqual([target.id]));
    expect((await clients[1]!.client.request('rooms', { peer: target.id })).sort()).toEqual(['even', 'lobby', 'vip']);
    target.ticks.length = 0;
    await clients[1]!.client.request('burst', { room: 'vip', count: 5, from: 'vip' }); // sent from node 1
    await eventually(() => expect(target.ticks).toEqual(['vip:0', 'vip:1', 'vip:2', 'vip:3', 'vip:4']));
    expect(clients.filter((c) => c.ticks.some((t) => t.startsWith('vip:'))).map((c) => c.id)).toEqual([target.id]);

    await clients[1]!.client.request('leave', { peer: target.id, room: 'vip' });
    await eventually(async () => expect(await clients[0]!.client.request('members', { room: 'vip' })).toEqual([]));
  });

  it('kill -9 of a node: its peers leave the membership after the node timeout, the others stay', async () => {
    const doomed = await startNode(redis.url, 'main');
    const victims = [await connect(doomed, 'v0', ['lobby']), await connect(doomed, 'v1', ['lobby', 'even'])];
    const survivors = clients.map((c) => c.id).sort();
    await eventually(async () => expect(await on(0).client.request('count', undefined)).toBe(3 * PER_NODE + 2));
    const killedAt = Date.now();
    await doomed.kill();
    await eventually(async () => {
      expect(await on(0).client.request('members', { room: 'lobby' })).toEqual(survivors);
      expect(await on(1).client.request('count', undefined)).toBe(3 * PER_NODE);
      expect(await on(2).client.request('rooms', { peer: victims[1]!.id })).toEqual([]);
    }, 10_000);
    // Not before the timeout (1.2 s): a live node is never reaped for being quiet.
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(1_000);
    const reaped = await Promise.all([0, 1, 2].map(async (n) => ((await on(n).client.request('stats', undefined)) as { adapter: { peersReaped: number } }).adapter.peersReaped));
    expect(reaped.reduce((a, b) => a + b, 0)).toBe(2);
    for (const node of nodes) expect(node.stderr()).not.toMatch(/UNHANDLED/);
  });
});
