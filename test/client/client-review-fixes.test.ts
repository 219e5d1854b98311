/**
 * Review findings of issue 3, one test each (fake timers, scripted WebSocket): answers from an old
 * connection, already aborted requests, throwing url()/auth(), throwing lifecycle listeners,
 * emits while the socket is CLOSING, and `network: null` with an offline browser.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../client/index.js';
import type { NetworkEvents } from '../../client/index.js';
import { FakeWebSocket } from './fake-websocket.js';
import { clientHarness } from './client-harness.js';

type Contract = {
  client: { events: { say: { text: string } }; requests: { add: { request: [number, number]; response: number } } };
  server: { requests: { ask: { request: number; response: string }; ask2: { request: number; response: string } } };
};

/** A browser's socket: send() on a CLOSING or CLOSED socket discards the data without throwing. */
class BrowserSocket extends FakeWebSocket {
  readonly discarded: Array<string | Uint8Array> = [];
  override send(data: string | Uint8Array): void {
    if (this.readyState >= 2) this.discarded.push(data);
    else super.send(data);
  }
}

const harness = clientHarness<Contract>({ WebSocket: BrowserSocket, random: () => 0.5, network: null });
const start = harness.start;
const settle = () => vi.advanceTimersByTimeAsync(0);
const last = () => FakeWebSocket.last as BrowserSocket;
const answers = (ws: FakeWebSocket) => ws.envelopes.filter((e) => e['type'] === 'response' || e['type'] === 'error');

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
  FakeWebSocket.reset();
});
afterEach(() => {
  harness.closeAll();
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe("answers to an old connection's requests (item 5)", () => {
  async function slowAskThenReconnect() {
    const run = start();
    const old = deferred<string>();
    run.client.handle('ask', () => old.promise);
    run.client.handle('ask2', () => 'two');
    await settle();
    const first = last();
    first.accept();
    first.message('{"v":1,"type":"request","id":1,"name":"ask","payload":1}');
    first.serverClose(1006);
    await vi.advanceTimersByTimeAsync(750);
    return { ...run, old, first, second: last() };
  }

  it('are dropped: the new connection only carries answers to its own requests, even with the same id', async () => {
    const { old, first, second } = await slowAskThenReconnect();
    second.accept();
    second.message('{"v":1,"type":"request","id":1,"name":"ask2","payload":2}');
    old.resolve('one'); // the old handler finishes while ask2 (also id 1) is pending at the server
    await settle();
    expect(answers(second)).toEqual([{ v: 1, type: 'response', id: 1, payload: 'two' }]);
    expect(answers(first)).toEqual([]);
    expect([first.discarded, second.discarded]).toEqual([[], []]);
  });

  it('are not sent between the hello and the welcome (where the server would close 1008)', async () => {
    const { client, old, second } = await slowAskThenReconnect();
    second.open();
    old.resolve('one');
    await settle();
    expect(second.envelopes).toEqual([{ v: 1, type: 'hello', resume: true }]);
    second.message('{"v":1,"type":"welcome"}');
    expect(client.state).toBe('open');
  });
});

describe('a request whose signal is already aborted (item 6)', () => {
  it('is never sent nor queued, rejects with the reason, and uses no id', async () => {
    const { client } = start({ maxQueued: 1 });
    const reason = new Error('gave up');
    await expect(client.request('add', [1, 2], { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    client.emit('say', { text: 'queued' }); // the queue (maxQueued 1) still has room
    await settle();
    last().accept();
    await expect(client.request('add', [0, 0], { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    const sum = client.request('add', [2, 3]);
    expect(last().envelopes).toEqual([
      { v: 1, type: 'hello', resume: true },
      { v: 1, type: 'event', name: 'say', payload: { text: 'queued' } },
      { v: 1, type: 'request', id: 1, name: 'add', payload: [2, 3] },
    ]);
    last().message('{"v":1,"type":"response","id":1,"payload":5}');
    await expect(sum).resolves.toBe(5);
  });
});

describe('url() or auth() throwing synchronously (item 11)', () => {
  it('from a retry timer: the attempt fails, is reported, and the next retry is scheduled', async () => {
    const boom = new Error('no host');
    let calls = 0;
    const { client, errors, closes } = start({}, () => {
      if (++calls === 2) throw boom;
      return 'ws://test/';
    });
    await settle();
    last().serverClose(1006);
    await vi.advanceTimersByTimeAsync(750); // the retry timer calls url(), which throws
    // The first attempt's socket closed before opening: reported as a failed connection.
    expect(errors).toEqual([expect.objectContaining({ code: 'ERR_CONNECTION_FAILED', closeCode: 1006 }), boom]);
    expect(closes).toEqual([
      { code: 1006, reason: '', willReconnect: true, resuming: false, retryDelay: 750, error: expect.objectContaining({ name: 'ConnectionError', code: 'ERR_CONNECTION_FAILED', url: 'ws://test/', closeCode: 1006 }) },
      { code: 1006, reason: 'url or auth failed', willReconnect: true, resuming: false, retryDelay: 1250, error: boom },
    ]);
    expect(client.state).toBe('reconnecting');
    expect(vi.getTimerCount()).toBe(1); // the retry timer; the failed attempt's connect timer is gone
    await vi.advanceTimersByTimeAsync(1250);
    expect([calls, FakeWebSocket.instances.length]).toEqual([3, 2]);
  });

  it('on the first attempt: createClient does not throw, the attempt fails and retries', async () => {
    const boom = new Error('no token');
    const { errors, closes } = start({
      auth: () => {
        throw boom;
      },
    });
    await settle();
    expect(errors).toEqual([boom]);
    expect(closes).toEqual([{ code: 1006, reason: 'url or auth failed', willReconnect: true, resuming: false, retryDelay: 750, error: boom }]);
    expect(FakeWebSocket.instances).toHaveLength(0);
  });
});

describe('a throwing lifecycle listener (item 12)', () => {
  it("a throwing 'state' listener is reported; the open link keeps its heartbeat and 'close' still fires", async () => {
    const boom = new Error('state listener bug');
    const { client, errors, closes } = start({ heartbeat: { interval: 1000, timeout: 500 } });
    client.lifecycle.on('state', () => {
      throw boom;
    });
    await settle();
    const ws = last();
    expect(() => ws.accept()).not.toThrow();
    expect([client.state, errors]).toEqual(['open', [boom]]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(ws.envelopes.at(-1)).toEqual({ v: 1, type: 'ping' });
    expect(() => ws.serverClose(1006)).not.toThrow();
    expect(errors).toEqual([boom, boom]);
    expect(closes).toEqual([{ code: 1006, reason: '', willReconnect: true, resuming: false, retryDelay: 750 }]);
    expect(vi.getTimerCount()).toBe(1); // the retry timer only: the heartbeat went with the open state
  });

  it("a 'state' listener that closes the client leaves no heartbeat running and no stale 'open'", async () => {
    const { client, closes } = start({ heartbeat: { interval: 1000, timeout: 500 } });
    const opens: number[] = [];
    client.lifecycle.on('open', () => opens.push(1));
    client.lifecycle.on('state', (s) => s === 'open' && client.close(4000, 'not now'));
    await settle();
    last().accept();
    expect([client.state, opens, vi.getTimerCount()]).toEqual(['closed', [], 0]);
    expect(closes).toEqual([{ code: 4000, reason: 'not now', willReconnect: false, resuming: false }]);
  });

  it("a throwing 'error' listener is rethrown in a microtask, not swallowed, and the client carries on", async () => {
    const tasks: Array<() => void> = [];
    vi.stubGlobal('queueMicrotask', (task: () => void) => tasks.push(task));
    const stateBug = new Error('state listener bug');
    const errorBug = new Error('error listener bug');
    const { client } = start();
    client.lifecycle.on('state', () => {
      throw stateBug;
    });
    client.lifecycle.on('error', () => {
      throw errorBug;
    });
    await settle();
    expect(() => last().accept()).not.toThrow();
    expect(client.state).toBe('open');
    expect(tasks).toHaveLength(1);
    expect(() => tasks[0]!()).toThrow(errorBug);
  });
});

describe('emits while the socket is CLOSING (item 13)', () => {
  it('are queued, not handed to a socket that discards them, and flushed on the next open', async () => {
    const { client } = start();
    await settle();
    const closing = last();
    closing.accept();
    closing.readyState = 2; // the browser started the closing handshake; 'close' has not fired yet
    client.emit('say', { text: 'late' });
    const sum = client.request('add', [1, 1]);
    expect(closing.discarded).toEqual([]);
    closing.serverClose(1001);
    await vi.advanceTimersByTimeAsync(750);
    last().accept();
    expect(last().envelopes).toEqual([
      { v: 1, type: 'hello', resume: true },
      { v: 1, type: 'event', name: 'say', payload: { text: 'late' } },
      { v: 1, type: 'request', id: 1, name: 'add', payload: [1, 1] },
    ]);
    last().message('{"v":1,"type":"response","id":1,"payload":2}');
    await expect(sum).resolves.toBe(2);
  });
});

describe('an offline browser (item 14)', () => {
  it('with network: null still schedules retries (no online event could end the wait)', async () => {
    vi.stubGlobal('navigator', { onLine: false });
    const { closes } = start({ network: null });
    await settle();
    last().serverClose(1006);
    expect(closes).toEqual([{ code: 1006, reason: '', willReconnect: true, resuming: false, retryDelay: 750, error: expect.objectContaining({ name: 'ConnectionError', code: 'ERR_CONNECTION_FAILED', url: 'ws://test/', closeCode: 1006 }) }]);
    await vi.advanceTimersByTimeAsync(749);
    expect(FakeWebSocket.instances).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(FakeWebSocket.instances).toHaveLength(2);
  });

  it('with network events listened to, waits for online without a timer', async () => {
    vi.stubGlobal('navigator', { onLine: false });
    const target = new EventTarget();
    const { closes } = start({ network: target as unknown as NetworkEvents });
    await settle();
    last().serverClose(1006);
    expect(closes).toEqual([{ code: 1006, reason: '', willReconnect: true, resuming: false, error: expect.objectContaining({ name: 'ConnectionError', code: 'ERR_CONNECTION_FAILED', url: 'ws://test/', closeCode: 1006 }) }]);
    expect(vi.getTimerCount()).toBe(0);
    target.dispatchEvent(new Event('online'));
    await settle();
    expect(FakeWebSocket.instances).toHaveLength(2);
  });
});
