import { afterEach, describe, expect, it, vi } from 'vitest';
import { closeAll, connectClient, rawSocket, startServer, until } from './harness.js';
import { systemScheduler, type Scheduler } from '../../../src/scheduler.js';

interface Api {
  client: {
    events: { note: string };
    requests: { hang: { request: undefined; response: string }; slow: { request: undefined; response: string } };
  };
  server: { requests: { ask: { request: undefined; response: string } } };
}

afterEach(closeAll);

/** The system scheduler, counting timers that are armed and neither fired nor cleared. */
function countingScheduler(): Scheduler & { active: () => number } {
  const live = new Set<unknown>();
  return {
    now: () => systemScheduler.now(),
    setTimeout(callback, delayMs) {
      const handle: unknown = systemScheduler.setTimeout(() => {
        live.delete(handle);
        callback();
      }, delayMs);
      live.add(handle);
      return handle;
    },
    clearTimeout(handle) {
      live.delete(handle);
      systemScheduler.clearTimeout(handle);
    },
    active: () => live.size,
  };
}

/**
 * Counts timers armed through the global `setTimeout` (the low-level sockets' close timers, the
 * handshake timers, ws's own) that neither fired nor were cleared, until `restore()`.
 */
function globalTimerSpy(): { active: () => number; restore: () => void } {
  const live = new Set<unknown>();
  const realSet = globalThis.setTimeout;
  const realClear = globalThis.clearTimeout;
  const set = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const handle = realSet((...a: unknown[]) => {
      live.delete(handle);
      callback(...a);
    }, ms, ...args);
    live.add(handle);
    return handle;
  }) as typeof setTimeout);
  const clear = vi.spyOn(globalThis, 'clearTimeout').mockImplementation((handle) => {
    live.delete(handle);
    realClear(handle);
  });
  return {
    active: () => live.size,
    restore: () => {
      set.mockRestore();
      clear.mockRestore();
    },
  };
}

describe('bad input', () => {
  it('a frame that is not JSON fails the connection with 1007, and is reported', async () => {
    const { server, url } = await startServer();
    const errors: Array<{ code: string; closeCode: number }> = [];
    server.on('error', (err) => errors.push(err as never));
    const raw = await rawSocket(url);
    raw.send('{not json');
    expect(await raw.closed).toEqual({ code: 1007, reason: 'message is not valid JSON' });
    expect(errors).toMatchObject([{ code: 'ERR_INVALID_ENVELOPE', closeCode: 1007 }]);
    await until(() => server.stats().connections === 0);
    expect(server.stats().errorsByCloseCode).toEqual({ 1007: 1 });
  });

  it('a malformed envelope → 1008; an unknown version → 1003; typed traffic before the hello → 1008', async () => {
    const { url } = await startServer();
    const a = await rawSocket(url);
    a.send({ v: 1, type: 'event' });
    expect((await a.closed).code).toBe(1008);
    const b = await rawSocket(url);
    b.send({ v: 2, type: 'event', name: 'x' });
    expect((await b.closed).code).toBe(1003);
    const c = await rawSocket(url, null);
    c.send({ v: 1, type: 'event', name: 'note', payload: 'early' });
    expect(await c.closed).toEqual({ code: 1008, reason: '"event" before the handshake completed' });
  });

  it('no hello within helloTimeout → 4001', async () => {
    const { url } = await startServer({ helloTimeout: 100 });
    const raw = await rawSocket(url, null);
    expect(await raw.closed).toEqual({ code: 4001, reason: 'no hello within 100 ms' });
  });

  it('unknown method → exactly one unknown_method error envelope, connection kept', async () => {
    const { url } = await startServer();
    const raw = await rawSocket(url);
    raw.send({ v: 1, type: 'request', id: 7, name: 'nope' });
    expect(await raw.next()).toEqual({ v: 1, type: 'error', id: 7, code: 'unknown_method', message: 'no handler for "nope"' });
    raw.send({ v: 1, type: 'ping' });
    expect(await raw.next()).toEqual({ v: 1, type: 'pong' }); // the heartbeat responder answers
  });

  it('an oversized message fails the connection with 1009', async () => {
    const { url } = await startServer({ maxMessageBytes: 1024 });
    const raw = await rawSocket(url);
    raw.send({ v: 1, type: 'event', name: 'note', payload: 'x'.repeat(2000) });
    expect((await raw.closed).code).toBe(1009);
  });
});

describe('faults', () => {
  it('a handler that never resolves: the caller times out, nothing is left on the server after it leaves', async () => {
    const scheduler = countingScheduler();
    const { server, url } = await startServer<Api>({ scheduler, heartbeat: false });
    server.handle('hang', () => new Promise<string>(() => {}));
    const client = await connectClient<Api>(url);
    await expect(client.request('hang', undefined, { timeout: 100 })).rejects.toMatchObject({ code: 'timeout' });
    expect(server.stats().pendingHandlers).toBe(1);
    client.close();
    await until(() => server.stats().connections === 0);
    expect(server.stats().pendingHandlers).toBe(0);
    expect(scheduler.active()).toBe(0);
  });

  it('a peer that disconnects mid-request: the server\'s request rejects with ERR_DISCONNECTED; a late handler result is dropped', async () => {
    const { server, url } = await startServer<Api>();
    const errors: unknown[] = [];
    server.on('error', (err) => errors.push(err));
    let finish!: (value: string) => void;
    server.handle('slow', () => new Promise<string>((resolve) => (finish = resolve)));
    const client = await connectClient<Api>(url);
    client.handle('ask', () => new Promise<string>(() => {})); // never answers
    const [peer] = [...server.peers.values()];
    const asked = peer!.request('ask', undefined, { timeout: 10_000 });
    void client.request('slow').catch(() => {});
    await until(() => finish !== undefined);
    client.close();
    await expect(asked).rejects.toMatchObject({ code: 'ERR_DISCONNECTED' });
    finish('too late');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(errors).toEqual([]);
    expect(server.stats()).toMatchObject({ connections: 0, pendingHandlers: 0 });
    await expect(peer!.request('ask')).rejects.toMatchObject({ code: 'ERR_DISCONNECTED' });
  });

  it('1,000 connect/join/disconnect cycles leave no peers, rooms or timers behind', async () => {
    const scheduler = countingScheduler();
    const timers = globalTimerSpy();
    try {
      const { server, url } = await startServer({ scheduler });
      server.on('connection', (peer) => peer.join([`room-${peer.id}`, 'shared']));
      let serverClosed = 0;
      for (let batch = 0; batch < 20; batch += 1) {
        const sockets = await Promise.all(Array.from({ length: 50 }, () => rawSocket(url)));
        await until(() => server.stats().connections === 50);
        // Odd batches are closed by the server, so its sockets' close timers are armed too.
        if (batch % 2 === 1) for (const peer of [...server.peers.values()]) (peer.close(1000, 'bye'), (serverClosed += 1));
        else for (const raw of sockets) raw.ws.close();
        await Promise.all(sockets.map((raw) => raw.closed));
        await until(() => server.stats().connections === 0);
      }
      expect(serverClosed).toBe(500);
      await until(() => server.stats().connections === 0);
      expect(server.stats()).toMatchObject({ connections: 0, rooms: 0, pendingHandlers: 0 });
      expect(server.adapter.peerCount()).toBe(0);
      expect(scheduler.active()).toBe(0);
      // Close timers end with their sockets' TCP close, which can trail the close event a little.
      await until(() => timers.active() === 0);
      expect(timers.active()).toBe(0);
    } finally {
      timers.restore();
    }
  }, 30_000);
});
