/**
 * Many WebSockets on one HTTP/2 session: HTTP/2 flow control is the backpressure (a reader that
 * stops holds only its own stream back), a reset stream is an abnormal close (1006) that leaves
 * its neighbours alone, and the close handshake, close timer, ping/pong and limits behave as over
 * TCP.
 */
import { once } from 'node:events';
import { constants } from 'node:http2';
import type { ClientHttp2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebSocketServerOptions } from '../../server/socket/websocket-server.js';
import type { ServerConnection } from '../../server/socket/server-connection.js';
import { H2EngineClient, answer, closeH2, connectH2, extendedConnect, listenTls } from '../helpers/h2-client.js';
import { encodeClientFrame } from '../helpers/raw-client.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Closed {
  readonly path: string;
  readonly code: number;
  readonly reason: string;
}

/** A TLS WebSocketServer echoing on every path; records every server-side close. */
async function start(options: Omit<WebSocketServerOptions, 'port' | 'host' | 'tls'> = {}) {
  const wss = await listenTls(options, cleanups);
  const closed: Closed[] = [];
  const sockets = new Map<string, ServerConnection>();
  wss.on('connection', (ws, req) => {
    const path = req.url ?? '';
    sockets.set(path, ws);
    ws.on('error', () => {});
    ws.on('message', (data, isBinary) => {
      if (path !== '/slow') ws.send(data, { binary: isBinary });
    });
    ws.on('close', (code, reason) => closed.push({ path, code, reason: reason.toString() }));
  });
  const session = await connectH2((wss.address() as AddressInfo).port);
  cleanups.push(() => closeH2(session));
  return { wss, session, closed, sockets };
}

async function until(ready: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function openMany(session: ClientHttp2Session, count: number): Promise<H2EngineClient[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => H2EngineClient.open(session, `/s${i}`)));
}

describe('many WebSockets on one HTTP/2 session', () => {
  it('a reader that stops holds back only its own stream: the others keep exchanging, and nothing is lost', async () => {
    const { session, sockets } = await start();
    const slowStream = extendedConnect(session, '/slow');
    expect((await answer(slowStream)).status).toBe(200);
    slowStream.pause(); // reads nothing: its stream window (64 KiB) fills and stays full
    await until(() => sockets.has('/slow'), 'the slow connection');
    const slow = sockets.get('/slow')!;
    const message = Buffer.alloc(16 * 1024, 0x61);
    let sent = 0;
    // Bounded: far more than the stream and session windows together.
    while (slow.bufferedAmount < 512 * 1024 && sent < 200) {
      slow.send(message);
      sent += 1;
    }
    const others = await openMany(session, 8);
    for (const [i, client] of others.entries()) for (let n = 0; n < 20; n++) client.send(`client ${i} message ${n}`);
    await Promise.all(others.map((client) => client.waitForMessages(20)));
    for (const [i, client] of others.entries()) {
      expect(client.messages.map((m) => m.data.toString())).toEqual(Array.from({ length: 20 }, (_, n) => `client ${i} message ${n}`));
    }
    // HTTP/2 flow control is what held the slow stream's data: it is still queued on the server.
    expect(slow.bufferedAmount).toBeGreaterThan(256 * 1024);
    // Once it reads, every byte arrives, in order.
    let received = 0;
    slowStream.on('data', (chunk: Buffer) => (received += chunk.length));
    slowStream.resume();
    const frameBytes = 4 + message.length; // 2-byte header + 16-bit length
    await until(() => received === sent * frameBytes, `${sent * frameBytes} bytes on the slow stream (got ${received})`, 10_000);
    await until(() => slow.bufferedAmount === 0, 'the slow queue to drain');
  });

  it('a stream reset in the middle of a message closes that WebSocket with 1006; its neighbours carry on', async () => {
    const { session, closed } = await start();
    const [a, b, victim] = await openMany(session, 3);
    const frame = encodeClientFrame(2, Buffer.alloc(1000, 7));
    victim!.stream.write(frame.subarray(0, 500)); // half a frame
    await new Promise((resolve) => setTimeout(resolve, 20));
    victim!.stream.close(constants.NGHTTP2_CANCEL);
    await until(() => closed.length === 1, 'the victim to close');
    expect(closed).toEqual([{ path: '/s2', code: 1006, reason: '' }]);
    a!.send('still here');
    b!.send(Buffer.of(1, 2, 3));
    await Promise.all([a!.waitForMessages(1), b!.waitForMessages(1)]);
    expect([a!.messages[0]!.data.toString(), b!.messages[0]!.data]).toEqual(['still here', Buffer.of(1, 2, 3)]);
    expect(a!.messages[0]!.isBinary).toBe(false);
    expect(b!.messages[0]!.isBinary).toBe(true);
  });

  it('the session dying closes every WebSocket on it with 1006', async () => {
    const { session, closed } = await start();
    await openMany(session, 4);
    session.destroy();
    await until(() => closed.length === 4, 'four closes');
    expect(closed.map((c) => c.code)).toEqual([1006, 1006, 1006, 1006]);
  });
});

