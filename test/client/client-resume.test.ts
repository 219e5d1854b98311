/**
 * Session resume at the client (docs/protocol.md §10), with fake timers and a scripted WebSocket:
 * the test plays a server that speaks §10 and checks every byte the client writes.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { OpenInfo } from '../../client/index.js';
import { FakeWebSocket } from './fake-websocket.js';
import { clientHarness } from './client-harness.js';
import type { RecordedClient } from './client-harness.js';

type Contract = {
  client: { events: { say: string }; requests: { add: { request: [number, number]; response: number } } };
  server: { events: { news: string }; requests: { twice: { request: number; response: number } } };
};

const harness = clientHarness<Contract>({ WebSocket: FakeWebSocket, random: () => 0.5, network: null });
const settle = () => vi.advanceTimersByTimeAsync(0);

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
  FakeWebSocket.reset();
});
afterEach(() => {
  harness.closeAll();
  vi.useRealTimers();
});

const json = (o: object): string => JSON.stringify({ v: 1, ...o });
const welcome = (o: object): string => json({ type: 'welcome', ...o });
const news = (seq: number, payload: string): string => json({ type: 'event', name: 'news', payload, seq });

/** A started client that records `open` too. */
function start(options: Parameters<typeof harness.start>[0] = {}) {
  const recorded = harness.start(options) as RecordedClient<Contract> & { opens: OpenInfo[]; news: string[] };
  recorded.opens = [];
  recorded.news = [];
  recorded.client.lifecycle.on('open', (info) => recorded.opens.push(info));
  recorded.client.on('news', (text) => recorded.news.push(text));
  return recorded;
}

/** Connects the client's current attempt and welcomes it into session `sid` (a new one unless `resumed`). */
async function welcomeInto(sid: string, extra: object = { resumed: false, ack: 0 }): Promise<FakeWebSocket> {
  await settle();
  const ws = FakeWebSocket.last;
  ws.open();
  ws.message(welcome({ sid, ...extra }));
  return ws;
}

/** What the client wrote after its hello, parsed. */
const after = (ws: FakeWebSocket, from = 1) => ws.envelopes.slice(from);

/** A client in session S that sent say#1 (seq 1) and add (seq 2), and received news seq 1..3. */
async function inSession(options: Parameters<typeof harness.start>[0] = {}) {
  const r = start(options);
  const first = await welcomeInto('S');
  r.client.emit('say', 'one');
  const sum = r.client.request('add', [2, 3]);
  sum.catch(() => undefined); // tests that do not look at it still end by closing the client
  for (let seq = 1; seq <= 3; seq++) first.message(news(seq, `n${seq}`));
  return { ...r, first, sum };
}

describe('session resume: the wire', () => {
  it('hellos carry resume:true, then sid and ack; application envelopes are numbered; acks ride along or follow within 100 ms', async () => {
    const { client, first, opens, news: got } = await inSession();
    expect(first.envelopes[0]).toEqual({ v: 1, type: 'hello', resume: true });
    expect(opens).toEqual([{ resumed: false }]);
    expect(after(first)).toEqual([
      { v: 1, type: 'event', name: 'say', payload: 'one', seq: 1 },
      { v: 1, type: 'request', id: 1, name: 'add', payload: [2, 3], seq: 2 },
    ]);
    expect(got).toEqual(['n1', 'n2', 'n3']);
    await vi.advanceTimersByTimeAsync(99);
    expect(first.envelopes).toHaveLength(3); // no ack yet
    await vi.advanceTimersByTimeAsync(1);
    expect(first.envelopes.at(-1)).toEqual({ v: 1, type: 'ack', ack: 3 });
    first.message(news(4, 'n4'));
    client.emit('say', 'two'); // the owed ack rides on it: no standalone ack follows
    await vi.advanceTimersByTimeAsync(500);
    expect(after(first, 4)).toEqual([{ v: 1, type: 'event', name: 'say', payload: 'two', seq: 3, ack: 4 }]);
  });

  it('64 unacknowledged deliveries force an ack at once', async () => {
    const { first } = await inSession();
    for (let seq = 4; seq <= 63; seq++) first.message(news(seq, 'x'));
    expect(first.envelopes.filter((e) => e.type === 'ack')).toEqual([]);
    first.message(news(64, 'x')); // the 64th owed
    expect(first.envelopes.filter((e) => e.type === 'ack')).toEqual([{ v: 1, type: 'ack', ack: 64 }]);
  });

  it('resume: false sends no resume fields and never numbers anything, even if a server offered a session', async () => {
    const r = start({ resume: false });
    const ws = await welcomeInto('S');
    r.client.emit('say', 'x');
    ws.message(json({ type: 'event', name: 'news', payload: 'plain' }));
    await vi.advanceTimersByTimeAsync(1000);
    expect(ws.sent).toEqual(['{"v":1,"type":"hello"}', '{"v":1,"type":"event","name":"say","payload":"x"}']);
    ws.serverClose(1006);
    expect(r.states).toEqual(['open', 'reconnecting']);
    await vi.advanceTimersByTimeAsync(750);
    const second = await welcomeInto('S2');
    expect(second.sent[0]).toBe('{"v":1,"type":"hello"}');
    expect(r.opens).toEqual([{ resumed: false }, { resumed: false, reason: 'disabled' }]);
    expect(r.news).toEqual(['plain']);
  });
});

