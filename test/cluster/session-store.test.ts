// The Redis session store against a real redis-server, two "nodes" (adapters with their stores)
// on one prefix: a session written when it changes, its log keeping what the client has not
// acknowledged (with seqs), a take-over that re-sends exactly what follows the ack and fences the
// old node off, the catch-up from the room log after the old node's position, and every way
// history can be lost refusing with a reason instead of resuming over a gap.
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisAdapter } from '../../server/redis/index.js';
import type { RedisAdapter } from '../../server/redis/redis-adapter.js';
import type { RedisSessionStore } from '../../server/redis/redis-session-store.js';
import { RedisKeys } from '../../server/redis/keys.js';
import type { Adoption, SessionRecord } from '../../server/typed/session/session-store.js';
import { systemScheduler } from '../../src/scheduler.js';
import { eventually, recordingHost, target, type Delivery } from '../helpers/adapter-conformance.js';
import { RedisServer } from '../helpers/redis-server.js';

let redis: RedisServer;
let client: ReturnType<typeof createClient>;
beforeAll(async () => {
  redis = await RedisServer.start();
  client = createClient({ url: redis.url });
  client.on('error', () => undefined);
  await client.connect();
});
afterAll(async () => {
  client.destroy();
  await redis.stop();
});

async function node(prefix: string, nodeId: string) {
  const delivered: Delivery[] = [];
  const reported: unknown[] = [];
  const moved: string[] = [];
  const persisted: Array<[string, number]> = [];
  const adapter = redisAdapter({ url: redis.url, prefix, nodeId, reconnect: { minDelay: 50, maxDelay: 200 } })({ ...recordingHost(delivered), report: (e) => reported.push(e) }) as RedisAdapter;
  const store = adapter.sessionStore!({
    scheduler: systemScheduler,
    window: 10_000,
    maxEnded: 100,
    maxBuffered: 500,
    moved: (sid) => moved.push(sid),
    persisted: (sid, seq) => persisted.push([sid, seq]),
  }) as RedisSessionStore;
  await eventually(() => expect(adapter.stats().connected).toBe(true));
  const close = async () => {
    await store.close();
    await adapter.close();
  };
  return { adapter, store, delivered, reported, moved, persisted, close };
}

const record = (sid: string, rooms: string[] = []): SessionRecord => ({
  sid,
  identity: { user: 'u' },
  data: { n: 1 },
  rooms,
  positions: { sent: 0, acknowledged: 0, received: 0 },
  state: 'attached',
  suspendedAt: undefined,
  peerId: 'peer-a',
});

const adopted = (adoption: Adoption) => {
  if (adoption.kind !== 'adopted') throw new Error(`refused: ${adoption.reason}`);
  return adoption.session;
};

