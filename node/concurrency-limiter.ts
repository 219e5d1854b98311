/**
 * A FIFO limit on asynchronous jobs in flight, shared by every permessage-deflate connection of
 * a server so thousands of peers compressing at once queue up instead of exhausting libuv's
 * thread pool (4 threads by default) and memory.
 */
import { ErrorCodes, TandemError } from '../src/errors.js';

/** Defaults of {@link ConcurrencyLimiter}. */
export const LIMITER_DEFAULTS = Object.freeze({
  /** @default 10 */
  limit: 10,
});

/** Runs at most `limit` async jobs at once; the rest wait in FIFO order. */
export class ConcurrencyLimiter {
  readonly limit: number;
  private running = 0;
  private queue: ((() => void) | undefined)[] = [];
  private head = 0;
  // Bound once: settling a job must not allocate two closures per call on the hot path.
  private readonly onSettled = (): void => this.next();

  /** @throws {TandemError} `ERR_INVALID_ARGUMENT` unless `limit` is an integer 1-1,000,000. */
  constructor(limit: number = LIMITER_DEFAULTS.limit) {
    if (!Number.isInteger(limit) || limit < 1 || limit > 1_000_000) {
      throw new TandemError(ErrorCodes.InvalidArgument, `perMessageDeflate.concurrency must be an integer 1-1000000, got ${String(limit)}`);
    }
    this.limit = limit;
  }

  /** Jobs running now. */
  get active(): number {
    return this.running;
  }

  /** Jobs waiting for a slot. */
  get pending(): number {
    return this.queue.length - this.head;
  }

  /** Runs `job` as soon as a slot is free; settles as the job does. */
  run<T>(job: () => Promise<T>): Promise<T> {
    // Fast path: a free slot runs the job now, with no waiter closure and no queue entry.
    if (this.running < this.limit) return this.start(job);
    return new Promise<T>((resolve, reject) => {
      this.queue.push(() => void this.start(job).then(resolve, reject));
    });
  }

  private start<T>(job: () => Promise<T>): Promise<T> {
    this.running++;
    let result: Promise<T>;
    try {
      result = job();
    } catch (err) {
      result = Promise.reject(err);
    }
    // The slot is freed when the job settles; `then` on the result (not `finally`, which
    // allocates a promise per handler) keeps the job's value or error for the caller.
    result.then(this.onSettled, this.onSettled);
    return result;
  }

  private next(): void {
    this.running--;
    if (this.head === this.queue.length) return;
    const waiter = this.queue[this.head];
    this.queue[this.head++] = undefined;
    // Compact now and then so a long-lived queue does not grow without bound.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    waiter?.();
  }
}
