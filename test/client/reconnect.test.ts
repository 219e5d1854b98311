import { describe, expect, it } from 'vitest';
import { backoffPolicy } from '../../src/backoff.js';
import { decideReconnect } from '../../client/reconnect.js';

describe('decideReconnect', () => {
  const policy = backoffPolicy();
  it('backs off with full jitter on ordinary closes', () => {
    expect(decideReconnect(policy, 1006, 0, () => 0.5)).toEqual({ kind: 'retry', delay: 750 });
    expect(decideReconnect(policy, 1001, 3, () => 1)).toEqual({ kind: 'retry', delay: 8000 });
    expect(decideReconnect(policy, 4000, 0, () => 0)).toEqual({ kind: 'retry', delay: 500 });
  });
  it('spreads 1012 / 1013 over the restart window', () => {
    expect(decideReconnect(policy, 1012, 0, () => 1)).toEqual({ kind: 'retry', delay: 15_000 });
    expect(decideReconnect(policy, 1013, 9, () => 0)).toEqual({ kind: 'retry', delay: 500 });
  });
  it('stops on do-not-come-back codes (1008, 4400-4499) and when retries run out', () => {
    for (const code of [1008, 4400, 4401, 4403, 4499]) expect(decideReconnect(policy, code, 0, () => 0)).toEqual({ kind: 'stop' });
    expect(decideReconnect(backoffPolicy({ maxRetries: 2 }), 1006, 2, () => 0)).toEqual({ kind: 'stop' });
    expect(decideReconnect(backoffPolicy({ maxRetries: 2 }), 1012, 2, () => 0)).toEqual({ kind: 'stop' });
  });
  it('the fatal rule is configurable', () => {
    expect(decideReconnect(policy, 1008, 0, () => 0, () => false)).toEqual({ kind: 'retry', delay: 500 });
    expect(decideReconnect(policy, 4999, 0, () => 0, (c) => c === 4999)).toEqual({ kind: 'stop' });
  });
});
