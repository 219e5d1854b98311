/**
 * The client's lifecycle with fake timers and a scripted WebSocket: reconnect timing, connect
 * timeout, heartbeat, offline queue, auth per attempt, and that close() leaves nothing running.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { NetworkEvents } from '../../client/index.js';
import { FakeWebSocket } from './fake-websocket.js';
import { clientHarness } from './client-harness.js';

type Contract = {
  client: { events: { say: { text: string } }; requests: { add: { request: [number, number]; response: number } } };
  server: { events: { news: string } };
};

const harness = clientHarness<Contract>({ WebSocket: FakeWebSocket, random: () => 0.5, network: null });
const start = harness.start;
const settle = () => vi.advanceTimersByTimeAsync(0);

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
  FakeWebSocket.reset();
});
afterEach(() => {
  harness.closeAll();
  vi.useRealTimers();
});

describe('client lifecycle (fake timers)', () => {
  it('sends hello first with binaryType arraybuffer, opens on welcome, maps states', async () => {
    const { client, states } = start({ auth: { token: 'a' } });
    expect(client.state).toBe('connecting');
    await settle();
    const ws = FakeWebSocket.last;
    expect([ws.url, ws.binaryType]).toEqual(['ws://test/', 'arraybuffer']);
    ws.open();
    expect(ws.sent).toEqual(['{"v":1,"type":"hello","auth":{"token":"a"},"resume":true}']);
    expect(client.state).toBe('connecting'); // not before the welcome
    ws.message('{"v":1,"type":"welcome"}');
    expect(client.state).toBe('open');
    ws.serverClose(1006);
    expect(client.state).toBe('reconnecting');
    expect(states).toEqual(['open', 'reconnecting']);
  });

  it('reconnects with jittered backoff: boundary at delay - 1 and delay', async () => {
    const { client, closes } = start({ connectTimeout: 60_000 });
    await settle();
    FakeWebSocket.last.serverClose(1006); // attempt 0 failed → delay 500 + 0.5·500 = 750
    expect(closes).toEqual([{ code: 1006, reason: '', willReconnect: true, resuming: false, retryDelay: 750, error: expect.objectContaining({ name: 'ConnectionError', code: 'ERR_CONNECTION_FAILED', url: 'ws://test/', closeCode: 1006 }) }]);
    await vi.advanceTimersByTimeAsync(749);
    expect(FakeWebSocket.instances).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(FakeWebSocket.instances).toHaveLength(2);
    FakeWebSocket.last.serverClose(1006); // attempt 1 → 500 + 0.5·1500 = 1250
    await vi.advanceTimersByTimeAsync(1249);
    expect(FakeWebSocket.instances).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(FakeWebSocket.instances).toHaveLength(3);
    expect(client.state).toBe('reconnecting');
  });

  it('resets the backoff only after the link stayed up resetAfter ms', async () => {
    start();
    await settle();
    FakeWebSocket.last.serverClose(1006);
    await vi.advanceTimersByTimeAsync(750);
    FakeWebSocket.last.accept();
    FakeWebSocket.last.serverClose(1006); // up 0 ms: attempt stays at 1 → 1250
    await vi.advanceTimersByTimeAsync(1249);
    expect(FakeWebSocket.instances).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    FakeWebSocket.last.accept();
    await vi.advanceTimersByTimeAsync(5_000);
    FakeWebSocket.last.serverClose(1006); // up 5 s: reset → 750
    await vi.advanceTimersByTimeAsync(749);
    expect(FakeWebSocket.instances).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(1);
    expect(FakeWebSocket.instances).toHaveLength(4);
  });

  it('honours 1012 with the restart window and stops on 1008 / 4401', async () => {
    const a = start();
    await settle();
    FakeWebSocket.last.accept();
    FakeWebSocket.last.serverClose(1012, 'restart'); // 500 + 0.5·14500 = 7750
    await vi.advanceTimersByTimeAsync(7749);
    expect(FakeWebSocket.instances).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(FakeWebSocket.instances).toHaveLength(2);
    FakeWebSocket.last.accept();
    FakeWebSocket.last.serverClose(1008, 'banned');
    expect(a.client.state).toBe('closed');
    expect(a.closes.at(-1)).toEqual({ code: 1008, reason: 'banned', willReconnect: false, resuming: false });
    const b = start();
    await settle();
    FakeWebSocket.last.serverClose(4401, 'unauthorized');
    expect(b.client.state).toBe('closed');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeWebSocket.instances).toHaveLength(3);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a connect attempt stuck in CONNECTING fails after connectTimeout (default 10 s)', async () => {
    const { closes } = start();
    await settle();
    await vi.advanceTimersByTimeAsync(9_999);
    expect(closes).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(closes).toEqual([
      {
        code: 1006,
        reason: 'connect timeout',
        willReconnect: true,
        resuming: false,
        retryDelay: 750,
        error: expect.objectContaining({ name: 'ConnectionError', code: 'ERR_CONNECTION_FAILED', message: 'connection to ws://test/ failed: no welcome within 10000 ms (connectTimeout)' }),
      },
    ]);
    expect(FakeWebSocket.instances[0]!.closedWith).toEqual({ code: undefined, reason: undefined });
  });

  it('calls url and auth functions before every attempt', async () => {
    let n = 0;
    const auth = vi.fn(async () => `token-${++n}`);
    start({ auth }, () => `ws://host-${n}/`);
    await settle();
    FakeWebSocket.last.open();
    expect(FakeWebSocket.last.sent).toEqual(['{"v":1,"type":"hello","auth":"token-1","resume":true}']);
    FakeWebSocket.last.serverClose(1006);
    await vi.advanceTimersByTimeAsync(750);
    FakeWebSocket.last.open();
    expect(FakeWebSocket.last.sent).toEqual(['{"v":1,"type":"hello","auth":"token-2","resume":true}']);
    expect(auth).toHaveBeenCalledTimes(2);
    expect(FakeWebSocket.instances.map((w) => w.url)).toEqual(['ws://host-0/', 'ws://host-1/']);
  });

  it('an auth function that throws fails the attempt (reported) and retries', async () => {
    const boom = new Error('token service down');
    const { errors, closes } = start({ auth: () => Promise.reject(boom) });
    await settle();
    expect(errors).toEqual([boom]);
    expect(closes).toEqual([{ code: 1006, reason: 'url or auth failed', willReconnect: true, resuming: false, retryDelay: 750, error: boom }]);
    expect(FakeWebSocket.instances).toHaveLength(0);
  });

  it('heartbeat: ping after interval of silence, close 4000 and reconnect after interval + timeout', async () => {
    const { closes } = start({ heartbeat: { interval: 1000, timeout: 500 } });
    await settle();
    const ws = FakeWebSocket.last;
    ws.accept();
    await vi.advanceTimersByTimeAsync(600);
    ws.message('{"v":1,"type":"event","name":"news","payload":"x"}'); // any traffic is liveness
    await vi.advanceTimersByTimeAsync(999);
    expect(ws.envelopes.filter((e) => e['type'] === 'ping')).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(ws.envelopes.at(-1)).toEqual({ v: 1, type: 'ping' });
    await vi.advanceTimersByTimeAsync(499);
    expect(closes).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(ws.closedWith).toEqual({ code: 4000, reason: 'heartbeat timeout' });
    expect(closes).toEqual([{ code: 4000, reason: 'heartbeat timeout', willReconnect: true, resuming: false, retryDelay: 750 }]);
  });

  it('answers server pings with pong', async () => {
    start({ heartbeat: false });
    await settle();
    FakeWebSocket.last.accept();
    FakeWebSocket.last.message('{"v":1,"type":"ping"}');
    expect(FakeWebSocket.last.sent.at(-1)).toBe('{"v":1,"type":"pong"}');
  });
});

describe('offline queue and requests while offline', () => {
  it('queues emits in order and flushes them before later sends', async () => {
    const { client } = start();
    client.emit('say', { text: '1' });
    client.emit('say', { text: '2' });
    const answer = client.request('add', [1, 2]);
    client.lifecycle.on('open', () => client.emit('say', { text: 'later' }));
    await settle();
    const ws = FakeWebSocket.last;
    ws.accept();
    expect(ws.envelopes).toEqual([
      { v: 1, type: 'hello', resume: true },
      { v: 1, type: 'event', name: 'say', payload: { text: '1' } },
      { v: 1, type: 'event', name: 'say', payload: { text: '2' } },
      { v: 1, type: 'request', id: 1, name: 'add', payload: [1, 2] },
      { v: 1, type: 'event', name: 'say', payload: { text: 'later' } },
    ]);
    ws.message('{"v":1,"type":"response","id":1,"payload":3}');
    await expect(answer).resolves.toBe(3);
  });

  it('is bounded: overflow throws QueueFullError to the caller (emit) or rejects (request)', async () => {
    const { client } = start({ maxQueued: 2 });
    client.emit('say', { text: '1' });
    client.emit('say', { text: '2' });
    expect(() => client.emit('say', { text: '3' })).toThrow(expect.objectContaining({ name: 'QueueFullError', code: 'ERR_QUEUE_FULL' }));
    await expect(client.request('add', [1, 1])).rejects.toMatchObject({ name: 'QueueFullError', code: 'ERR_QUEUE_FULL' });
  });

  it('a request made offline waits for the connection but still times out', async () => {
    const { client } = start();
    const late = client.request('add', [1, 2], { timeout: 2_000 });
    const outcome = late.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(1_999);
    await vi.advanceTimersByTimeAsync(1);
    expect(await outcome).toMatchObject({ name: 'RequestError', code: 'timeout' });
    FakeWebSocket.last.accept();
    expect(FakeWebSocket.last.envelopes).toEqual([{ v: 1, type: 'hello', resume: true }]); // the timed-out request is not sent
  });

  it('sent requests reject with DisconnectedError on disconnect; retry: true ones are sent again', async () => {
    const { client } = start();
    await settle();
    FakeWebSocket.last.accept();
    const plain = client.request('add', [1, 1]).catch((e: unknown) => e);
    const held = client.request('add', [2, 2], { retry: true });
    FakeWebSocket.last.serverClose(1006);
    expect(await plain).toMatchObject({ name: 'DisconnectedError', code: 'ERR_DISCONNECTED' });
    await vi.advanceTimersByTimeAsync(750);
    FakeWebSocket.last.accept();
    expect(FakeWebSocket.last.envelopes.at(-1)).toEqual({ v: 1, type: 'request', id: 2, name: 'add', payload: [2, 2] });
    FakeWebSocket.last.message('{"v":1,"type":"response","id":2,"payload":4}');
    await expect(held).resolves.toBe(4);
  });
});

describe('close() and reconnect()', () => {
  it('close() stops for good, rejects pending work and leaves no timer or listener behind', async () => {
    const listeners = new Map<string, number>();
    const network: NetworkEvents = {
      addEventListener: (type) => void listeners.set(type, (listeners.get(type) ?? 0) + 1),
      removeEventListener: (type) => void listeners.set(type, (listeners.get(type) ?? 0) - 1),
    };
    const { client, closes } = start({ network, heartbeat: { interval: 1000, timeout: 500 } });
    await settle();
    FakeWebSocket.last.accept();
    const pending = client.request('add', [1, 1], { timeout: 60_000 }).catch((e: unknown) => e);
    expect(vi.getTimerCount()).toBe(2); // heartbeat + request timeout (the connect timer went with 'connecting')
    client.close(4321, 'bye');
    expect(FakeWebSocket.last.closedWith).toEqual({ code: 4321, reason: 'bye' });
    expect(client.state).toBe('closed');
    expect(closes.at(-1)).toEqual({ code: 4321, reason: 'bye', willReconnect: false, resuming: false });
    expect(await pending).toMatchObject({ name: 'DisconnectedError' });
    expect(vi.getTimerCount()).toBe(0);
    expect([...listeners.values()]).toEqual([0, 0]);
    FakeWebSocket.last.serverClose(1006);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(FakeWebSocket.instances).toHaveLength(1);
    expect(() => client.emit('say', { text: 'x' })).toThrow(expect.objectContaining({ name: 'StateError', code: 'ERR_INVALID_STATE' }));
    await expect(client.request('add', [1, 1])).rejects.toMatchObject({ name: 'StateError' });
    expect(() => client.reconnect()).toThrow(expect.objectContaining({ name: 'StateError' }));
    client.close(); // idempotent
  });

  it('close() leaves no timer in the connecting and waiting states either', async () => {
    const connecting = start();
    await settle();
    connecting.client.close();
    expect(vi.getTimerCount()).toBe(0);
    const waiting = start();
    await settle();
    FakeWebSocket.last.serverClose(1006);
    expect(vi.getTimerCount()).toBe(1);
    waiting.client.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('refuses close codes a browser cannot send', () => {
    const { client } = start();
    expect(() => client.close(1001)).toThrow(TypeError);
    expect(() => client.close(1000, 'x'.repeat(124))).toThrow(TypeError);
    expect(client.state).toBe('connecting');
  });

  it('reconnect() forces an attempt now from waiting or open', async () => {
    const { client } = start();
    await settle();
    FakeWebSocket.last.serverClose(1006);
    client.reconnect();
    await settle();
    expect(FakeWebSocket.instances).toHaveLength(2);
    FakeWebSocket.last.accept();
    client.reconnect();
    await settle();
    // no status code: a 1000 would end the server's session (docs/protocol.md §10.3)
    expect(FakeWebSocket.instances[1]!.closedWith).toEqual({ code: undefined, reason: undefined });
    expect(FakeWebSocket.instances).toHaveLength(3);
    expect(client.state).toBe('reconnecting');
  });

  it('offline stops the retry timer; online retries at once', async () => {
    const target = new EventTarget();
    start({ network: target as unknown as NetworkEvents });
    await settle();
    FakeWebSocket.last.serverClose(1006);
    expect(vi.getTimerCount()).toBe(1);
    target.dispatchEvent(new Event('offline'));
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeWebSocket.instances).toHaveLength(1);
    target.dispatchEvent(new Event('online'));
    await settle();
    expect(FakeWebSocket.instances).toHaveLength(2);
  });
});

describe('malformed input from the server', () => {
  it('reports a ProtocolError, closes with the 40xx stand-in and reconnects', async () => {
    const { errors, closes } = start();
    await settle();
    FakeWebSocket.last.accept();
    FakeWebSocket.last.message('not json');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ name: 'ProtocolError', code: 'ERR_INVALID_ENVELOPE', closeCode: 1007 });
    expect(FakeWebSocket.instances[0]!.closedWith).toEqual({ code: 4007, reason: 'ERR_INVALID_ENVELOPE' });
    expect(closes).toEqual([{ code: 4007, reason: 'ERR_INVALID_ENVELOPE', willReconnect: true, resuming: false, retryDelay: 750 }]);
  });
  it('an answer for an unknown request id is reported and the link is kept', async () => {
    const { client, errors } = start();
    await settle();
    FakeWebSocket.last.accept();
    FakeWebSocket.last.message('{"v":1,"type":"response","id":77}');
    expect(errors[0]).toMatchObject({ name: 'ProtocolError', code: 'ERR_UNKNOWN_RESPONSE' });
    expect(client.state).toBe('open');
  });
  it('events before the welcome are a policy violation (4008)', async () => {
    start();
    await settle();
    FakeWebSocket.last.open();
    FakeWebSocket.last.message('{"v":1,"type":"event","name":"news","payload":"x"}');
    expect(FakeWebSocket.instances[0]!.closedWith).toEqual({ code: 4008, reason: 'ERR_INVALID_ENVELOPE' });
  });
});

describe('failures in user code and URLs', () => {
  it("a throwing event listener is reported on 'error' and the link stays up", async () => {
    const { client, errors } = start();
    const boom = new Error('listener bug');
    client.on('news', () => {
      throw boom;
    });
    await settle();
    FakeWebSocket.last.accept();
    FakeWebSocket.last.message('{"v":1,"type":"event","name":"news","payload":"x"}');
    expect(errors).toEqual([boom]);
    expect(client.state).toBe('open');
  });
  it('a URL the constructor refuses fails the attempt (reported) and retries', async () => {
    class Refusing extends FakeWebSocket {
      constructor(url: string) {
        super(url);
        throw new SyntaxError(`invalid url ${url}`);
      }
    }
    const { errors, closes } = start({ WebSocket: Refusing }, 'ws://nope/');
    await settle();
    expect(errors.map((e) => (e as Error).message)).toEqual(['invalid url ws://nope/']);
    expect(closes).toEqual([{ code: 1006, reason: 'invalid url', willReconnect: true, resuming: false, retryDelay: 750, error: errors[0] }]);
  });
});
