import { ErrorCodes, TandemError } from '../src/errors.js';

/** The offline queue is full: the message was NOT queued. */
export class QueueFullError extends TandemError {
  constructor(maxQueued: number) {
    super(ErrorCodes.QueueFull, `offline queue is full (maxQueued ${maxQueued})`);
  }
}

/**
 * Messages sent while the client is not open, in order. Bounded: overflow is an error to the
 * caller, never a silent drop. Flushed (in order) on the next open before anything sent later.
 */
export class OfflineQueue<T> {
  readonly #maxQueued: number;
  #items: T[] = [];

  constructor(maxQueued: number) {
    this.#maxQueued = maxQueued;
  }

  /** Number of queued messages. */
  get size(): number {
    return this.#items.length;
  }

  /** Appends `item`; throws {@link QueueFullError} when `maxQueued` are waiting. */
  push(item: T): void {
    if (this.#items.length >= this.#maxQueued) throw new QueueFullError(this.#maxQueued);
    this.#items.push(item);
  }

  /**
   * Puts `items` back in front (requests held across a disconnect: they were sent before
   * anything queued since). Not bounded: they had been accepted already.
   */
  requeue(items: readonly T[]): void {
    if (items.length > 0) this.#items = [...items, ...this.#items];
  }

  /** Takes everything, oldest first, leaving the queue empty. */
  drain(): T[] {
    const items = this.#items;
    this.#items = [];
    return items;
  }
}
