/**
 * Latency, jitter, bandwidth, black holes and backpressure on real loopback sockets. Timing
 * bounds are one-sided where it matters (a delay is never shorter than asked) and generous on
 * the other side, so a slow machine cannot fail them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerConnection } from '../../../../server/socket/server-connection.js';
import { listenEcho } from '../../../helpers/servers.js';
import { closeAll, collect, nextEvent, proxyTo, sleep, tcpConnect, tcpServer, wsClosed, wsOpen } from './proxy-fixtures.js';

afterEach(closeAll);

describe('proxy: latency and jitter', () => {
  it('adds at least the latency each way and keeps the order within a direction', async () => {
    const { port } = await listenEcho();
    const proxy = await proxyTo(port, { latency: 60, jitter: 40 });
    const ws = await wsOpen(proxy.port);
    const sentAt: number[] = [];
    const got: Array<{ n: number; rtt: number }> = [];
    const all = new Promise<void>((resolve) =>
      ws.on('message', (data) => {
        const n = Number(data.toString());
        got.push({ n, rtt: performance.now() - sentAt[n]! });
        if (got.length === 30) resolve();
      }),
    );
    // Spaced sends, so each is its own TCP chunk with its own jitter: without the order rule,
    // a 40 ms jitter would reorder some of them.
    for (let n = 0; n < 30; n++) {
      sentAt[n] = performance.now();
      ws.send(String(n));
      await sleep(3);
    }
    await all;
    expect(got.map((g) => g.n)).toEqual(Array.from({ length: 30 }, (_, n) => n));
    for (const { rtt } of got) expect(rtt).toBeGreaterThanOrEqual(120); // 60 ms up + 60 ms down
    expect(Math.min(...got.map((g) => g.rtt))).toBeLessThan(2_000);
  });

  it('a direction override delays only that direction', async () => {
    const { port, accepted } = await tcpServer((socket) => socket.on('data', (chunk) => socket.write(chunk)));
    const proxy = await proxyTo(port, { down: { latency: 150 } });
    const client = await tcpConnect(proxy.port);
    const target = await accepted(0);
    const arrivedUp = nextEvent<[Buffer]>(target, 'data');
    const start = performance.now();
    client.write('ping');
    await arrivedUp;
    const up = performance.now() - start;
    await nextEvent(client, 'data');
    const roundTrip = performance.now() - start;
    expect(roundTrip).toBeGreaterThanOrEqual(150);
    expect(roundTrip - up).toBeGreaterThanOrEqual(145);
    expect(up).toBeLessThan(roundTrip - 100);
  });
});

describe('proxy: bandwidth', () => {
  it('delivers no faster than the limit (48 KiB at 32 KiB/s takes at least 1.5 s)', async () => {
    const payload = Buffer.alloc(48 * 1024, 7);
    const { port } = await tcpServer((socket) => socket.end(payload));
    const proxy = await proxyTo(port, { down: { bandwidth: 32 * 1024 } });
    const start = performance.now();
    const client = await tcpConnect(proxy.port);
    const progress: Array<[number, number]> = [];
    let total = 0;
    client.on('data', (chunk: Buffer) => progress.push([performance.now() - start, (total += chunk.length)]));
    const { data } = await collect(client);
    const elapsed = performance.now() - start;
    expect(data.equals(payload)).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(1500);
    expect(elapsed).toBeLessThan(6_000);
    // At no point more than the rate allows: bytes(t) <= 32 KiB/s × t.
    for (const [t, bytes] of progress) expect(bytes).toBeLessThanOrEqual((32 * 1024 * t) / 1000 + 1);
  });
});

describe('proxy: black hole', () => {
  it('swallows pongs and echoes while both sockets stay open (half-open), until cut', async () => {
    const { wss, port } = await listenEcho();
    const serverSide = nextEvent<[ServerConnection]>(wss, 'connection');
    const proxy = await proxyTo(port, { blackhole: 'down', blackholeAfter: 300 });
    const ws = await wsOpen(proxy.port);
    const [connection] = await serverSide;
    const received: string[] = [];
    let pongs = 0;
    ws.on('message', (data) => received.push(data.toString()));
    ws.on('pong', () => pongs++);
    ws.ping();
    ws.send('before');
    await sleep(150);
    expect([pongs, received]).toEqual([1, ['before']]);

    await sleep(250); // past blackholeAfter
    const serverGot: string[] = [];
    let serverPings = 0;
    connection.on('message', (data: Buffer) => serverGot.push(data.toString()));
    connection.on('ping', () => serverPings++);
    let closed = false;
    ws.on('close', () => (closed = true));
    ws.ping();
    ws.send('after');
    await sleep(500);
    // Up still flows: the server got both and answered; the answers vanished on the way down.
    expect([serverPings, serverGot]).toEqual([1, ['after']]);
    expect([pongs, received]).toEqual([1, ['before']]);
    expect([closed, ws.readyState, connection.readyState]).toEqual([false, ws.OPEN, 1]);
    expect(proxy.stats().swallowed.down).toBeGreaterThan(0);
    expect(proxy.stats().swallowed.up).toBe(0);

    const clientClosed = wsClosed(ws);
    expect(proxy.cutAll()).toBe(1);
    expect((await clientClosed).code).toBe(1006);
  });

  it('blackholeAll() on demand swallows both directions, FIN included', async () => {
    const { port, accepted } = await tcpServer();
    const proxy = await proxyTo(port);
    const client = await tcpConnect(proxy.port);
    const target = await accepted(0);
    expect(proxy.blackholeAll()).toBe(1);
    let targetData = 0;
    let clientData = 0;
    let ended = false;
    target.on('data', (chunk: Buffer) => (targetData += chunk.length));
    target.on('end', () => (ended = true));
    client.on('data', (chunk: Buffer) => (clientData += chunk.length));
    client.write(Buffer.alloc(1000));
    target.write(Buffer.alloc(500));
    client.end();
    await sleep(200);
    expect({ targetData, clientData, ended }).toEqual({ targetData: 0, clientData: 0, ended: false });
    expect(proxy.stats().swallowed).toEqual({ up: 1000, down: 500 });
  });
});

describe('proxy: backpressure', () => {
  it('a throttled direction pauses its source instead of buffering without limit', async () => {
    const { port } = await tcpServer(); // reads whatever arrives
    const maxBuffered = 64 * 1024;
    const proxy = await proxyTo(port, { up: { bandwidth: 16 * 1024 }, maxBuffered });
    const client = await tcpConnect(proxy.port);
    const chunk = Buffer.alloc(64 * 1024);
    for (let i = 0; i < 160; i++) client.write(chunk); // 10 MiB, far more than the kernel buffers
    let peak = 0;
    for (let i = 0; i < 20; i++) {
      await sleep(25);
      peak = Math.max(peak, proxy.stats().buffered.up);
    }
    // Bounded by maxBuffered plus at most one socket read; the rest waits in the client.
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(maxBuffered + 64 * 1024);
    expect(client.writableLength).toBeGreaterThan(5 * 1024 * 1024);
  });
});
