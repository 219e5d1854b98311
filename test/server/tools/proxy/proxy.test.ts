/** The proxy on real loopback sockets: pass-through, cuts (timer, on demand, byte budget), failures. */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerConnection } from '../../../../server/socket/server-connection.js';
import { cutSchedule } from '../../../../server/tools/proxy/random.js';
import type { ProxyConnection, ProxyCut } from '../../../../server/tools/proxy/proxy.js';
import { listen, listenEcho } from '../../../helpers/servers.js';
import { closeAll, closedPort, collect, nextEvent, proxyTo, tcpConnect, tcpServer, wsClosed, wsMessage, wsOpen } from './proxy-fixtures.js';

afterEach(closeAll);

describe('proxy: pass-through', () => {
  it('carries WebSocket messages unchanged both ways (text, binary, 0 B to 1 MiB)', async () => {
    const { port } = await listenEcho();
    const proxy = await proxyTo(port);
    const ws = await wsOpen(proxy.port);
    const payloads: Array<string | Buffer> = ['', 'héllo wörld', Buffer.alloc(0), randomBytes(125), randomBytes(126), randomBytes(65_536), randomBytes(1 << 20)];
    for (const payload of payloads) {
      ws.send(payload);
      const { data, isBinary } = await wsMessage(ws);
      expect(isBinary).toBe(typeof payload !== 'string');
      expect(data.equals(Buffer.from(payload))).toBe(true);
    }
    const stats = proxy.stats();
    expect(stats).toMatchObject({ accepted: 1, open: 1, cuts: 0, failed: 0, swallowed: { up: 0, down: 0 } });
    expect(stats.bytes.up).toBeGreaterThan(1 << 20);
    expect(stats.bytes.down).toBeGreaterThan(1 << 20);
  });

  it('carries raw bytes both ways and forwards a half-close', async () => {
    const sent = randomBytes(300_000);
    const reply = randomBytes(200_000);
    let received: Promise<{ data: Buffer }> | undefined;
    const { port } = await tcpServer((socket) => {
      received = collect(socket);
      socket.on('end', () => socket.end(reply));
    });
    const proxy = await proxyTo(port);
    const client = await tcpConnect(proxy.port);
    const answer = collect(client);
    client.end(sent); // half-close: the reply must still come back
    expect((await answer).data.equals(reply)).toBe(true);
    expect((await received!).data.equals(sent)).toBe(true);
    expect(proxy.stats().bytes).toEqual({ up: sent.length, down: reply.length });
  });
});

