import { describe, expect, it } from 'vitest';
import { backpressurePolicy, beforeWrite, isSlowConsumer, slowConsumerError, slowConsumerReason } from '../../../server/typed/backpressure.js';
import { TandemError } from '../../../src/errors.js';

describe('backpressure policy', () => {
  it('defaults: 1 MiB mark, close policy, hard cap 4 × mark', () => {
    expect(backpressurePolicy()).toEqual({ highWaterMark: 1_048_576, policy: 'close', maxBufferedBytes: 4_194_304 });
  });

  it('rejects nonsense limits', () => {
    expect(() => backpressurePolicy({ highWaterMark: 0 })).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARGUMENT' }));
    expect(() => backpressurePolicy({ highWaterMark: 10, maxBufferedBytes: 5 })).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARGUMENT' }));
  });

  it('volatile messages are dropped from the mark on, others are written', () => {
    const policy = backpressurePolicy({ highWaterMark: 100 });
    expect(beforeWrite(policy, 99, true)).toBe('write');
    expect(beforeWrite(policy, 100, true)).toBe('drop');
    expect(beforeWrite(policy, 10_000, false)).toBe('write');
  });

  it('close: slow past the mark; drop-volatile: slow only past the hard cap', () => {
    const close = backpressurePolicy({ highWaterMark: 100 });
    expect(isSlowConsumer(close, 100)).toBe(false);
    expect(isSlowConsumer(close, 101)).toBe(true);
    const drop = backpressurePolicy({ highWaterMark: 100, policy: 'drop-volatile', maxBufferedBytes: 300 });
    expect(isSlowConsumer(drop, 300)).toBe(false);
    expect(isSlowConsumer(drop, 301)).toBe(true);
    expect(slowConsumerReason(12345)).toBe('slow consumer: 12345 bytes buffered');
  });

  it('the slow-consumer report is a TandemError ERR_SLOW_CONSUMER carrying the close reason', () => {
    const error = slowConsumerError(70_000);
    expect(error).toBeInstanceOf(TandemError);
    expect(error).toMatchObject({ name: 'TandemError', code: 'ERR_SLOW_CONSUMER', message: 'slow consumer: 70000 bytes buffered' });
  });
});
