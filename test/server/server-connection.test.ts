import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { ServerConnection } from '../../server/socket/server-connection.js';
import { isValidWireCloseCode } from '../../src/close-codes.js';
import type { WebSocketServerOptions } from '../../server/socket/websocket-server.js';
import { RawClient, closeCodeOf, closePayload, encodeClientFrame } from '../helpers/raw-client.js';
import { listen, stopAll } from '../helpers/servers.js';
import { nextEvent } from '../helpers/wait.js';

afterEach(stopAll);

type Options = Omit<WebSocketServerOptions, 'port' | 'host' | 'server' | 'noServer'>;

async function pair(options: Options = {}): Promise<{ ws: ServerConnection; req: IncomingMessage; client: RawClient; port: number }> {
  const { wss, port } = await listen(options);
  const connected = new Promise<[ServerConnection, IncomingMessage]>((resolve) => wss.once('connection', (ws, req) => resolve([ws, req])));
  const client = await RawClient.connect(port);
  const [ws, req] = await connected;
  return { ws, req, client, port };
}

describe('ServerConnection: messages', () => {
  it('emits text as (Buffer, false) and binary as (Buffer, true)', async () => {
    const { ws, client } = await pair();
    const got: Array<[string, boolean, boolean]> = [];
    ws.on('message', (data, isBinary) => got.push([data.toString('hex'), isBinary, Buffer.isBuffer(data)]));
    client.sendFrame(1, 'héllo');
    client.sendFrame(2, Uint8Array.of(0, 1, 255));
    await new Promise<void>((resolve) => ws.on('message', () => got.length === 2 && resolve()));
    expect(got).toEqual([
      [Buffer.from('héllo').toString('hex'), false, true],
      ['0001ff', true, true],
    ]);
  });

  it('sends strings as text and bytes as binary, in exact frames', async () => {
    const { ws, client } = await pair();
    ws.send('hi');
    ws.send(Buffer.from([1, 2]));
    ws.send(Uint16Array.of(0x0201).buffer);
    ws.send(new Uint16Array([0x0403]));
    ws.send('as binary', { binary: true });
    ws.send(Buffer.from('as text'), { binary: false });
    ws.send('frag-', { fin: false });
    ws.send('ment');
    const frames = [];
    for (let i = 0; i < 8; i++) frames.push(await client.next());
    expect(frames.map((f) => [f?.opcode, f?.fin, f?.masked, f?.payload.toString('latin1')])).toEqual([
      [1, true, false, 'hi'],
      [2, true, false, '\x01\x02'],
      [2, true, false, '\x01\x02'],
      [2, true, false, '\x03\x04'],
      [2, true, false, 'as binary'],
      [1, true, false, 'as text'],
      [1, false, false, 'frag-'],
      [0, true, false, 'ment'],
    ]);
  });

  it('calls the send callback once written, and reports sends after close without throwing', async () => {
    const { ws, client } = await pair();
    const done = await new Promise<unknown>((resolve) => ws.send('x', (err) => resolve(err)));
    expect(done).toBeFalsy();
    ws.close(1000);
    const err = await new Promise<unknown>((resolve) => ws.send('late', (e) => resolve(e)));
    expect(err).toMatchObject({ code: 'ERR_INVALID_STATE' });
    expect(() => ws.send('late, no callback')).not.toThrow();
    client.destroy();
  });

  it('batches a burst of sends in one tick into one writev', async () => {
    const { ws, req, client } = await pair();
    const socket = req.socket as Socket & { _writev: (...a: unknown[]) => void; _write: (...a: unknown[]) => void };
    const calls = { writev: 0, write: 0 };
    const writev = socket._writev.bind(socket);
    const write = socket._write.bind(socket);
    socket._writev = (...a) => (calls.writev++, writev(...a));
    socket._write = (...a) => (calls.write++, write(...a));
    for (let i = 0; i < 100; i++) ws.send(`m${i}`);
    for (let i = 0; i < 100; i++) expect((await client.next())?.payload.toString()).toBe(`m${i}`);
    expect(calls).toEqual({ writev: 1, write: 0 });
  });

  it('reports bufferedAmount and emits drain', async () => {
    const { ws, client } = await pair();
    client.socket.pause();
    ws.send(Buffer.alloc(8 * 1024 * 1024));
    expect(ws.bufferedAmount).toBeGreaterThan(0);
    const drained = nextEvent(ws, 'drain');
    client.socket.resume();
    await drained;
    expect(ws.bufferedAmount).toBe(0);
  });
});

