import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemorySessionStore } from '../../../../server/typed/session/memory-session-store.js';
import { systemScheduler } from '../../../../src/scheduler.js';

const window = 1_000;

describe('MemorySessionStore (fake timers)', () => {
  let store: MemorySessionStore;
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
    store = new MemorySessionStore({ scheduler: systemScheduler, window, maxEnded: 3 });
  });
  afterEach(async () => {
    await store.close();
    vi.useRealTimers();
  });

  it('knows nothing of a sid it was not told about', async () => {
    store.create();
    store.update();
    expect(await store.get('s1')).toEqual({ kind: 'missing' });
  });

  it('remembers why a session ended for the window, then forgets it (boundary)', async () => {
    store.end('s1', 'expired');
    store.end('s2', 'closed');
    expect(await store.get('s1')).toEqual({ kind: 'ended', reason: 'expired' });
    expect(await store.get('s2')).toEqual({ kind: 'ended', reason: 'closed' });
    vi.advanceTimersByTime(window - 1);
    expect(store.size).toBe(2);
    expect(await store.get('s1')).toEqual({ kind: 'ended', reason: 'expired' });
    vi.advanceTimersByTime(1);
    expect(store.size).toBe(0);
    expect(await store.get('s1')).toEqual({ kind: 'missing' });
    expect(vi.getTimerCount()).toBe(0); // nothing remembered, no timer
  });

  it('one timer for all remembered endings', () => {
    for (let i = 0; i < 3; i++) store.end(`s${i}`, 'overflow');
    expect(vi.getTimerCount()).toBe(1);
  });

  it('keeps at most maxEnded, forgetting the oldest first', async () => {
    for (const sid of ['a', 'b', 'c', 'd']) store.end(sid, 'expired');
    expect(store.size).toBe(3);
    expect(await store.get('a')).toEqual({ kind: 'missing' });
    expect(await store.get('d')).toEqual({ kind: 'ended', reason: 'expired' });
  });

  it('a second end of the same sid replaces the reason and restarts its time', async () => {
    store.end('a', 'expired');
    vi.advanceTimersByTime(window / 2);
    store.end('a', 'closed');
    vi.advanceTimersByTime(window / 2);
    expect(await store.get('a')).toEqual({ kind: 'ended', reason: 'closed' });
    vi.advanceTimersByTime(window / 2);
    expect(await store.get('a')).toEqual({ kind: 'missing' });
  });

  it('close() forgets everything and disarms its timer', async () => {
    store.end('a', 'expired');
    await store.close();
    expect(store.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('MemorySessionStore: a client that left', () => {
  it('is not remembered (and forgets an older reason): no entry, no timer', async () => {
    vi.useFakeTimers({ now: 0 });
    const store = new MemorySessionStore({ scheduler: systemScheduler, window, maxEnded: 3 });
    store.end('a', 'expired');
    store.end('a', 'left');
    store.end('b', 'left');
    expect(await store.get('a')).toEqual({ kind: 'missing' });
    expect(store.size).toBe(0);
    await store.close();
    vi.useRealTimers();
  });
});
