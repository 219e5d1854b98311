import { describe, expect, it } from 'vitest';
import { BACKOFF_DEFAULTS, attemptAfterUptime, backoffCeiling, backoffDelay, backoffPolicy, restartDelay } from '../../../src/backoff.js';

describe('backoff policy', () => {
  const policy = backoffPolicy();

  it('has the documented defaults', () => {
    expect(BACKOFF_DEFAULTS).toEqual({ minDelay: 500, maxDelay: 30_000, factor: 2, maxRetries: Infinity, resetAfter: 5_000, restartWindow: 15_000 });
    expect(Object.isFrozen(BACKOFF_DEFAULTS)).toBe(true);
  });

  it('grows the ceiling by factor per attempt up to maxDelay', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 10].map((a) => backoffCeiling(policy, a))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });

  it('full jitter: random 0 gives minDelay, random → 1 approaches the ceiling', () => {
    for (let attempt = 0; attempt < 12; attempt++) {
      expect(backoffDelay(policy, attempt, () => 0)).toBe(500);
      const top = backoffDelay(policy, attempt, () => 0.999_999)!;
      expect(top).toBeLessThan(backoffCeiling(policy, attempt));
      expect(top).toBeGreaterThan(backoffCeiling(policy, attempt) - 1);
    }
    expect(backoffDelay(policy, 2, () => 0.5)).toBe(500 + 0.5 * 3500);
  });

  it('stays within [minDelay, maxDelay] for any random value and attempt', () => {
    let seed = 42;
    const random = (): number => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    for (let attempt = 0; attempt < 200; attempt++) {
      const d = backoffDelay(policy, attempt, random)!;
      expect(d).toBeGreaterThanOrEqual(500);
      expect(d).toBeLessThanOrEqual(30_000);
    }
  });

  it('stops after maxRetries', () => {
    const limited = backoffPolicy({ maxRetries: 3 });
    expect([0, 1, 2, 3, 4].map((a) => backoffDelay(limited, a, () => 0))).toEqual([500, 500, 500, undefined, undefined]);
    expect(backoffDelay(policy, 1e6, () => 0)).toBe(500); // Infinity: never gives up
  });

  it('resets the attempt count only after the link stayed up resetAfter ms', () => {
    expect(attemptAfterUptime(policy, 7, 4_999)).toBe(7);
    expect(attemptAfterUptime(policy, 7, 5_000)).toBe(0);
  });

  it('spreads restart hints over [minDelay, restartWindow]', () => {
    expect(restartDelay(policy, () => 0)).toBe(500);
    expect(restartDelay(policy, () => 0.5)).toBe(500 + 0.5 * 14_500);
    expect(restartDelay(backoffPolicy({ restartWindow: 100 }), () => 0.9)).toBe(500);
  });
});
