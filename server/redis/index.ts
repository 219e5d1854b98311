/**
 * `tandem/redis`: rooms, broadcast and membership across several Tandem nodes through Redis.
 *
 * ```ts
 * import { createServer } from 'tandem/server';
 * import { redisAdapter } from 'tandem/redis';
 * const server = createServer({ port: 8080, adapter: redisAdapter({ url: 'redis://10.0.0.5:6379' }) });
 * ```
 *
 * The adapter brings its session store (`adapter.sessionStore`), which the server uses unless
 * `resume.store` is given: a client resumes its session on any node, also after its node died.
 *
 * Needs `redis` (node-redis v5 or v6) installed next to `tandem`; see docs/cluster.md.
 */
import type { AdapterFactory } from '../typed/adapter.js';
import { resolveRedisOptions } from './options.js';
import type { RedisAdapterOptions } from './options.js';
import { RedisAdapter } from './redis-adapter.js';

/**
 * An adapter factory for `createServer({ adapter })`. Options are checked here (a bad value
 * throws a `TypeError`); the connections open when the server creates the adapter, in the
 * background, and reconnect by themselves — a Redis that is down at start is an `'error'`
 * event and local-only delivery until it comes up, not a failed start.
 */
export function redisAdapter(options: RedisAdapterOptions = {}): AdapterFactory {
  const resolved = resolveRedisOptions(options);
  return (host) => new RedisAdapter(host, resolved);
}

export { RedisAdapter } from './redis-adapter.js';
export type { RedisAdapterStats } from './redis-adapter.js';
export { REDIS_ADAPTER_DEFAULTS } from './options.js';
export type { AnyRedisClient, RedisAdapterOptions } from './options.js';
export { RedisAdapterError, RedisErrorCodes } from './errors.js';
export type { RedisErrorCode } from './errors.js';
export { RedisKeys } from './keys.js';
export { RedisSessionStore } from './redis-session-store.js';
export type { LogPosition } from './cluster-message.js';
