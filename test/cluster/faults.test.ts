// Redis faults under load: restarted mid-stream (all data lost) and paused (SIGSTOP). Local
// delivery must not notice; the nodes reconnect by themselves, rebuild the membership, never
// crash; while Redis is stalled, what waits for it is bounded and every drop is counted.
import { afterEach, describe, expect, it } from 'vitest';
import { RedisServer } from '../helpers/redis-server.js';
import { eventually } from '../helpers/adapter-conformance.js';
import { connect, startNode, stopCluster, tally } from './cluster-harness.js';

afterEach(async () => {
  await stopCluster();
});

interface NodeStats {
  adapter: { connected: boolean; published: number; queued: number; queuedBytes: number; inflight: number; dropped: number; publishFailed: number; connectionErrors: number; resyncs: number };
  errors: Record<string, number>;
  rss: number;
}

describe('Redis faults', () => {
  it('Redis restarted mid-stream: local delivery loses nothing, remote resumes, membership is rebuilt, nothing crashes', async () => {
    const redis = await RedisServer.start();
    try {
      const [n0, n1] = await Promise.all([startNode(redis.url, 'restart'), startNode(redis.url, 'restart')]);
      const sender = await connect(n0!, 'sender', ['lobby']);
      const local = await connect(n0!, 'local', ['lobby']);
      const remote = await connect(n1!, 'remote', ['lobby']);
      const ids = [sender.id, local.id, remote.id].sort();
      await eventually(async () => expect(await remote.client.request('members', { room: 'lobby' })).toEqual(ids));
      const COUNT = 300;
      const stream = sender.client.request('burst', { room: 'lobby', count: COUNT, from: 's', every: 5 }, { timeout: 30_000 });
      await new Promise((resolve) => setTimeout(resolve, 400));
      await redis.restart(300); // kill -9, 300 ms down, back empty
      await stream;
      // Remote delivery comes back: a second stream after the restart arrives whole.
      await eventually(async () => expect(((await remote.client.request('stats', undefined)) as NodeStats).adapter.connected).toBe(true), 10_000);
      await eventually(async () => expect(((await sender.client.request('stats', undefined)) as NodeStats).adapter.connected).toBe(true), 10_000);
      await sender.client.request('burst', { room: 'lobby', count: 20, from: 'after' });
      await eventually(() => expect(tally(remote.ticks.filter((t) => t.startsWith('after:')), ['after'], 20)).toEqual({ lost: 0, duplicated: 0, foreign: 0 }));
      for (const c of [sender, local]) expect(tally(c.ticks.filter((t) => t.startsWith('s:')), ['s'], COUNT)).toEqual({ lost: 0, duplicated: 0, foreign: 0 });
      const remoteTally = tally(remote.ticks.filter((t) => t.startsWith('s:')), ['s'], COUNT);
      expect(remoteTally.duplicated).toBe(0);
      expect(remoteTally.lost).toBeLessThan(COUNT); // what was published outside the outage arrived
      // Redis came back empty: each node wrote its share of the membership again.
      await eventually(async () => expect(await local.client.request('members', { room: 'lobby' })).toEqual(ids), 10_000);
      const stats = (await sender.client.request('stats', undefined)) as NodeStats;
      expect(stats.adapter.connectionErrors).toBeGreaterThan(0);
      expect(stats.errors.ERR_REDIS_UNAVAILABLE).toBeGreaterThan(0);
      expect(stats.adapter.resyncs).toBeGreaterThanOrEqual(2);
      for (const node of [n0!, n1!]) expect(node.stderr()).not.toMatch(/UNHANDLED|Error/);
    } finally {
      await redis.stop();
    }
  });

  it('Redis paused (SIGSTOP): the queue stays within its bound, drops are counted exactly, and it all recovers on SIGCONT', async () => {
    const redis = await RedisServer.start();
    try {
      const MAX_QUEUED = 500;
      const [n0, n1] = await Promise.all([startNode(redis.url, 'pause', { maxQueued: MAX_QUEUED, timeout: 3000 }), startNode(redis.url, 'pause', { maxQueued: MAX_QUEUED, timeout: 3000 })]);
      const sender = await connect(n0!, 'sender', ['lobby']);
      const remote = await connect(n1!, 'remote', ['lobby']);
      await eventually(async () => expect(await remote.client.request('count', undefined)).toBe(2));
      const before = (await sender.client.request('stats', undefined)) as NodeStats;
      redis.pause();
      const COUNT = 20_000;
      await sender.client.request('burst', { room: 'lobby', count: COUNT, from: 'p' });
      const during = (await sender.client.request('stats', undefined)) as NodeStats;
      const a = during.adapter;
      expect(a.queued).toBeLessThanOrEqual(MAX_QUEUED);
      expect(a.inflight).toBeLessThanOrEqual(1024);
      expect(a.dropped).toBeGreaterThanOrEqual(COUNT - MAX_QUEUED - 1024);
      // Every broadcast is accounted for: published before, in flight, queued or dropped.
      expect(a.published - before.adapter.published + a.inflight + a.queued + a.dropped).toBe(COUNT);
      expect(during.errors.ERR_REDIS_PUBLISH_DROPPED).toBe(1); // reported once, not 18,000 times
      expect(during.rss - before.rss).toBeLessThan(64 * 1024 * 1024);
      // Local delivery did not wait for Redis.
      await eventually(() => expect(tally(sender.ticks, ['p'], COUNT)).toEqual({ lost: 0, duplicated: 0, foreign: 0 }));
      redis.resume();
      await eventually(async () => {
        const after = ((await sender.client.request('stats', undefined)) as NodeStats).adapter;
        expect(after.queued + after.inflight).toBe(0);
      }, 10_000);
      // What was not dropped arrives, once, in order; then the cluster works as before.
      const arrived = () => remote.ticks.filter((t) => t.startsWith('p:'));
      await eventually(() => expect(arrived().length).toBe(COUNT - a.dropped), 10_000);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const got = arrived();
      expect(tally(got, ['p'], COUNT).duplicated).toBe(0);
      expect(got.length).toBe(COUNT - a.dropped);
      const order = got.map((t) => Number(t.slice(2)));
      expect(order).toEqual([...order].sort((x, y) => x - y));
      await sender.client.request('burst', { room: 'lobby', count: 10, from: 'after' });
      await eventually(() => expect(remote.ticks.filter((t) => t.startsWith('after:')).length).toBe(10));
      await eventually(async () => expect(await remote.client.request('count', undefined)).toBe(2), 10_000);
      for (const node of [n0!, n1!]) expect(node.stderr()).not.toMatch(/UNHANDLED/);
    } finally {
      redis.resume();
      await redis.stop();
    }
  });
});
