import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DisconnectedError, PendingRequests, RequestError, isRequestError } from '../../../src/requests.js';
import { systemScheduler } from '../../../src/scheduler.js';

async function outcome(promise: Promise<unknown>): Promise<unknown> {
  return promise.then((value) => ({ value }), (error: unknown) => ({ error }));
}

describe('PendingRequests', () => {
  let table: PendingRequests;
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
    table = new PendingRequests(systemScheduler, 1000);
  });
  afterEach(() => {
    for (let id = 1; id < 10; id++) table.resolve(id, undefined); // settle leftovers without unhandled rejections
    vi.useRealTimers();
  });

  it('numbers requests from 1 and builds exact envelopes', () => {
    expect(table.create('a', { x: 1 }).envelope).toEqual({ v: 1, type: 'request', id: 1, name: 'a', payload: { x: 1 } });
    expect(table.create('b', undefined).envelope).toEqual({ v: 1, type: 'request', id: 2, name: 'b' });
    expect(table.size).toBe(2);
    expect(table.nameOf(2)).toBe('b');
  });

  it('times out at exactly the default or per-request timeout with RequestError timeout', async () => {
    const a = outcome(table.create('a', 1).promise);
    const b = outcome(table.create('b', 1, { timeout: 50 }).promise);
    vi.advanceTimersByTime(49);
    expect(table.size).toBe(2);
    vi.advanceTimersByTime(1);
    expect(table.size).toBe(1);
    const err = ((await b) as { error: RequestError }).error;
    expect(err).toBeInstanceOf(RequestError);
    expect([err.code, err.message]).toEqual(['timeout', 'request "b" timed out after 50 ms']);
    vi.advanceTimersByTime(950);
    expect(((await a) as { error: RequestError }).error.code).toBe('timeout');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('settles once: a late answer after timeout, a second answer, or an unknown id returns false', async () => {
    const { envelope, promise } = table.create('a', 1);
    expect(table.resolve(envelope!.id, 'first')).toBe(true);
    expect(table.resolve(envelope!.id, 'second')).toBe(false);
    expect(table.reject(envelope!.id, new Error('late'))).toBe(false);
    expect(table.resolve(99, 'x')).toBe(false);
    expect(await promise).toBe('first');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('aborts with the signal reason, and refuses an already aborted signal', async () => {
    const controller = new AbortController();
    const { promise } = table.create('a', 1, { signal: controller.signal });
    const reason = new Error('user left');
    controller.abort(reason);
    expect(((await outcome(promise)) as { error: unknown }).error).toBe(reason);
    expect(table.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    const early = table.create('b', 1, { signal: AbortSignal.abort() });
    expect(((await outcome(early.promise)) as { error: { name: string } }).error.name).toBe('AbortError');
    expect(table.size).toBe(0);
  });

  it('an already aborted signal registers nothing: no envelope to send, no id used, no timer', async () => {
    const reason = new Error('gave up');
    const early = table.create('a', 1, { signal: AbortSignal.abort(reason) });
    expect(early.envelope).toBeUndefined();
    expect(((await outcome(early.promise)) as { error: unknown }).error).toBe(reason);
    expect([table.size, vi.getTimerCount()]).toEqual([0, 0]);
    expect(table.create('b', 1).envelope).toEqual({ v: 1, type: 'request', id: 1, name: 'b', payload: 1 });
  });

  it('detaches the abort listener once settled', async () => {
    const controller = new AbortController();
    const remove = vi.spyOn(controller.signal, 'removeEventListener');
    const { envelope, promise } = table.create('a', 1, { signal: controller.signal });
    table.resolve(envelope!.id, 'ok');
    expect(remove).toHaveBeenCalledTimes(1);
    controller.abort();
    expect(await promise).toBe('ok');
  });

  it('disconnect rejects sent requests with DisconnectedError, holds retry ones, leaves unsent ones waiting', async () => {
    const sent = table.create('sent', 1);
    const held = table.create('held', 2, { retry: true });
    const unsent = table.create('unsent', 3);
    const unsentOutcome = outcome(unsent.promise);
    table.markSent(sent.envelope!.id);
    table.markSent(held.envelope!.id);
    const again = table.disconnect();
    expect(again).toEqual([held.envelope]);
    const err = ((await outcome(sent.promise)) as { error: DisconnectedError }).error;
    expect([err.name, err.code]).toEqual(['DisconnectedError', 'ERR_DISCONNECTED']);
    expect(table.has(held.envelope!.id) && table.has(unsent.envelope!.id)).toBe(true);
    expect(table.disconnect()).toEqual([]); // held one is unsent again until re-sent
    table.rejectAll(new DisconnectedError('closed'));
    expect(table.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    expect(((await outcome(held.promise)) as { error: Error }).error.message).toBe('closed');
    expect(((await unsentOutcome) as { error: Error }).error.message).toBe('closed');
  });

  it('RequestError is recognised across module copies and builds its error envelope', () => {
    const err = new RequestError('not_found', 'no such room', { room: 'x' });
    expect(err.toEnvelope(7)).toEqual({ v: 1, type: 'error', id: 7, code: 'not_found', message: 'no such room', details: { room: 'x' } });
    expect(isRequestError({ isRequestError: true })).toBe(true);
    expect(isRequestError(new Error('x'))).toBe(false);
  });
});
