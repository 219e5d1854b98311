/**
 * Publishing cluster messages, bounded. While Redis answers, a message goes out at once (at most
 * `maxInflight` unanswered). While it is unreachable or stalled (a pause, a full socket), messages
 * wait in one FIFO bounded by count and bytes; past the bound the newest are dropped, counted and
 * reported. A node's memory therefore never grows with an outage's length, and order is kept:
 * everything from this node reaches the other nodes in the order it was published.
 *
 * A message appended to room logs goes through the publish script (log offsets and publish in
 * one step); others through PUBLISH.
 */
import { randomBytes } from 'node:crypto';
import { RedisAdapterError, RedisErrorCodes } from './errors.js';
import type { RedisKeys } from './keys.js';
import type { AnyRedisClient } from './options.js';
import { PUBLISH_LOGGED, runScript } from './scripts.js';

/** One message waiting to be published. */
interface Outgoing {
  /** The message with an empty positions section (cluster-message.ts). */
  readonly frame: Buffer;
  /** Append to these rooms' logs first (history on, a room broadcast). */
  readonly logRooms: readonly string[] | undefined;
  /** Told the outcome (room changes wait for it; broadcasts don't). */
  readonly settle: ((error: Error | undefined) => void) | undefined;
}

/** Limits and collaborators of a {@link Publisher}. */
export interface PublisherOptions {
  readonly client: AnyRedisClient;
  readonly keys: RedisKeys;
  readonly maxInflight: number;
  readonly maxQueued: number;
  readonly maxQueuedBytes: number;
  readonly history: { readonly maxLength: number; readonly ttl: number } | false;
  readonly report: (error: RedisAdapterError) => void;
}

/** The bounded, ordered publishing side of the adapter. */
export class Publisher {
  published = 0;
  dropped = 0;
  failed = 0;
  readonly #o: PublisherOptions;
  #queue: Outgoing[] = [];
  #head = 0;
  #queuedBytes = 0;
  #inflight = 0;
  /** A drop was reported and the queue has not emptied since: don't report every drop. */
  #dropReported = false;
  // Fresh epochs, unique without a random draw per publish: a log that is (re)created after
  // data loss must never get an epoch it had before.
  readonly #epochBase = randomBytes(8).toString('hex');
  #epochs = 0;
  /** Messages handed to publish() and messages settled (sent and answered, failed or dropped). */
  #issued = 0;
  #settledCount = 0;
  readonly #waiters: Array<{ readonly until: number; readonly resolve: () => void }> = [];
  /**
   * The publish script is in Redis's cache. Loaded on every (re)connect before anything is sent:
   * an EVALSHA that fails with NOSCRIPT and is retried as EVAL would overtake nothing, but a
   * later EVALSHA (after another node loaded the script) would overtake the retry.
   */
  #scriptLoaded = false;

  constructor(options: PublisherOptions) {
    this.#o = options;
  }

  /** Messages waiting (not yet handed to Redis). */
  get queued(): number {
    return this.#queue.length - this.#head;
  }

  /** Bytes of the messages waiting. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** Sent and not yet answered. */
  get inflight(): number {
    return this.#inflight;
  }

  /** Publish `frame` (after `logRooms`' logs, if any); `settle` learns the outcome. */
  publish(frame: Buffer, logRooms?: readonly string[], settle?: (error: Error | undefined) => void): void {
    this.#issued += 1;
    const settled = (error: Error | undefined): void => {
      this.#settledOne();
      settle?.(error);
    };
    const item: Outgoing = { frame, logRooms: this.#o.history && logRooms && logRooms.length > 0 ? logRooms : undefined, settle: settled };
    if (this.queued === 0 && this.#canSend()) return this.#send(item);
    if (this.queued >= this.#o.maxQueued || this.#queuedBytes + frame.length > this.#o.maxQueuedBytes) return this.#drop(item);
    this.#queue.push(item);
    this.#queuedBytes += frame.length;
  }

  /**
   * Resolves once everything published so far has settled (reached Redis, failed or was
   * dropped): a session adopted here then reads the room logs knowing this node's own broadcasts
   * are in them.
   */
  settled(): Promise<void> {
    if (this.#settledCount >= this.#issued) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ until: this.#issued, resolve }));
  }

  #settledOne(): void {
    this.#settledCount += 1;
    while (this.#waiters.length > 0 && this.#waiters[0]!.until <= this.#settledCount) this.#waiters.shift()!.resolve();
  }

  /** The connection is (again) ready: load the script, then send what waits. */
  connected(): void {
    this.#scriptLoaded = false;
    if (!this.#o.history) {
      this.#scriptLoaded = true;
      return this.pump();
    }
    this.#o.client.scriptLoad(PUBLISH_LOGGED.source).then(
      () => {
        this.#scriptLoaded = true;
        this.pump();
      },
      // The connection failed again; its next 'ready' loads the script again.
      () => undefined,
    );
  }

  /** Send what waits, as far as Redis takes it (called on `ready` and after every reply). */
  pump(): void {
    while (this.queued > 0 && this.#canSend()) {
      const item = this.#queue[this.#head]!;
      this.#queue[this.#head++] = undefined as never;
      this.#queuedBytes -= item.frame.length;
      this.#send(item);
    }
    if (this.queued === 0) {
      this.#queue = [];
      this.#head = 0;
      this.#dropReported = false;
    } else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Fail everything still queued (the adapter is closing). */
  clear(error: Error): void {
    const rest = this.#queue.slice(this.#head);
    this.#queue = [];
    this.#head = 0;
    this.#queuedBytes = 0;
    for (const item of rest) item?.settle?.(error);
  }

  #canSend(): boolean {
    return this.#scriptLoaded && this.#o.client.isReady && this.#inflight < this.#o.maxInflight;
  }

  #send(item: Outgoing): void {
    this.#inflight += 1;
    const sent = item.logRooms ? this.#sendLogged(item.frame, item.logRooms) : this.#o.client.publish(this.#o.keys.channel, item.frame);
    sent.then(
      () => {
        this.#inflight -= 1;
        this.published += 1;
        item.settle?.(undefined);
        this.pump();
      },
      (err: unknown) => {
        this.#inflight -= 1;
        this.failed += 1;
        const error = new RedisAdapterError(
          RedisErrorCodes.PublishFailed,
          `publishing a cluster message failed; it may not have reached the other nodes: ${err instanceof Error ? err.message : String(err)}`,
          { cause: err },
        );
        this.#o.report(error);
        item.settle?.(error);
        this.pump();
      },
    );
  }

  #sendLogged(frame: Buffer, rooms: readonly string[]): Promise<unknown> {
    const { keys, history } = this.#o;
    if (!history) throw new Error('unreachable: logged publish without history');
    const keyList: string[] = [];
    for (const room of rooms) keyList.push(keys.roomLog(room), keys.roomEpoch(room));
    const args: Array<string | Buffer> = [keys.channel, String(history.maxLength), String(history.ttl), `${this.#epochBase}.${(this.#epochs++).toString(36)}`, frame.subarray(4), ...rooms];
    return runScript(this.#o.client, PUBLISH_LOGGED, keyList, args);
  }

  #drop(item: Outgoing): void {
    this.dropped += 1;
    const error = new RedisAdapterError(
      RedisErrorCodes.PublishDropped,
      `cluster message dropped: ${this.queued} messages (${this.#queuedBytes} bytes) already wait for Redis`,
    );
    item.settle?.(error);
    if (this.#dropReported) return;
    this.#dropReported = true;
    this.#o.report(error);
  }
}
