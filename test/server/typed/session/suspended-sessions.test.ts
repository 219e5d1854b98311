import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SuspendedSessions } from '../../../../server/typed/session/suspended-sessions.js';
import type { SuspensionEnd } from '../../../../server/typed/session/suspended-sessions.js';
import { systemScheduler } from '../../../../src/scheduler.js';

interface S {
  readonly sid: string;
}
const window = 10_000;

describe('SuspendedSessions (fake timers)', () => {
  let ended: Array<[string, SuspensionEnd]>;
  let registry: SuspendedSessions<S>;
  const make = (maxSuspended = 100): SuspendedSessions<S> =>
    new SuspendedSessions<S>({ scheduler: systemScheduler, window, maxSuspended, end: (s, reason) => ended.push([s.sid, reason]) });
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
    ended = [];
    registry = make();
  });
  afterEach(() => {
    registry.clear();
    vi.useRealTimers();
  });

  it('a session expires `window` ms after it was suspended, not before', () => {
    registry.suspend('a', { sid: 'a' });
    expect(registry.expiresAt('a')).toBe(window);
    vi.advanceTimersByTime(window - 1);
    expect(ended).toEqual([]);
    expect(registry.get('a')).toEqual({ sid: 'a' });
    vi.advanceTimersByTime(1);
    expect(ended).toEqual([['a', 'expired']]);
    expect(registry.size).toBe(0);
    expect(registry.armed).toBe(false);
  });

  it('one timer however many are suspended; expiries in suspension order', () => {
    const big = make(10_000);
    for (let i = 0; i < 1_000; i++) {
      big.suspend(`s${i}`, { sid: `s${i}` });
      vi.advanceTimersByTime(1);
    }
    expect(big.size).toBe(1_000);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(window);
    expect(ended.map(([sid]) => sid)).toEqual(Array.from({ length: 1_000 }, (_, i) => `s${i}`));
    expect(ended.every(([, reason]) => reason === 'expired')).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a resumed session is taken out and never expires; an empty registry holds no timer', () => {
    registry.suspend('a', { sid: 'a' });
    expect(registry.take('a')).toEqual({ sid: 'a' });
    expect(registry.take('a')).toBeUndefined();
    expect(registry.armed).toBe(false);
    vi.advanceTimersByTime(2 * window);
    expect(ended).toEqual([]);
  });

  it('sweeps coalesce: sessions suspended within a resolution expire in one wake-up', () => {
    let wakeups = 0;
    const counting = { ...systemScheduler, setTimeout: (cb: () => void, ms: number) => (wakeups++, systemScheduler.setTimeout(cb, ms)) };
    const big = new SuspendedSessions<S>({ scheduler: counting, window, maxSuspended: 10_000, end: (s, reason) => ended.push([s.sid, reason]) });
    for (let i = 0; i < 1_000; i++) {
      big.suspend(`s${i}`, { sid: `s${i}` });
      vi.advanceTimersByTime(1);
    }
    wakeups = 0;
    vi.advanceTimersByTime(window);
    expect(ended).toHaveLength(1_000);
    expect(wakeups).toBeLessThanOrEqual(1_000 / (window / 10) + 1); // one per resolution (1 s), not one per session
    expect(big.size).toBe(0);
  });

  it('at the cap the oldest suspended session ends as an overflow to make room', () => {
    const small = make(2);
    small.suspend('a', { sid: 'a' });
    small.suspend('b', { sid: 'b' });
    small.suspend('c', { sid: 'c' });
    expect(ended).toEqual([['a', 'overflow']]);
    expect([small.get('a'), small.get('b'), small.get('c')]).toEqual([undefined, { sid: 'b' }, { sid: 'c' }]);
    small.clear();
  });

  it('a cap of 0 keeps nothing: the session ends at once', () => {
    const none = make(0);
    none.suspend('a', { sid: 'a' });
    expect(ended).toEqual([['a', 'overflow']]);
    expect(none.size).toBe(0);
    expect(none.armed).toBe(false);
  });

  it('the registry is settled before an end runs (an end may suspend another session)', () => {
    const chained: SuspendedSessions<S> = new SuspendedSessions<S>({
      scheduler: systemScheduler,
      window,
      maxSuspended: 10,
      end: (s, reason) => {
        ended.push([s.sid, reason]);
        if (s.sid === 'a') chained.suspend('a2', { sid: 'a2' });
      },
    });
    chained.suspend('a', { sid: 'a' });
    chained.suspend('b', { sid: 'b' });
    vi.advanceTimersByTime(window);
    expect(ended).toEqual([
      ['a', 'expired'],
      ['b', 'expired'],
    ]);
    expect(chained.get('a2')).toEqual({ sid: 'a2' });
    vi.advanceTimersByTime(window);
    expect(ended.at(-1)).toEqual(['a2', 'expired']);
  });

  it('clear() hands back what was suspended, ends nothing, and disarms', () => {
    registry.suspend('a', { sid: 'a' });
    expect(registry.clear()).toEqual([{ sid: 'a' }]);
    expect(registry.armed).toBe(false);
    vi.advanceTimersByTime(2 * window);
    expect(ended).toEqual([]);
  });
});
