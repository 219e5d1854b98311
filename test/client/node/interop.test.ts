/**
 * Tandem's engine in the client role (client/node's WebSocket) against two servers: the `ws`
 * package's (an independent RFC 6455 stack) and Tandem's own WebSocketServer. Every case runs
 * against both; the server side of each is driven through the API they share (send with
 * `binary`/`fin`, ping, close, terminate).
 */
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer as WsServer } from 'ws';
import type { WebSocket as WsSocket } from 'ws';
import { WebSocketServer } from '../../../server/socket/websocket-server.js';
import { Recorded, closeAllNode } from '../../helpers/node-websocket.js';
import { pseudoRandomBytes } from '../../conformance/cases.js';

/** The server end of a connection, as ws's and Tandem's both offer it. */
interface ServerEnd {
  send(data: string | Uint8Array, options?: { binary?: boolean; fin?: boolean }): void;
  ping(data?: Uint8Array): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  on(event: 'message', l: (data: Buffer, isBinary: boolean) => void): unknown;
  on(event: 'pong' | 'ping', l: (data: Buffer) => void): unknown;
  on(event: 'close', l: (code: number, reason: Buffer) => void): unknown;
}

interface Server {
  readonly name: string;
  readonly port: number;
  /** Resolves with the server end of the next connection. */
  next(): Promise<ServerEnd>;
  close(): Promise<void>;
}

/** `echoesReason`: ws echoes a close's reason with its code; Tandem's engine echoes the code only. */
type Factory = { name: string; echoesReason: boolean; start(options?: { echo?: boolean; deflate?: object | false }): Promise<Server> };

/** What both servers are to `wire`: a source of `connection` events carrying a {@link ServerEnd}. */
type ConnectionSource = { on(e: 'connection', l: (end: ServerEnd) => void): unknown };

function wire(name: string, server: ConnectionSource, port: number, echo: boolean, close: () => Promise<void>): Server {
  const waiting: Array<(s: ServerEnd) => void> = [];
  const arrived: ServerEnd[] = [];
  server.on('connection', (end) => {
    if (echo) end.on('message', (data, isBinary) => end.send(data, { binary: isBinary }));
    const w = waiting.shift();
    if (w !== undefined) w(end);
    else arrived.push(end);
  });
  return {
    name,
    port,
    next: () => (arrived.length > 0 ? Promise.resolve(arrived.shift()!) : new Promise((resolve) => waiting.push(resolve))),
    close,
  };
}

const wsFactory: Factory = {
  name: 'ws server',
  echoesReason: true,
  async start({ echo = true, deflate = false } = {}) {
    const wss = new WsServer({ port: 0, host: '127.0.0.1', perMessageDeflate: deflate === false ? false : { threshold: 0, ...deflate } });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    const close = () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients as Set<WsSocket>) c.terminate();
        wss.close(() => resolve());
      });
    return wire('ws', wss as unknown as ConnectionSource, (wss.address() as AddressInfo).port, echo, close);
  },
};

const tandemFactory: Factory = {
  name: 'Tandem server',
  echoesReason: false,
  async start({ echo = true, deflate = false } = {}) {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: deflate === false ? false : { threshold: 0, ...deflate } });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    const close = () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      });
    return wire('tandem', wss as unknown as ConnectionSource, (wss.address() as AddressInfo).port, echo, close);
  },
};

