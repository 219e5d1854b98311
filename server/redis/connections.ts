/**
 * The adapter's Redis connections. Three, because their traffic must not wait on each other:
 * `publisher` (broadcasts, in order), `subscriber` (a connection in subscribe mode can do nothing
 * else) and `commands` (membership, heartbeat, queries). Resume across nodes will add a fourth for
 * blocking stream reads, which would stall any connection it shared.
 *
 * Each has an `'error'` listener (node-redis throws from an EventEmitter without one, which would
 * take the process down), reconnects on its own with jittered backoff, and has no offline queue:
 * a command while disconnected fails at once, so nothing grows without bound inside node-redis;
 * the publisher's own bounded queue (publisher.ts) is the only buffer.
 */
import { createClient } from 'redis';
import { backoffDelay, backoffPolicy } from '../../src/backoff.js';
import { RedisAdapterError, RedisErrorCodes } from './errors.js';
import type { AnyRedisClient, ResolvedRedisOptions } from './options.js';

/** The role of a connection. */
export type ConnectionRole = 'publisher' | 'subscriber' | 'commands';

/** Commands waiting for a reply on the commands connection before new ones fail at once. */
const COMMANDS_QUEUE_MAX = 10_000;

/** Callbacks of {@link RedisConnections}. */
export interface ConnectionEvents {
  /** A connection (re)connected and is ready for commands. */
  ready(role: ConnectionRole): void;
  /** A failure to report (once per outage per connection, not once per retry). */
  report(error: RedisAdapterError): void;
}

/** The three connections of one adapter. */
export class RedisConnections {
  readonly publisher: AnyRedisClient;
  readonly subscriber: AnyRedisClient;
  readonly commands: AnyRedisClient;
  /** Connection failures seen (every retry counts). */
  errors = 0;
  readonly #down = new Set<ConnectionRole>();
  #closed = false;

  constructor(options: ResolvedRedisOptions, events: ConnectionEvents) {
    const policy = backoffPolicy(options.reconnect);
    const socket = { reconnectStrategy: (retries: number) => backoffDelay(policy, retries, Math.random) ?? policy.maxDelay };
    const make = (role: ConnectionRole, overrides: Record<string, unknown>): AnyRedisClient => {
      const base = { name: `tandem-${role}`, socket, ...overrides };
      const client = (options.client ? options.client.duplicate(base as never) : createClient({ url: options.url, ...base } as never)) as AnyRedisClient;
      this.#watch(client, role, events);
      return client;
    };
    this.publisher = make('publisher', { disableOfflineQueue: true });
    this.commands = make('commands', { disableOfflineQueue: true, commandsQueueMaxLength: COMMANDS_QUEUE_MAX });
    // The subscriber keeps node-redis's resubscribe-on-reconnect; it sends nothing else.
    this.subscriber = make('subscriber', {});
  }

  /** True while all three connections are up. */
  get ready(): boolean {
    return this.publisher.isReady && this.subscriber.isReady && this.commands.isReady;
  }

  /** Connect all three in the background; retries go on until {@link RedisConnections.close}. */
  start(): void {
    for (const client of [this.publisher, this.subscriber, this.commands]) {
      // connect() settles only once connected or closed; a rejection after close() is expected.
      client.connect().catch(() => undefined);
    }
  }

  /** Close every connection: politely when it is up, at once when it is not. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(
      [this.publisher, this.subscriber, this.commands].map(async (client) => {
        if (!client.isOpen) return;
        if (!client.isReady) return void client.destroy();
        try {
          await client.close();
        } catch {
          client.destroy();
        }
      }),
    );
  }

  #watch(client: AnyRedisClient, role: ConnectionRole, events: ConnectionEvents): void {
    client.on('error', (err: unknown) => {
      this.errors += 1;
      if (this.#closed || this.#down.has(role)) return;
      this.#down.add(role);
      const detail = err instanceof Error ? err.message : String(err);
      events.report(new RedisAdapterError(RedisErrorCodes.Unavailable, `redis ${role} connection failed (reconnecting): ${detail}`, { cause: err }));
    });
    client.on('ready', () => {
      this.#down.delete(role);
      if (!this.#closed) events.ready(role);
    });
  }
}
