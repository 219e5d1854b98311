// The adapter behaviour suite on three Redis adapters in one process, sharing one redis-server
// (a fresh key prefix per test, so tests cannot see each other's state).
import { afterAll, beforeAll, describe } from 'vitest';
import { redisAdapter } from '../../server/redis/index.js';
import type { RedisAdapter } from '../../server/redis/redis-adapter.js';
import { adapterConformance, eventually, recordingHost, type ConformanceNode, type Delivery } from '../helpers/adapter-conformance.js';
import { RedisServer } from '../helpers/redis-server.js';

let redis: RedisServer;
let run = 0;
beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(() => redis.stop());

describe('Adapter conformance: RedisAdapter × 3 nodes', () => {
  adapterConformance(
    async () => {
      const prefix = `conf${run++}`;
      const nodes: ConformanceNode[] = [];
      for (let i = 0; i < 3; i++) {
        const delivered: Delivery[] = [];
        const adapter = redisAdapter({ url: redis.url, prefix })(recordingHost(delivered)) as RedisAdapter;
        nodes.push({ adapter, delivered });
      }
      await eventually(() => {
        for (const node of nodes) if (!(node.adapter as RedisAdapter).stats().connected) throw new Error('not connected yet');
      });
      return { nodes, close: async () => void (await Promise.all(nodes.map((n) => n.adapter.close()))) };
    },
    // Long enough for a duplicate to show up if one were coming.
    () => new Promise((resolve) => setTimeout(resolve, 150)),
  );
});
