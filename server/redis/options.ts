/**
 * Options of `redisAdapter()`, their defaults, and their validation (a wrong value is a
 * `TypeError` at `redisAdapter()` time, not a surprise at the first outage).
 */
import type { RedisClientType } from 'redis';
import type { BackoffPolicy } from '../../src/backoff.js';

/** Any node-redis client (v5/v6, RESP2 or RESP3): only used as a template, see `client`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRedisClient = RedisClientType<any, any, any, any, any>;

/** Options of {@link redisAdapter}. */
export interface RedisAdapterOptions {
  /** Redis URL (`redis://host:port/db`, `rediss://…` for TLS). Ignored when `client` is given. @default 'redis://127.0.0.1:6379' */
  readonly url?: string;
  /**
   * An existing node-redis client, used as a template: the adapter opens its own connections
   * with `client.duplicate()` (publishing, subscribing and commands each need their own), owns
   * them, and closes them in `server.close()`. The client itself is left untouched.
   */
  readonly client?: AnyRedisClient;
  /** Prefix of every key and channel; nodes of one cluster share it, two clusters on one Redis don't. @default 'tandem' */
  readonly prefix?: string;
  /** This node's id in Redis. @default a random UUID */
  readonly nodeId?: string;
  /**
   * Node liveness: every `interval` the node refreshes its heartbeat key (TTL `timeout`) and
   * removes nodes whose key expired, with their peers. @default { interval: 5000, timeout: 15000 }
   */
  readonly heartbeat?: { readonly interval?: number; readonly timeout?: number };
  /**
   * Cluster messages waiting for Redis (unreachable, or not answering) beyond `maxInflight`: up
   * to this many are queued, then new ones are dropped and counted. @default 10000
   */
  readonly maxQueued?: number;
  /** The same bound in bytes. @default 16777216 (16 MiB) */
  readonly maxQueuedBytes?: number;
  /** Publishes sent to Redis and not yet answered; past it, messages queue. @default 1024 */
  readonly maxInflight?: number;
  /**
   * Per-room logs: every broadcast to a room is appended (XADD) to the room's stream, trimmed to
   * about `maxLength` entries and expiring `ttl` ms after the last one, and published with its
   * position (epoch + offset) — what resume across nodes replays from. `false`: pub/sub only.
   * @default { maxLength: 1000, ttl: 120000 }
   */
  readonly history?: { readonly maxLength?: number; readonly ttl?: number } | false;
  /** Reconnect backoff of the Redis connections (full jitter). @default { minDelay: 100, maxDelay: 5000, factor: 2 } */
  readonly reconnect?: Partial<Pick<BackoffPolicy, 'minDelay' | 'maxDelay' | 'factor'>>;
  /** How long `server.close()` waits for Redis to take this node's goodbye. @default 2000 */
  readonly closeTimeout?: number;
}

/** Every default of {@link RedisAdapterOptions}. */
export const REDIS_ADAPTER_DEFAULTS = Object.freeze({
  url: 'redis://127.0.0.1:6379',
  prefix: 'tandem',
  heartbeatInterval: 5_000,
  heartbeatTimeout: 15_000,
  maxQueued: 10_000,
  maxQueuedBytes: 16 * 1024 * 1024,
  maxInflight: 1024,
  historyMaxLength: 1_000,
  historyTtl: 120_000,
  reconnect: Object.freeze({ minDelay: 100, maxDelay: 5_000, factor: 2 }),
  closeTimeout: 2_000,
});

/** Options with every default applied. */
export interface ResolvedRedisOptions {
  readonly url: string;
  readonly client: AnyRedisClient | undefined;
  readonly prefix: string;
  readonly nodeId: string | undefined;
  readonly heartbeatInterval: number;
  readonly heartbeatTimeout: number;
  readonly maxQueued: number;
  readonly maxQueuedBytes: number;
  readonly maxInflight: number;
  readonly history: { readonly maxLength: number; readonly ttl: number } | false;
  readonly reconnect: { readonly minDelay: number; readonly maxDelay: number; readonly factor: number };
  readonly closeTimeout: number;
}

/** Apply defaults and check every number; throws `TypeError` on a bad value. */
export function resolveRedisOptions(options: RedisAdapterOptions): ResolvedRedisOptions {
  const d = REDIS_ADAPTER_DEFAULTS;
  const history = options.history === false ? false : { maxLength: options.history?.maxLength ?? d.historyMaxLength, ttl: options.history?.ttl ?? d.historyTtl };
  const resolved: ResolvedRedisOptions = {
    url: options.url ?? d.url,
    client: options.client,
    prefix: options.prefix ?? d.prefix,
    nodeId: options.nodeId,
    heartbeatInterval: options.heartbeat?.interval ?? d.heartbeatInterval,
    heartbeatTimeout: options.heartbeat?.timeout ?? d.heartbeatTimeout,
    maxQueued: options.maxQueued ?? d.maxQueued,
    maxQueuedBytes: options.maxQueuedBytes ?? d.maxQueuedBytes,
    maxInflight: options.maxInflight ?? d.maxInflight,
    history,
    reconnect: { ...d.reconnect, ...options.reconnect },
    closeTimeout: options.closeTimeout ?? d.closeTimeout,
  };
  const positive: Array<[string, number]> = [
    ['heartbeat.interval', resolved.heartbeatInterval],
    ['heartbeat.timeout', resolved.heartbeatTimeout],
    ['maxInflight', resolved.maxInflight],
    ['reconnect.minDelay', resolved.reconnect.minDelay],
    ['reconnect.maxDelay', resolved.reconnect.maxDelay],
    ['reconnect.factor', resolved.reconnect.factor],
    ['closeTimeout', resolved.closeTimeout],
  ];
  if (history) positive.push(['history.maxLength', history.maxLength], ['history.ttl', history.ttl]);
  for (const [name, value] of positive) {
    if (!Number.isFinite(value) || value <= 0) throw new TypeError(`redisAdapter: ${name} must be a positive number, got ${value}`);
  }
  for (const [name, value] of [['maxQueued', resolved.maxQueued], ['maxQueuedBytes', resolved.maxQueuedBytes]] as const) {
    if (!Number.isFinite(value) || value < 0) throw new TypeError(`redisAdapter: ${name} must be a number ≥ 0, got ${value}`);
  }
  if (resolved.heartbeatTimeout <= resolved.heartbeatInterval) {
    throw new TypeError('redisAdapter: heartbeat.timeout must be longer than heartbeat.interval');
  }
  if (typeof resolved.prefix !== 'string' || resolved.prefix === '') throw new TypeError('redisAdapter: prefix must be a non-empty string');
  return resolved;
}
