import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { closeAll, connectClient, rawSocket, startServer, until, type RawSocket } from './harness.js';

interface Feed {
  server: { events: { tick: { n: number; pad: string } } };
}

afterEach(closeAll);

const pause = (raw: RawSocket): Socket => {
  const socket = (raw.ws as unknown as { _socket: Socket })._socket;
  socket.pause();
  return socket;
};

describe('liveness', () => {
  it('pings every interval; a peer that answers stays, one that stops reading is terminated with a reason', async () => {
    const { server, url } = await startServer({ heartbeat: { interval: 100, timeout: 100 } });
    const reasons: string[] = [];
    server.on('disconnect', (_peer, reason, code) => reasons.push(`${code} ${reason}`));
    const healthy = await rawSocket(url);
    let pings = 0;
    healthy.ws.on('ping', () => (pings += 1)); // ws answers each with a pong
    const silent = await rawSocket(url);
    pause(silent);
    await until(() => reasons.length === 1, 5000);
    expect(reasons).toEqual(['1006 heartbeat timeout: no pong within 100 ms of a ping']);
    await until(() => pings >= 3, 5000);
    expect(server.stats().connections).toBe(1);
  });
});

describe('backpressure', () => {
  it('default policy: a client that stops reading is closed as a slow consumer; server memory stays bounded', async () => {
    const highWaterMark = 64 * 1024;
    const { server, url } = await startServer<Feed>({ backpressure: { highWaterMark }, closeTimeout: 200, heartbeat: false });
    const reasons: string[] = [];
    server.on('disconnect', (_peer, reason) => reasons.push(reason));
    const errors: Array<[unknown, string | undefined]> = [];
    server.on('error', (error, peer) => errors.push([error, peer?.id]));
    const reader = await rawSocket(url);
    const stalled = await rawSocket(url);
    pause(stalled);
    let received = 0;
    reader.ws.on('message', () => (received += 1));
    const [, slowPeer] = [...server.peers.values()];
    const pad = 'x'.repeat(8 * 1024);
    let maxBuffered = 0;
    let sent = 0;
    // Broadcast until the kernel buffers are full and the stalled peer's user-space buffer passes
    // the mark; yielding after each message lets the healthy reader's socket drain.
    while (slowPeer!.state === 'open' && sent < 5000) {
      server.emit('tick', { n: sent++, pad });
      maxBuffered = Math.max(maxBuffered, slowPeer!.bufferedAmount);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await until(() => reasons.length === 1, 5000);
    expect(reasons[0]).toMatch(/^slow consumer: \d+ bytes buffered$/);
    // the README's error table: the report carries ERR_SLOW_CONSUMER, with the same reason
    expect(errors).toMatchObject([[{ code: 'ERR_SLOW_CONSUMER', message: reasons[0] }, slowPeer!.id]]);
    // bounded: at most the mark plus one message (frame header + envelope) before the close
    expect(maxBuffered).toBeLessThanOrEqual(highWaterMark + pad.length + 100);
    expect(server.stats().connections).toBe(1);
    await until(() => received === sent, 5000); // the healthy reader got everything
  });

  it('drop-volatile: volatile events are dropped for the stalled peer, which stays connected and catches up', async () => {
    const highWaterMark = 32 * 1024;
    const { server, url } = await startServer<Feed>({ backpressure: { highWaterMark, policy: 'drop-volatile' }, heartbeat: false });
    const stalled = await rawSocket(url);
    const socket = pause(stalled);
    const [peer] = [...server.peers.values()];
    const pad = 'y'.repeat(4 * 1024);
    let sent = 0;
    while (server.stats().dropped < 50 && sent < 10_000) {
      server.volatile.emit('tick', { n: sent++, pad });
      expect(peer!.bufferedAmount).toBeLessThan(highWaterMark + pad.length + 100);
      if (sent % 16 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(server.stats().dropped).toBeGreaterThanOrEqual(50);
    expect(peer!.state).toBe('open');
    socket.resume();
    await until(() => stalled.messages.length === sent - server.stats().dropped, 5000);
    // what arrived is in order, with gaps only where events were dropped
    const ns = stalled.messages.map((m) => (JSON.parse(m.data as string) as { payload: { n: number } }).payload.n);
    expect(ns).toEqual([...ns].sort((a, b) => a - b));
  });
});

describe('graceful shutdown', () => {
  it('close() sends 1001 to every peer, refuses new connections, resolves when all are gone', async () => {
    const { server, url } = await startServer({ heartbeat: false });
    const a = await rawSocket(url);
    const b = await rawSocket(url);
    await server.close();
    expect(await a.closed).toEqual({ code: 1001, reason: 'server shutting down' });
    expect(await b.closed).toEqual({ code: 1001, reason: 'server shutting down' });
    expect(server.state).toBe('closed');
    expect(server.stats().connections).toBe(0);
    const refused = new WebSocket(url);
    await new Promise((resolve) => refused.once('error', resolve));
  });

  it('close({ restart: true }) sends 1012; the project client reconnects to the next server', async () => {
    const first = await startServer({ heartbeat: false });
    const client = await connectClient(first.url, { reconnect: { minDelay: 50, maxDelay: 100, restartWindow: 200 }, random: () => 0.5 });
    const closes: number[] = [];
    client.lifecycle.on('close', (info) => closes.push(info.code));
    await first.server.close({ restart: true });
    expect(closes).toEqual([1012]);
    expect(client.state).toBe('reconnecting');
    const next = await startServer({ port: first.port } as never); // same port: "the next server"
    await until(() => client.state === 'open', 10_000);
    expect(next.server.stats().connections).toBe(1);
  });

  it('a peer that never answers the close is terminated at the timeout, then close() resolves', async () => {
    const { server, url } = await startServer({ heartbeat: false });
    const reasons: string[] = [];
    server.on('disconnect', (_peer, reason) => reasons.push(reason));
    const stuck = await rawSocket(url);
    pause(stuck);
    const started = Date.now();
    await server.close({ timeout: 150 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(reasons).toEqual(['server shutting down']);
    expect(server.stats().connections).toBe(0);
  });
});