describe('one WebSocket over an HTTP/2 stream', () => {
  it('close handshake: the server echoes the close and ends the stream, which then closes cleanly', async () => {
    const { session, closed } = await start();
    const [client] = await openMany(session, 1);
    client!.close(4000, 'bye');
    expect(await client!.closed).toEqual({ code: 4000, reason: '', rstCode: constants.NGHTTP2_NO_ERROR });
    await until(() => closed.length === 1, 'the server close');
    expect(closed).toEqual([{ path: '/s0', code: 4000, reason: 'bye' }]);
  });

  it('a server close the peer never answers: the close timer resets the stream (CANCEL), 1006 ERR_CLOSE_TIMEOUT', async () => {
    const { session, closed, sockets } = await start({ closeTimeout: 200 });
    const stream = extendedConnect(session, '/mute');
    expect((await answer(stream)).status).toBe(200);
    let received = Buffer.alloc(0);
    stream.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk]))); // never answers
    await until(() => sockets.has('/mute'), 'the connection');
    sockets.get('/mute')!.close(1001, 'going');
    await once(stream, 'close');
    expect(received.equals(Buffer.from([0x88, 7, 0x03, 0xe9, ...Buffer.from('going')]))).toBe(true);
    expect(stream.rstCode).toBe(constants.NGHTTP2_CANCEL);
    await until(() => closed.length === 1, 'the server close');
    expect(closed).toEqual([{ path: '/mute', code: 1006, reason: 'ERR_CLOSE_TIMEOUT' }]);
  });

  it('pings both ways: the engine answers the peer\'s ping, and the peer\'s pong reaches the server', async () => {
    const { session, sockets } = await start();
    const [client] = await openMany(session, 1);
    client!.ping('are you there');
    await until(() => client!.pongs.length === 1, 'the pong');
    expect(client!.pongs[0]!.toString()).toBe('are you there');
    const pongs: string[] = [];
    sockets.get('/s0')!.on('pong', (data) => pongs.push(data.toString()));
    sockets.get('/s0')!.ping('server ping');
    await until(() => pongs.length === 1, 'the server to see the pong');
    expect(pongs).toEqual(['server ping']);
  });

  it('the same limits: a message over maxPayload fails the connection with 1009', async () => {
    const { session, closed } = await start({ maxPayload: 1024 });
    const [client] = await openMany(session, 1);
    client!.send(Buffer.alloc(1025));
    expect((await client!.closed).code).toBe(1009);
    await until(() => closed.length === 1, 'the server close');
    expect(closed[0]!.code).toBe(1009);
  });

  it('permessage-deflate works over a stream: compressed both ways, echoed intact', async () => {
    const { session, sockets } = await start({ perMessageDeflate: { threshold: 0 } });
    const stream = extendedConnect(session, '/deflate', { 'sec-websocket-extensions': 'permessage-deflate' });
    const answered = await answer(stream);
    expect(answered.status === 200 && answered.headers['sec-websocket-extensions']).toBe('permessage-deflate');
    await until(() => sockets.has('/deflate'), 'the connection');
    const raw: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => raw.push(chunk));
    // "Hello" compressed per RFC 7692 §7.2.3.1, masked, RSV1 set.
    stream.write(encodeClientFrame(1, Buffer.from([0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]), { rsv: 4 }));
    await until(() => Buffer.concat(raw).length >= 9, 'the compressed echo');
    expect(Buffer.concat(raw)).toEqual(Buffer.from([0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]));
  });
});
