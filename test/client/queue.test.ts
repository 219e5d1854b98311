import { describe, expect, it } from 'vitest';
import { OfflineQueue, QueueFullError } from '../../client/queue.js';

describe('OfflineQueue', () => {
  it('keeps order, refuses overflow with QueueFullError, requeues held items in front', () => {
    const q = new OfflineQueue<number>(3);
    q.push(1);
    q.push(2);
    q.push(3);
    let err: unknown;
    try {
      q.push(4);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(QueueFullError);
    expect([(err as QueueFullError).code, (err as Error).message]).toEqual(['ERR_QUEUE_FULL', 'offline queue is full (maxQueued 3)']);
    q.requeue([10, 11]);
    expect(q.size).toBe(5);
    expect(q.drain()).toEqual([10, 11, 1, 2, 3]);
    expect(q.size).toBe(0);
    q.push(5);
    expect(q.drain()).toEqual([5]);
  });
});
