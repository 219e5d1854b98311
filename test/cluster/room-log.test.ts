// Per-room logs (what resume across nodes will replay from): every room broadcast is appended to
// its room's stream, bounded and expiring, and published with its [room, epoch, offset]; the
// epoch changes when Redis lost the log. Also: garbage on the channel is reported, not fatal.
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisAdapter } from '../../server/redis/index.js';
import type { RedisAdapter } from '../../server/redis/redis-adapter.js';
import { decodeClusterMessage, type ClusterMessage } from '../../server/redis/cluster-message.js';
import { RedisKeys } from '../../server/redis/keys.js';
import { eventually, recordingHost, target, type Delivery } from '../helpers/adapter-conformance.js';
import { RedisServer } from '../helpers/redis-server.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(() => redis.stop());

async function setup(prefix: string, history: { maxLength: number; ttl: number } | false) {
  const reported: unknown[] = [];
  const delivered: Delivery[] = [];
  const adapter = redisAdapter({ url: redis.url, prefix, history, reconnect: { minDelay: 50, maxDelay: 200 } })({ ...recordingHost(delivered), report: (e) => reported.push(e) }) as RedisAdapter;
  const seen: ClusterMessage[] = [];
  const client = createClient({ url: redis.url, socket: { reconnectStrategy: () => 50 } });
  client.on('error', () => undefined);
  await client.connect();
  const subscriber = client.duplicate();
  subscriber.on('error', () => undefined);
  await subscriber.connect();
  await subscriber.subscribe(new RedisKeys(prefix).channel, (m: Buffer) => void seen.push(decodeClusterMessage(m)), true);
  await eventually(() => expect(adapter.stats().connected).toBe(true));
  const close = async () => {
    await adapter.close();
    client.destroy();
    subscriber.destroy();
  };
  return { adapter, client, seen, reported, delivered, keys: new RedisKeys(prefix), close };
}

const msg = (n: number) => ({ data: `{"n":${n}}`, volatile: false });

describe('per-room logs', () => {
  it('each room broadcast gets a position per room (epoch + offset = its stream entry), bounded and expiring', async () => {
    const { adapter, client, seen, keys, close } = await setup('log1', { maxLength: 50, ttl: 5_000 });
    try {
      for (let n = 0; n < 3; n++) adapter.broadcast(msg(n), target({ rooms: ['r1', 'r2'] }));
      adapter.broadcast(msg(99), target()); // to everyone: no room, no log (phase 2: its own stream)
      await eventually(() => expect(seen.length).toBe(4));
      const logged = seen.slice(0, 3);
      const ids = (await client.xRange(keys.roomLog('r1'), '-', '+')).map((e) => e.id);
      expect(logged.map((m) => m.positions.find((p) => p.room === 'r1')!.offset)).toEqual(ids);
      expect(logged.every((m) => m.positions.map((p) => p.room).join() === 'r1,r2')).toBe(true);
      const epochs = new Set(logged.map((m) => m.positions[0]!.epoch));
      expect(epochs.size).toBe(1);
      expect(await client.get(keys.roomEpoch('r1'))).toBe([...epochs][0]);
      expect(seen[3]!.positions).toEqual([]);
      // The stored entry is the cluster message (audience and body), ready to be replayed.
      const [entry] = await client.xRange(keys.roomLog('r2'), '-', '+', { COUNT: 1 });
      expect(Buffer.from(String(entry!.message.m), 'latin1').length).toBeGreaterThan(0);
      for (let n = 0; n < 400; n++) adapter.broadcast(msg(n), target({ rooms: ['r1'] }));
      await eventually(() => expect(seen.length).toBe(404));
      const length = await client.xLen(keys.roomLog('r1'));
      expect(length).toBeGreaterThanOrEqual(50);
      expect(length).toBeLessThan(250); // MAXLEN ~ trims whole macro nodes: about 50, never 403
      const ttl = await client.pTTL(keys.roomLog('r1'));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(5_000);
    } finally {
      await close();
    }
  });

  it('the epoch changes when Redis lost the log (restart without persistence)', async () => {
    const { adapter, seen, close } = await setup('log2', { maxLength: 100, ttl: 60_000 });
    try {
      adapter.broadcast(msg(1), target({ rooms: ['r'] }));
      await eventually(() => expect(seen.length).toBe(1));
      const before = seen[0]!.positions[0]!;
      await redis.restart();
      await eventually(() => expect(adapter.stats().connected).toBe(true), 10_000);
      await eventually(async () => {
        adapter.broadcast(msg(2), target({ rooms: ['r'] }));
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(seen.length).toBeGreaterThan(1);
      }, 10_000);
      const after = seen[seen.length - 1]!.positions[0]!;
      expect(after.room).toBe('r');
      expect(after.epoch).not.toBe(before.epoch);
    } finally {
      await close();
    }
  });

  it('history: false publishes without logs or positions', async () => {
    const { adapter, client, seen, keys, close } = await setup('log3', false);
    try {
      adapter.broadcast(msg(1), target({ rooms: ['r'] }));
      await eventually(() => expect(seen.length).toBe(1));
      expect(seen[0]!.positions).toEqual([]);
      expect(await client.exists([keys.roomLog('r'), keys.roomEpoch('r')])).toBe(0);
    } finally {
      await close();
    }
  });

  it('garbage on the cluster channel is counted and reported, never delivered, never fatal', async () => {
    const { adapter, client, keys, reported, delivered, close } = await setup('log4', false);
    try {
      adapter.addPeer('p');
      await client.publish(keys.channel, Buffer.from([0, 0, 0, 9, 1, 2]));
      await client.publish(keys.channel, 'not a cluster message at all');
      await eventually(() => expect(adapter.stats().invalid).toBe(2));
      expect(reported.map((e) => (e as { code: string }).code)).toEqual(['ERR_INVALID_CLUSTER_MESSAGE', 'ERR_INVALID_CLUSTER_MESSAGE']);
      expect(delivered).toEqual([]);
    } finally {
      await close();
    }
  });
});