describe('Redis session store', () => {
  it('writes a session as it changes; its log keeps the unacknowledged envelopes (+64) with their seqs; another node takes it over exactly after the ack and fences the old one off', async () => {
    const [a, b] = await Promise.all([node('s1', 'A'), node('s1', 'B')]);
    const keys = new RedisKeys('s1');
    try {
      a.store.create(record('S1', ['room1']));
      for (let seq = 1; seq <= 100; seq++) a.store.append('S1', seq, () => `{"seq":${seq}}`, undefined);
      // Write-ahead: the server hears when Redis has them.
      await eventually(() => expect(a.persisted).toContainEqual(['S1', 100]));
      a.store.update('S1', { positions: { sent: 100, acknowledged: 90, received: 7 }, data: { n: 2 } });
      await eventually(async () => expect(await client.hGet(keys.session('S1'), 'received')).toBe('7'));
      const lookup = await b.store.get('S1');
      expect(lookup).toMatchObject({ kind: 'found', record: { identity: { user: 'u' }, data: { n: 2 }, rooms: ['room1'], positions: { sent: 100, acknowledged: 90, received: 7 }, peerId: 'peer-a' } });
      // Trimmed as the client acknowledges: 90 - 64 + 1 = 27 … 100.
      const log = await client.xRange(keys.sessionLog('S1'), '-', '+');
      expect([log.length, log[0]!.id, log.at(-1)!.id]).toEqual([74, '27-0', '100-0']);

      const session = adopted(await b.store.adopt('S1', 95));
      expect(session.replay).toEqual([96, 97, 98, 99, 100].map((seq) => `{"seq":${seq}}`));
      expect(await client.hGet(keys.session('S1'), 'owner')).toBe('B');
      // The old node's next write is refused: it hears that the session moved, and wrote nothing.
      a.store.update('S1', { data: { n: 3 } });
      await eventually(() => expect(a.moved).toEqual(['S1']));
      expect(await client.hGet(keys.session('S1'), 'data')).toBe('{"v":{"n":2}}');
      // A client that got more than Redis knows it sent (ack beyond `sent`) needs nothing re-sent.
      expect(adopted(await b.store.adopt('S1', 100)).replay).toEqual([]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('a hole in the log refuses (overflow), a record Redis lost refuses (restart), ended sessions are remembered for the window', async () => {
    const [a, b] = await Promise.all([node('s2', 'A'), node('s2', 'B')]);
    const keys = new RedisKeys('s2');
    try {
      a.store.create(record('S2'));
      a.store.append('S2', 1, () => '{"seq":1}', undefined);
      await eventually(() => expect(a.persisted).toContainEqual(['S2', 1]));
      a.store.append('S2', 3, () => '{"seq":3}', undefined); // seq 2 never reached Redis
      await eventually(() => expect(a.persisted).toContainEqual(['S2', 3]));
      expect(await b.store.adopt('S2', 0)).toEqual({ kind: 'refused', reason: 'overflow' });

      a.store.create(record('S3'));
      await eventually(async () => expect(await client.exists(keys.session('S3'))).toBe(1));
      await client.del(keys.session('S3')); // as after a restart without persistence
      a.store.update('S3', { data: { n: 9 } });
      await eventually(async () => expect(await client.hGet(keys.session('S3'), 'lost')).toBe('1'));
      expect(await b.store.adopt('S3', 0)).toEqual({ kind: 'refused', reason: 'restart' });

      a.store.create(record('S4'));
      a.store.create(record('S5'));
      await a.store.end('S4', 'expired');
      await a.store.end('S5', 'left');
      expect(await b.store.get('S4')).toEqual({ kind: 'ended', reason: 'expired' });
      expect(await b.store.get('S5')).toEqual({ kind: 'missing' });
      expect(await client.pTTL(keys.sessionEnded('S4'))).toBeGreaterThan(9_000);
      expect(a.reported).toEqual([]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("catches up on the room log after the old node's position: not what the session has, was excluded from, or volatile; a changed epoch refuses (restart)", async () => {
    const [a, b] = await Promise.all([node('s3', 'A'), node('s3', 'B')]);
    const keys = new RedisKeys('s3');
    const msg = (n: number, volatile = false) => ({ data: `{"n":${n}}`, volatile });
    try {
      a.adapter.addPeer('peer-a');
      a.adapter.join('peer-a', 'lobby');
      a.store.create(record('S6', ['lobby']));
      for (let n = 0; n < 3; n++) b.adapter.broadcast(msg(n), target({ rooms: ['lobby'] }));
      await eventually(() => expect(a.delivered.length).toBe(3));
      a.store.update('S6', { positions: { sent: 0, acknowledged: 0, received: 0 } }); // the position moves with any write
      await eventually(async () => expect(await client.hGet(keys.session('S6'), 'pos:lobby')).toMatch(/ \d+-\d+$/));
      // Node A dies here. Published meanwhile:
      b.adapter.broadcast(msg(3), target({ rooms: ['lobby'] }));
      b.adapter.broadcast(msg(4), target({ rooms: ['lobby'], exceptPeers: ['peer-a'] }));
      b.adapter.broadcast(msg(5, true), target({ rooms: ['lobby'] }));
      b.adapter.broadcast(msg(6), target({ rooms: ['lobby', 'other'] }));
      await eventually(async () => expect(await client.xLen(keys.roomLog('lobby'))).toBe(7));
      const session = adopted(await b.store.adopt('S6', 0));
      expect(session.catchUp.map((c) => String(c.message.data))).toEqual(['{"n":3}', '{"n":6}']);
      b.adapter.broadcast(msg(7), target({ rooms: ['lobby'] }));
      expect((await session.topUp()).map((c) => String(c.message.data))).toEqual(['{"n":7}']);

      a.store.create(record('S7', ['lobby']));
      await eventually(async () => expect(await client.hGet(keys.session('S7'), 'pos:lobby')).toBeTruthy());
      await client.del([keys.roomLog('lobby'), keys.roomEpoch('lobby')]); // the log's history lost
      b.adapter.broadcast(msg(8), target({ rooms: ['lobby'] }));
      await eventually(async () => expect(await client.xLen(keys.roomLog('lobby'))).toBe(1));
      expect(await b.store.adopt('S7', 0)).toEqual({ kind: 'refused', reason: 'restart' });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