describe('proxy: cuts', () => {
  it('cutAfter resets both ends at once: no close frame, 1006 on both sides', async () => {
    const { wss, port } = await listenEcho();
    const serverClose = new Promise<number>((resolve) => wss.once('connection', (c: ServerConnection) => c.once('close', (code) => resolve(code))));
    const proxy = await proxyTo(port, { cutAfter: 200 });
    const cuts: ProxyCut[] = [];
    proxy.on('cut', (cut) => cuts.push(cut));
    const linkClosed = nextEvent(proxy, 'close');
    const opened = performance.now();
    const ws = await wsOpen(proxy.port);
    ws.send('before');
    expect((await wsMessage(ws)).data.toString()).toBe('before');
    const { code } = await wsClosed(ws);
    expect(code).toBe(1006);
    expect(await serverClose).toBe(1006);
    expect(performance.now() - opened).toBeGreaterThanOrEqual(190);
    expect(cuts).toHaveLength(1);
    expect(cuts[0]).toMatchObject({ id: 1, reason: 'timer', direction: undefined });
    expect(cuts[0]!.after).toBeGreaterThanOrEqual(199);
    await linkClosed;
    expect(proxy.stats()).toMatchObject({ cuts: 1, open: 0, accepted: 1 });
  });

  it('a cut resets raw TCP sockets on both sides (ECONNRESET, no FIN)', async () => {
    const { port, accepted } = await tcpServer();
    const proxy = await proxyTo(port, { cutAfter: 100 });
    const client = await tcpConnect(proxy.port);
    const [clientEnd, targetEnd] = await Promise.all([collect(client), accepted(0).then(collect)]);
    expect(clientEnd.error?.code).toBe('ECONNRESET');
    expect(targetEnd.error?.code).toBe('ECONNRESET');
  });

  it('cutAll() cuts every open connection on demand and the next one passes again', async () => {
    const { port } = await listenEcho();
    const proxy = await proxyTo(port);
    const [a, b] = await Promise.all([wsOpen(proxy.port), wsOpen(proxy.port)]);
    const closed = Promise.all([wsClosed(a!), wsClosed(b!)]);
    expect(proxy.cutAll()).toBe(2);
    expect((await closed).map((c) => c.code)).toEqual([1006, 1006]);
    expect(proxy.cutAll()).toBe(0);
    const c = await wsOpen(proxy.port);
    c.send('again');
    expect((await wsMessage(c)).data.toString()).toBe('again');
    expect(proxy.stats()).toMatchObject({ accepted: 3, open: 1, cuts: 2 });
  });

  it('cutEveryBytes (up) delivers exactly the budget, then resets both ends; each connection has its own budget', async () => {
    const received: Array<Promise<{ data: Buffer; error: NodeJS.ErrnoException | undefined }>> = [];
    const { port, accepted } = await tcpServer((socket) => received.push(collect(socket)));
    const proxy = await proxyTo(port, { up: { cutEveryBytes: 40 } });
    const cuts: ProxyCut[] = [];
    proxy.on('cut', (cut) => cuts.push(cut));
    const payload = randomBytes(100);
    const first = await tcpConnect(proxy.port);
    const firstClosed = collect(first);
    first.write(payload);
    await accepted(0);
    const target = await received[0]!;
    expect(target.data.equals(payload.subarray(0, 40))).toBe(true);
    // The RST follows the last byte at once: Linux reports it as a reset or, when those bytes
    // were still unread, as a plain end of stream. Either way nothing after the budget arrives.
    expect([undefined, 'ECONNRESET']).toContain(target.error?.code);
    expect((await firstClosed).error?.code).toBe('ECONNRESET');
    expect(cuts).toEqual([expect.objectContaining({ id: 1, reason: 'bytes', direction: 'up', up: 40, down: 0 })]);

    const second = await tcpConnect(proxy.port);
    second.write(payload.subarray(0, 39)); // under the budget: passes, no cut
    second.end();
    await accepted(1);
    const target2 = await received[1]!;
    expect(target2.data.equals(payload.subarray(0, 39))).toBe(true);
    expect(target2.error).toBeUndefined();
    expect(proxy.stats().cuts).toBe(1);
  });

  it('cutEveryBytes (down) cuts a WebSocket mid-stream: the client sees 1006 after fewer messages than sent', async () => {
    const { port } = await listenEcho();
    const proxy = await proxyTo(port, { down: { cutEveryBytes: 1000 } });
    const ws = await wsOpen(proxy.port);
    let messages = 0;
    ws.on('message', () => messages++);
    const closed = wsClosed(ws);
    for (let i = 0; i < 20; i++) ws.send('x'.repeat(100));
    expect((await closed).code).toBe(1006);
    // The 101 response took part of the budget; 20 echoes of 102 bytes would need 2040 more.
    expect(messages).toBeGreaterThan(0);
    expect(messages).toBeLessThan(10);
  });

  it('a target that refuses: the client is reset and the connection counted as failed', async () => {
    const proxy = await proxyTo(await closedPort());
    const linkClosed = nextEvent<[unknown, NodeJS.ErrnoException | undefined]>(proxy, 'close');
    const client = await tcpConnect(proxy.port);
    const { error } = await collect(client);
    expect(error?.code).toBe('ECONNRESET');
    expect((await linkClosed)[1]?.code).toBe('ECONNREFUSED');
    expect(proxy.stats()).toMatchObject({ accepted: 1, failed: 1, open: 0, cuts: 0 });
  });
});

describe('proxy: seeded schedule', () => {
  it('gives connections the cut times of cutSchedule(seed), in accept order', async () => {
    const { port } = await listen();
    const proxy = await proxyTo(port, { cutAfter: [5_000, 60_000], seed: 1234 });
    const seen: ProxyConnection[] = [];
    proxy.on('connection', (c) => seen.push(c));
    for (let i = 0; i < 3; i++) await wsOpen(proxy.port);
    expect(seen.map((c) => c.cutAfter)).toEqual(cutSchedule(1234, [5_000, 60_000], 3));
    expect(proxy.seed).toBe(1234);
    expect(proxy.stats().seed).toBe(1234);
  });
});