describe('ServerConnection: control frames', () => {
  it('pings with a payload and emits pong; emits ping for the peer’s pings', async () => {
    const { ws, client } = await pair();
    ws.ping('are you there');
    const ping = await client.next();
    expect([ping?.opcode, ping?.payload.toString()]).toEqual([9, 'are you there']);
    const pong = nextEvent<[Buffer]>(ws, 'pong');
    client.sendFrame(10, 'yes');
    expect((await pong)[0].toString()).toBe('yes');
    const pinged = nextEvent<[Buffer]>(ws, 'ping');
    client.sendFrame(9, 'and you?');
    expect((await pinged)[0].toString()).toBe('and you?');
    const auto = await client.next();
    expect([auto?.opcode, auto?.payload.toString()]).toEqual([10, 'and you?']);
  });

  it('refuses a ping payload over 125 bytes', async () => {
    const { ws } = await pair();
    expect(() => ws.ping(Buffer.alloc(126))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
  });

  it('exposes ws’s readyState constants', () => {
    expect([ServerConnection.CONNECTING, ServerConnection.OPEN, ServerConnection.CLOSING, ServerConnection.CLOSED]).toEqual([0, 1, 2, 3]);
  });
});

describe('ServerConnection: closing', () => {
  it('close(code, reason) sends the frame, waits for the peer, then reports its code and reason', async () => {
    const { ws, client } = await pair();
    ws.close(4000, 'bye');
    expect(ws.readyState).toBe(ServerConnection.CLOSING);
    const frame = await client.next();
    expect([frame?.opcode, frame?.payload.toString('hex')]).toEqual([8, closePayload(4000, 'bye').toString('hex')]);
    const closed = nextEvent<[number, Buffer]>(ws, 'close');
    client.sendClose(4000, 'ok');
    const [code, reason] = await closed;
    expect([code, reason.toString(), Buffer.isBuffer(reason)]).toEqual([4000, 'ok', true]);
    expect(ws.readyState).toBe(ServerConnection.CLOSED);
    await client.closed; // the server ends the TCP connection (RFC 6455 §7.1.1)
  });

  it('answers a peer’s close with the same code and reports it', async () => {
    const { ws, client } = await pair();
    const closed = nextEvent<[number, Buffer]>(ws, 'close');
    client.sendClose(1001, 'leaving');
    expect(closeCodeOf((await client.next())!)).toBe(1001);
    const [code, reason] = await closed;
    expect([code, reason.toString()]).toEqual([1001, 'leaving']);
  });

  it('reports 1005 for an empty close frame', async () => {
    const { ws, client } = await pair();
    const closed = nextEvent<[number, Buffer]>(ws, 'close');
    client.sendClose();
    expect((await closed)[0]).toBe(1005);
  });

  it('throws for a close code that may not be sent', async () => {
    const { ws } = await pair();
    for (const code of [1005, 1006, 999, 5000]) expect(() => ws.close(code)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(ws.readyState).toBe(ServerConnection.OPEN);
  });

  it('destroys the socket when the peer does not answer within closeTimeout (1006)', async () => {
    const { ws, client } = await pair({ closeTimeout: 100 });
    const closed = nextEvent<[number, Buffer]>(ws, 'close');
    ws.close(1000);
    expect((await client.next())?.opcode).toBe(8);
    expect((await closed)[0]).toBe(1006);
  });

  it('terminate() drops the connection without a close frame (1006)', async () => {
    const { ws, client } = await pair();
    const closed = nextEvent<[number, Buffer]>(ws, 'close');
    ws.terminate();
    expect(await client.rest()).toEqual([]);
    expect((await closed)[0]).toBe(1006);
  });

  it('a reset connection becomes close 1006, never an error event', async () => {
    const { ws, client } = await pair();
    const errors: unknown[] = [];
    ws.on('error', (e) => errors.push(e));
    const closed = nextEvent<[number, Buffer]>(ws, 'close');
    client.socket.resetAndDestroy();
    expect((await closed)[0]).toBe(1006);
    expect(errors).toEqual([]);
  });
});

describe('ServerConnection: protocol errors', () => {
  it('an unmasked client frame: error with code and closeCode, close frame 1002, close event 1002', async () => {
    const { ws, client } = await pair();
    const error = nextEvent<[Error & { code: string; closeCode: number }]>(ws, 'error');
    const closed = nextEvent<[number, Buffer]>(ws, 'close');
    client.sendFrame(1, 'plain', { mask: null });
    const [err] = await error;
    expect([err.name, err.code, err.closeCode]).toEqual(['ProtocolError', 'ERR_EXPECTED_MASK', 1002]);
    expect(closeCodeOf((await client.next())!)).toBe(1002);
    expect((await closed)[0]).toBe(1002);
  });

  it('maxPayload: a message one byte too big is failed with 1009 before it is buffered', async () => {
    const { ws, client } = await pair({ maxPayload: 1024 });
    const messages: Buffer[] = [];
    ws.on('message', (d) => messages.push(d));
    const error = nextEvent<[Error & { code: string; closeCode: number }]>(ws, 'error');
    client.sendFrame(2, Buffer.alloc(1024));
    client.send(encodeClientFrame(2, Buffer.alloc(1025)).subarray(0, 20)); // only the header: the length alone decides
    const [err] = await error;
    expect([err.code, err.closeCode]).toEqual(['ERR_MESSAGE_TOO_BIG', 1009]);
    expect(messages.map((m) => m.length)).toEqual([1024]);
    expect(closeCodeOf((await client.next())!)).toBe(1009);
  });

  it('random byte streams never crash the server: each connection ends with a sendable or 1005/1006 code', async () => {
    const { wss, port } = await listen();
    const codes: number[] = [];
    wss.on('connection', (ws) => {
      ws.on('message', (d, isBinary) => ws.send(d, { binary: isBinary }));
      ws.on('close', (code) => codes.push(code));
    });
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 300 }), async (bytes) => {
        const client = await RawClient.connect(port);
        client.send(bytes);
        // A stream that ends mid-frame leaves the server waiting for more: hang up after a moment.
        await Promise.race([client.closed, new Promise((r) => setTimeout(r, 60))]);
        client.destroy();
      }),
      { numRuns: 40, seed: 6455 },
    );
    await new Promise<void>((resolve) => {
      const check = (): void => void (wss.clients.size === 0 ? resolve() : setTimeout(check, 10));
      check();
    });
    expect(codes).toHaveLength(40);
    for (const code of codes) expect(code === 1005 || code === 1006 || isValidWireCloseCode(code), String(code)).toBe(true);
    expect(codes.some((c) => c === 1002)).toBe(true);
    const client = await RawClient.connect(port);
    client.sendFrame(1, 'still alive');
    expect((await client.next())?.payload.toString()).toBe('still alive');
    client.destroy();
  });
});

describe('ServerConnection: backpressure', () => {
  it('a peer that pings without reading makes the server pause reading, bounding its write buffer', async () => {
    const { ws, req, client } = await pair();
    const socket = req.socket;
    let pings = 0;
    ws.on('ping', () => pings++);
    client.socket.pause(); // never read the pongs
    const ping = encodeClientFrame(9, Buffer.alloc(125, 0x70));
    const batch = Buffer.concat(Array.from({ length: 512 }, () => ping)); // 64 KiB of pings
    const total = 512 * 512; // 32 MiB of pings, far beyond loopback socket buffers
    for (let i = 0; i < 512; i++) client.socket.write(batch);
    // Wait until the server stops making progress.
    let last = -1;
    while (pings !== last) {
      last = pings;
      await new Promise((r) => setTimeout(r, 150));
    }
    expect(pings).toBeLessThan(total);
    expect(socket.isPaused()).toBe(true);
    expect(socket.writableLength).toBeLessThan(1024 * 1024);
    client.destroy();
  });
});