describe('session resume: a blip that resumes', () => {
  it('keeps the state open, replays the log after the welcome ack, drops the server duplicates, settles the request once', async () => {
    const { client, first, sum, states, closes, opens, news: got } = await inSession();
    first.message(json({ type: 'ack', ack: 1 })); // the server has say#1
    first.serverClose(1006);
    expect(client.state).toBe('open');
    expect(closes).toEqual([{ code: 1006, reason: '', willReconnect: true, resuming: true }]);
    client.emit('say', 'while away'); // into the log: no throw, not sent anywhere yet
    await settle();
    expect(FakeWebSocket.instances).toHaveLength(2); // at once, no backoff delay
    const second = FakeWebSocket.last;
    second.open();
    expect(second.envelopes).toEqual([{ v: 1, type: 'hello', resume: true, sid: 'S', ack: 3 }]);
    second.message(welcome({ sid: 'S', resumed: true, ack: 1 }));
    // The request (seq 2) was lost in the cut: re-sent, then what was emitted meanwhile.
    expect(after(second)).toEqual([
      { v: 1, type: 'request', id: 1, name: 'add', payload: [2, 3], seq: 2 },
      { v: 1, type: 'event', name: 'say', payload: 'while away', seq: 3 },
    ]);
    // The server replays from its log after the hello's ack... and a stale copy of seq 3 first.
    second.message(news(3, 'n3'));
    second.message(news(4, 'n4'));
    second.message(json({ type: 'response', id: 1, payload: 5, seq: 5, ack: 3 }));
    second.message(json({ type: 'response', id: 1, payload: 5, seq: 5 })); // duplicate answer: dropped silently
    await expect(sum).resolves.toBe(5);
    expect(got).toEqual(['n1', 'n2', 'n3', 'n4']);
    expect(opens).toEqual([{ resumed: false }, { resumed: true }]);
    expect(states).toEqual(['open']); // never 'reconnecting'
    expect(client.state).toBe('open');
  });

  it('a retry request pending across a resume goes out once, from the log (not again through retry), and settles once', async () => {
    const { client, first } = await inSession();
    const kept = client.request('add', [4, 4], { retry: true }); // seq 3
    first.serverClose(1006);
    const second = await welcomeInto('S', { resumed: true, ack: 2 });
    second.message(json({ type: 'response', id: 2, payload: 8, seq: 4 }));
    await expect(kept).resolves.toBe(8);
    expect(after(second)).toEqual([{ v: 1, type: 'request', id: 2, name: 'add', payload: [4, 4], seq: 3, ack: 3 }]); // the original bytes
  });

  it('the first attempt fails: reconnecting with the usual backoff, and the next attempt still resumes', async () => {
    const { client, first, sum, states, closes, opens } = await inSession();
    first.serverClose(1006);
    await settle();
    FakeWebSocket.last.serverClose(1006); // the immediate attempt fails
    expect(client.state).toBe('reconnecting');
    expect(closes.at(-1)).toEqual({ code: 1006, reason: '', willReconnect: true, resuming: true, retryDelay: 750, error: expect.objectContaining({ name: 'ConnectionError', code: 'ERR_CONNECTION_FAILED', url: 'ws://test/', closeCode: 1006 }) });
    await vi.advanceTimersByTimeAsync(749);
    expect(FakeWebSocket.instances).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    const third = await welcomeInto('S', { resumed: true, ack: 2 });
    expect(third.envelopes[0]).toEqual({ v: 1, type: 'hello', resume: true, sid: 'S', ack: 3 });
    expect(after(third)).toEqual([]); // the server had everything
    third.message(json({ type: 'response', id: 1, payload: 5, seq: 4 }));
    await expect(sum).resolves.toBe(5);
    expect(states).toEqual(['open', 'reconnecting', 'open']);
    expect(opens).toEqual([{ resumed: false }, { resumed: true }]);
  });

  it('the first attempt hangs: reconnecting after connectTimeout, not before', async () => {
    const { client, first } = await inSession({ connectTimeout: 3000 });
    first.serverClose(1006);
    await settle();
    FakeWebSocket.last.open(); // hello sent, no welcome
    await vi.advanceTimersByTimeAsync(2999);
    expect(client.state).toBe('open');
    await vi.advanceTimersByTimeAsync(1);
    expect(client.state).toBe('reconnecting');
    expect(FakeWebSocket.instances[1]!.closedWith).toBeDefined();
  });

  it('a heartbeat timeout is a blip too', async () => {
    const { client, first, closes, states } = await inSession({ heartbeat: { interval: 1000, timeout: 500 } });
    await vi.advanceTimersByTimeAsync(1500);
    expect(first.closedWith?.code).toBe(4000);
    expect(closes).toEqual([{ code: 4000, reason: 'heartbeat timeout', willReconnect: true, resuming: true }]);
    await welcomeInto('S', { resumed: true, ack: 2 });
    expect([client.state, states]).toEqual(['open', ['open']]);
  });

  it('the server requests something: the answer computed while the link is down is logged and re-sent after the resume', async () => {
    const { client, first } = await inSession();
    let answer!: (n: number) => void;
    client.handle('twice', () => new Promise<number>((resolve) => (answer = resolve)));
    first.message(json({ type: 'request', id: 7, name: 'twice', payload: 21, seq: 4 }));
    first.serverClose(1006);
    answer(42);
    await settle();
    const second = await welcomeInto('S', { resumed: true, ack: 2 });
    expect(after(second)).toEqual([{ v: 1, type: 'response', id: 7, payload: 42, seq: 3 }]);
  });

  it('a 1012 restart hint keeps its spread: no immediate attempt, the next one still tries to resume', async () => {
    const { client, first, closes } = await inSession();
    first.serverClose(1012, 'restart');
    expect(client.state).toBe('reconnecting');
    expect(closes).toEqual([{ code: 1012, reason: 'restart', willReconnect: true, resuming: true, retryDelay: 500 + 0.5 * 14_500 }]);
  });
});