const servers: Server[] = [];
afterEach(async () => {
  closeAllNode();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const KiB = 1024;
const MiB = 1024 * KiB;

describe.each([wsFactory, tandemFactory])('Node client engine ⇄ $name', (factory) => {
  async function server(options?: { echo?: boolean; deflate?: object | false }): Promise<Server> {
    const s = await factory.start(options);
    servers.push(s);
    return s;
  }
  const url = (s: Server) => `ws://127.0.0.1:${s.port}/path?q=1`;

  it.each([0, 125, 126, 65535, 65536, 16 * MiB])('echoes a %i-byte binary and text message exactly', async (size) => {
    const s = await server();
    const c = await new Recorded(url(s), undefined, { perMessageDeflate: false }).open();
    const bytes = pseudoRandomBytes(size, size);
    const text = 'é'.repeat(size >> 1) + 'x'.repeat(size & 1);
    c.ws.send(bytes);
    c.ws.send(text);
    const [gotBytes, gotText] = await c.nextMessages(2, 30_000);
    expect(Buffer.isBuffer(gotBytes) && Buffer.compare(gotBytes, Buffer.from(bytes))).toBe(0);
    expect(typeof gotText === 'string' && gotText === text).toBe(true);
  }, 60_000);

  it('receives a fragmented text message whose multi-byte characters straddle the frames', async () => {
    const s = await server({ echo: false });
    const c = await new Recorded(url(s), undefined, { perMessageDeflate: false }).open();
    const end = await s.next();
    const whole = Buffer.from('a€b😀c', 'utf8'); // € is 3 bytes, 😀 4
    // Cut inside the euro sign and inside the emoji: each frame alone is invalid UTF-8.
    end.send(whole.subarray(0, 2), { binary: false, fin: false });
    end.send(whole.subarray(2, 7), { binary: false, fin: false });
    end.send(whole.subarray(7), { binary: false, fin: true });
    end.send(Uint8Array.of(1, 2), { binary: true, fin: false });
    end.send(Uint8Array.of(3), { binary: true, fin: true });
    expect(await c.nextMessages(2)).toEqual(['a€b😀c', Buffer.from([1, 2, 3])]);
  });

  it('pings both ways: the server answers ours, we answer the server\'s (auto-pong), both reported', async () => {
    const s = await server({ echo: false });
    const c = await new Recorded(url(s), undefined, { perMessageDeflate: false }).open();
    const end = await s.next();
    const serverPongs: string[] = [];
    end.on('pong', (data) => serverPongs.push(data.toString()));
    c.ws.ping(Buffer.from('from client'));
    end.ping(Buffer.from('from server'));
    await c.until(() => c.events.some((e) => e.type === 'pong') && c.events.some((e) => e.type === 'ping'));
    await c.until(() => serverPongs.length === 1);
    expect(c.events.filter((e) => e.type === 'ping' || e.type === 'pong')).toEqual(
      expect.arrayContaining([
        { type: 'pong', data: Buffer.from('from client') },
        { type: 'ping', data: Buffer.from('from server') },
      ]),
    );
    expect(serverPongs).toEqual(['from server']);
    expect(() => c.ws.ping(Buffer.alloc(126))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
  });

  it('client-initiated close: the server gets the code and reason, the client a clean close with the echo', async () => {
    const s = await server({ echo: false });
    const c = await new Recorded(url(s), undefined, { perMessageDeflate: false }).open();
    const end = await s.next();
    const serverClose = new Promise<[number, string]>((resolve) => end.on('close', (code, reason) => resolve([code, reason.toString()])));
    c.ws.close(4321, 'bye now');
    expect(c.ws.readyState).toBe(2);
    c.ws.send('discarded');
    expect(c.ws.bufferedAmount).toBeGreaterThanOrEqual(9);
    expect(await serverClose).toEqual([4321, 'bye now']);
    // The close event reports the server's close frame: its echo of our code (and, from ws, of our reason).
    expect(await c.closed()).toEqual({ type: 'close', code: 4321, reason: factory.echoesReason ? 'bye now' : '', wasClean: true });
    expect(c.ws.readyState).toBe(3);
    expect(c.error()).toBeUndefined();
  });

  it('server-initiated close: code and reason reported, echoed, clean', async () => {
    const s = await server({ echo: false });
    const c = await new Recorded(url(s), undefined, { perMessageDeflate: false }).open();
    const end = await s.next();
    const serverClose = new Promise<number>((resolve) => end.on('close', (code) => resolve(code)));
    end.close(4000, 'go away');
    expect(await c.closed()).toEqual({ type: 'close', code: 4000, reason: 'go away', wasClean: true });
    expect(await serverClose).toBe(4000);
  });

  it('an empty close frame from the server is reported as 1005', async () => {
    const s = await server({ echo: false });
    const c = await new Recorded(url(s), undefined, { perMessageDeflate: false }).open();
    (await s.next()).close();
    expect(await c.closed()).toEqual({ type: 'close', code: 1005, reason: '', wasClean: true });
  });

  it('a dropped TCP connection is 1006, not clean', async () => {
    const s = await server({ echo: false });
    const c = await new Recorded(url(s), undefined, { perMessageDeflate: false }).open();
    (await s.next()).terminate();
    const closed = await c.closed();
    expect(closed).toMatchObject({ type: 'close', code: 1006, wasClean: false });
  });

  it('oversized message (over maxPayload) fails the connection with 1009', async () => {
    const s = await server({ echo: false });
    const c = await new Recorded(url(s), undefined, { perMessageDeflate: false, maxPayload: 1000 }).open();
    const end = await s.next();
    const serverClose = new Promise<number>((resolve) => end.on('close', (code) => resolve(code)));
    end.send(new Uint8Array(1000));
    end.send(new Uint8Array(1001));
    expect(await serverClose).toBe(1009);
    expect(await c.closed()).toMatchObject({ code: 1009, wasClean: false });
    expect(c.messages()).toHaveLength(1);
    expect(c.error()).toMatchObject({ name: 'ProtocolError', code: 'ERR_MESSAGE_TOO_BIG', closeCode: 1009 });
  });

  it.each([
    [{}, {}],
    [{ serverNoContextTakeover: true }, {}],
    [{ clientNoContextTakeover: true }, {}],
    [{ serverMaxWindowBits: 10 }, {}],
    [{ clientMaxWindowBits: 9 }, {}],
    [{}, { serverNoContextTakeover: true }],
    [{}, { clientNoContextTakeover: true }],
    [{}, { serverMaxWindowBits: 9 }],
    [{}, { clientMaxWindowBits: 11 }],
    [{ serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 12, clientMaxWindowBits: 12 }, { serverMaxWindowBits: 10, clientMaxWindowBits: 9 }],
  ])('permessage-deflate both ways: client offers %j, server configured %j', async (offer, configured) => {
    const s = await server({ deflate: configured });
    const c = await new Recorded(url(s), undefined, { perMessageDeflate: { threshold: 0, ...offer } }).open();
    expect(c.ws.extensions).toMatch(/^permessage-deflate/);
    // Repeated content exercises the LZ77 window across messages (context takeover or not).
    const sent = ['hello hello hello', 'hello hello hello', 'x'.repeat(70 * KiB), Buffer.from(pseudoRandomBytes(100 * KiB, 7)), ''];
    for (const m of sent) c.ws.send(m);
    const got = await c.nextMessages(sent.length);
    expect(got.map((m) => (typeof m === 'string' ? m : m.toString('hex')))).toEqual(sent.map((m) => (typeof m === 'string' ? m : m.toString('hex'))));
  });

  it('an inflated message over maxPayload fails with 1009 (zip bomb)', async () => {
    const s = await server({ echo: false, deflate: {} });
    const c = await new Recorded(url(s), undefined, { perMessageDeflate: true, maxPayload: 64 * KiB }).open();
    const end = await s.next();
    end.send(new Uint8Array(10 * MiB)); // compresses to ~10 KiB: far under the limit on the wire
    expect(await c.closed()).toMatchObject({ code: 1009, wasClean: false });
    expect(c.messages()).toEqual([]);
    expect(c.error()).toMatchObject({ code: 'ERR_MESSAGE_TOO_BIG', closeCode: 1009 });
  });

  it('negotiates the subprotocol among those offered', async () => {
    const s = await server();
    const c = await new Recorded(url(s), ['chat', 'superchat'], { perMessageDeflate: false }).open();
    expect(c.ws.protocol).toBe('chat');
  });
});