describe('session resume: refused', () => {
  it.each(['expired', 'overflow', 'restart', 'identity', 'unknown', 'closed', 'invalid'])(
    'reason %s: open {resumed:false, reason}, sent requests reject, retry ones and unsent messages go out in the new session',
    async (reason) => {
      const { client, first, sum, opens } = await inSession();
      const kept = client.request('add', [1, 1], { retry: true }); // seq 3, sent
      first.serverClose(1006);
      client.emit('say', 'unsent'); // seq 4, never written
      const second = await welcomeInto('T', { resumed: false, reason, ack: 0 });
      expect(second.envelopes[0]).toEqual({ v: 1, type: 'hello', resume: true, sid: 'S', ack: 3 });
      await expect(sum).rejects.toMatchObject({ code: 'ERR_DISCONNECTED' });
      expect(opens).toEqual([{ resumed: false }, { resumed: false, reason }]);
      // say#1 (sent, maybe lost) is not re-sent: the application was told and refetches.
      expect(after(second)).toEqual([
        { v: 1, type: 'request', id: 2, name: 'add', payload: [1, 1], seq: 1 },
        { v: 1, type: 'event', name: 'say', payload: 'unsent', seq: 2 },
      ]);
      second.message(news(1, 'fresh')); // the new session's numbering
      second.message(json({ type: 'response', id: 2, payload: 2, seq: 2 }));
      await expect(kept).resolves.toBe(2);
      second.serverClose(1006);
      await settle();
      FakeWebSocket.last.open();
      expect(FakeWebSocket.last.envelopes[0]).toEqual({ v: 1, type: 'hello', resume: true, sid: 'T', ack: 2 });
    },
  );

  it('a server without resume (plain welcome) works as v1: nothing numbered, a drop is a plain reconnect', async () => {
    const r = start();
    const ws = await welcomeInto('ignored', {}); // a sid without `resumed`: not a resumable welcome
    const sum = r.client.request('add', [1, 2]);
    ws.message(json({ type: 'event', name: 'news', payload: 'v1' }));
    expect(after(ws)).toEqual([{ v: 1, type: 'request', id: 1, name: 'add', payload: [1, 2] }]);
    ws.serverClose(1006);
    await expect(sum).rejects.toMatchObject({ code: 'ERR_DISCONNECTED' });
    expect(r.closes).toEqual([{ code: 1006, reason: '', willReconnect: true, resuming: false, retryDelay: 750 }]);
    await vi.advanceTimersByTimeAsync(750);
    FakeWebSocket.last.open();
    expect(FakeWebSocket.last.envelopes[0]).toEqual({ v: 1, type: 'hello', resume: true });
    FakeWebSocket.last.message(welcome({}));
    expect(r.opens).toEqual([{ resumed: false }, { resumed: false, reason: 'disabled' }]);
    expect(r.states).toEqual(['open', 'reconnecting', 'open']);
    expect(r.news).toEqual(['v1']);
  });

  it('a welcome that resumes with an ack beyond what was sent fails the connection (4008); the next open says invalid', async () => {
    const { client, first, errors, opens } = await inSession();
    first.serverClose(1006);
    const second = await welcomeInto('S', { resumed: true, ack: 9 });
    expect(second.closedWith?.code).toBe(4008);
    expect(errors).toEqual([expect.objectContaining({ code: 'ERR_INVALID_ENVELOPE', closeCode: 1008 })]);
    expect(client.state).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(750);
    const third = await welcomeInto('U');
    expect(third.envelopes[0]).toEqual({ v: 1, type: 'hello', resume: true }); // the session is given up
    expect(opens.at(-1)).toEqual({ resumed: false, reason: 'invalid' });
  });

  it('a skipped seq from the server fails the connection (4008)', async () => {
    const { first, errors } = await inSession();
    first.message(news(5, 'gap'));
    expect(first.closedWith?.code).toBe(4008);
    expect(errors).toEqual([expect.objectContaining({ code: 'ERR_INVALID_ENVELOPE', message: '"seq" 5 skips a message' })]);
  });
});

describe('session resume: bounds and takeover', () => {
  it('over maxQueued while open: never throws, the log is dropped and the next reconnect asks for a new session', async () => {
    const r = start({ maxQueued: 3 });
    const ws = await welcomeInto('S');
    for (const text of ['a', 'b', 'c', 'd']) r.client.emit('say', text); // the 4th overflows: sent anyway
    expect(after(ws).map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    ws.serverClose(1006);
    expect(r.client.state).toBe('reconnecting'); // not resumable: no blip
    expect(r.closes).toEqual([{ code: 1006, reason: '', willReconnect: true, resuming: false, retryDelay: 750 }]);
    await vi.advanceTimersByTimeAsync(750);
    const second = await welcomeInto('T');
    expect(second.envelopes[0]).toEqual({ v: 1, type: 'hello', resume: true });
    expect(r.opens.at(-1)).toEqual({ resumed: false, reason: 'overflow' });
  });

  it('while the link is down the log is bounded like the offline queue: QueueFullError, and the session survives', async () => {
    const r = start({ maxQueued: 3 });
    const ws = await welcomeInto('S');
    r.client.emit('say', 'a');
    ws.serverClose(1006);
    r.client.emit('say', 'b');
    r.client.emit('say', 'c');
    expect(() => r.client.emit('say', 'd')).toThrow(expect.objectContaining({ code: 'ERR_QUEUE_FULL' }));
    await expect(r.client.request('add', [1, 1])).rejects.toMatchObject({ code: 'ERR_QUEUE_FULL' });
    const second = await welcomeInto('S', { resumed: true, ack: 0 });
    expect(after(second).map((e) => [e.payload, e.seq])).toEqual([['a', 1], ['b', 2], ['c', 3]]);
    expect(r.states).toEqual(['open']);
  });

  it('4409 (another connection took the session over) closes for good, whatever isFatal says', async () => {
    const { client, first, closes, sum } = await inSession({ reconnect: { isFatal: () => false } });
    first.serverClose(4409, 'session taken over');
    expect(client.state).toBe('closed');
    expect(closes).toEqual([{ code: 4409, reason: 'session taken over', willReconnect: false, resuming: false }]);
    await expect(sum).rejects.toMatchObject({ code: 'ERR_DISCONNECTED' });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeWebSocket.instances).toHaveLength(1);
  });

  it('close() with an acknowledgement owed and a suspended session leaves no timer behind', async () => {
    const { client, first } = await inSession({ heartbeat: false });
    expect(vi.getTimerCount()).toBeGreaterThan(0); // the ack owed for news 1..3 (and the request timeout)
    first.serverClose(1006);
    client.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('reconnect() on a resumable session resumes it without leaving open', async () => {
    const { client, states, opens } = await inSession();
    client.reconnect();
    expect(client.state).toBe('open');
    await welcomeInto('S', { resumed: true, ack: 2 });
    expect(states).toEqual(['open']);
    expect(opens).toEqual([{ resumed: false }, { resumed: true }]);
  });
});
