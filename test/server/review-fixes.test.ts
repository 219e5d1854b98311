/**
 * Review findings on the socket layer (issues 2 and 5), each over real loopback sockets:
 * a throwing listener does not silence the connection; close() with compression in flight stops
 * later sends at once and validates its code synchronously; inbound compressed messages are
 * back-pressured; a close timeout says so; WebSocketServer.close() refuses handshakes that
 * finish during an async verifyClient.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { deflateRawSync } from 'node:zlib';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { ServerConnection } from '../../server/socket/server-connection.js';
import type { MessageCodec } from '../../node/message-codec-queue.js';
import type { WebSocketServerOptions } from '../../server/socket/websocket-server.js';
import { RawClient, closeCodeOf, encodeClientFrame, rawExchange, upgradeRequest } from '../helpers/raw-client.js';
import { listen, listenEcho, stopAll } from '../helpers/servers.js';
import { closeDeflatePeers, nextMessage, openDeflatePeer } from '../helpers/deflate-peer.js';
import { until } from '../helpers/wait.js';

afterEach(async () => {
  closeDeflatePeers();
  await stopAll();
});

type Options = Omit<WebSocketServerOptions, 'port' | 'host' | 'server' | 'noServer'>;
const DEFLATE_OFFER = { 'Sec-WebSocket-Extensions': 'permessage-deflate' };

async function pair(options: Options = {}, headers: Record<string, string> = {}): Promise<{ ws: ServerConnection; req: IncomingMessage; client: RawClient }> {
  const { wss, port } = await listen(options);
  const connected = new Promise<[ServerConnection, IncomingMessage]>((resolve) => wss.once('connection', (ws, req) => resolve([ws, req])));
  const client = await RawClient.connect(port, '/', headers);
  const [ws, req] = await connected;
  return { ws, req, client };
}

/** Runs `fn` with the process's uncaughtException listeners (vitest's too) replaced by a recorder. */
async function recordingUncaught(fn: (caught: unknown[]) => Promise<void>): Promise<void> {
  const saved = process.listeners('uncaughtException');
  process.removeAllListeners('uncaughtException');
  const caught: unknown[] = [];
  const record = (err: unknown): void => void caught.push(err);
  process.on('uncaughtException', record);
  try {
    await fn(caught);
  } finally {
    process.off('uncaughtException', record);
    for (const listener of saved) process.on('uncaughtException', listener);
  }
}

describe('a throwing listener (item 1)', () => {
  it('surfaces as an uncaught exception, and messages 2 and 3 (same chunk and later) are still delivered', async () => {
    await recordingUncaught(async (caught) => {
      const { ws, client } = await pair();
      const got: string[] = [];
      const failure = new Error('listener bug');
      ws.on('message', (data) => {
        got.push(data.toString());
        if (got.length === 1) throw failure;
      });
      const frames = ['one', 'two'].map((s) => encodeClientFrame(1, s));
      client.send(Buffer.concat(frames)); // one chunk: the throw happens mid-chunk
      await until(() => got.length === 2);
      client.sendFrame(1, 'three');
      await until(() => got.length === 3);
      expect(got).toEqual(['one', 'two', 'three']);
      await until(() => caught.length === 1);
      expect(caught).toEqual([failure]);
      ws.send('still open');
      expect((await client.next())?.payload.toString()).toBe('still open');
    });
  });
});

describe('close() while compression is in flight (items 3, 9, 22)', () => {
  const big = 'x'.repeat(200_000);

  it('is CLOSING at once; a later send fails with ERR_INVALID_STATE and never reaches the wire', async () => {
    const { ws, client } = await pair({ perMessageDeflate: true }, DEFLATE_OFFER);
    const results: unknown[] = [];
    ws.send(big, (err) => results.push(err ?? 'sent'));
    ws.close(1000, 'bye');
    expect(ws.readyState).toBe(2);
    const late = await new Promise<unknown>((resolve) => ws.send('after-close', resolve));
    expect(late).toMatchObject({ code: 'ERR_INVALID_STATE' });
    const first = await client.next();
    expect([first?.opcode, first?.rsv, first?.fin]).toEqual([1, 4, true]);
    const second = await client.next();
    expect([second?.opcode, closeCodeOf(second!), second?.payload.subarray(2).toString()]).toEqual([8, 1000, 'bye']);
    client.sendClose(1000);
    expect(await client.rest()).toEqual([]);
    expect(results).toEqual(['sent']);
  });

  it('throws ERR_INVALID_ARGUMENT synchronously for a code that may not be sent, and stays OPEN', async () => {
    const { ws, client } = await pair({ perMessageDeflate: true }, DEFLATE_OFFER);
    ws.send(big);
    expect(() => ws.close(1005)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(ws.readyState).toBe(1);
    ws.close(4000);
    expect((await client.next())?.rsv).toBe(4);
    expect(closeCodeOf((await client.next())!)).toBe(4000);
  });
});

/** A codec whose inflations finish only when the test says so. */
function heldCodec(): { codec: MessageCodec; pending: Array<() => void> } {
  const pending: Array<() => void> = [];
  const codec: MessageCodec = {
    threshold: 1024,
    compress: (data) => Promise.resolve(data),
    decompress: (data) => new Promise((resolve) => pending.push(() => resolve(data))),
    close: () => {},
  };
  return { codec, pending };
}

describe('inbound compressed messages are back-pressured (item 8)', () => {
  it('stops reading while inflation is pending: bytes read stay bounded, then every message arrives in order', async () => {
    const { codec, pending } = heldCodec();
    const { ws, req, client } = await pair({ negotiateExtensions: () => ({ header: 'permessage-deflate', codec }) }, DEFLATE_OFFER);
    const count = 2000;
    const payloadBytes = 4096;
    for (let i = 0; i < count; i++) {
      const payload = Buffer.alloc(payloadBytes, i % 251);
      payload.writeUInt32BE(i, 0);
      client.sendFrame(2, payload, { rsv: 4 });
    }
    const socket = req.socket as Socket;
    let last = -1;
    await until(() => {
      const settled = socket.bytesRead === last && pending.length > 0;
      last = socket.bytesRead;
      return settled;
    });
    // 8 MiB were sent; without the pause the server reads (and holds) all of it.
    expect(socket.bytesRead).toBeLessThan(1024 * 1024);
    const got: number[] = [];
    ws.on('message', (data) => got.push(data.readUInt32BE(0)));
    while (got.length < count) {
      for (const release of pending.splice(0)) release();
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect(got).toEqual(Array.from({ length: count }, (_, i) => i));
  });

  it('a peer flooding compressed messages does not starve a second connection of its echoes', async () => {
    const { port } = await listenEcho({ perMessageDeflate: { threshold: 0 } });
    const flooder = await RawClient.connect(port, '/', DEFLATE_OFFER);
    const compressed = deflateRawSync(Buffer.alloc(64 * 1024, 'a'), { finishFlush: 2 /* Z_SYNC_FLUSH */ });
    const body = compressed.subarray(0, compressed.length - 4); // RFC 7692 §7.2.1: strip 00 00 ff ff
    for (let i = 0; i < 3000; i++) flooder.sendFrame(1, body, { rsv: 4 });
    const healthy = await openDeflatePeer(port);
    for (let i = 0; i < 5; i++) {
      healthy.send(`ping ${i}`);
      const [data, isBinary] = await nextMessage(healthy);
      expect([data.toString(), isBinary]).toEqual([`ping ${i}`, false]);
    }
    flooder.destroy();
  });
});

describe('close timeout (item 27)', () => {
  it('reports 1006 with the reason ERR_CLOSE_TIMEOUT when the peer never answers the close', async () => {
    const { ws, client } = await pair({ closeTimeout: 50 });
    const closed = new Promise<[number, string]>((resolve) => ws.once('close', (code, reason) => resolve([code, reason.toString()])));
    ws.close(1000);
    expect((await client.next())?.opcode).toBe(8);
    expect(await closed).toEqual([1006, 'ERR_CLOSE_TIMEOUT']);
  });
});

describe('WebSocketServer.close() during an async verifyClient (item 4)', () => {
  it('refuses the pending handshake with 503: never open, never in clients, close() reported 0 clients', async () => {
    let admit: (() => void) | undefined;
    const verifying = new Promise<void>((resolve) => (admit = resolve));
    let verifyCalled = false;
    const { wss, port } = await listen({
      verifyClient: async () => {
        verifyCalled = true;
        await verifying;
        return true;
      },
    });
    let connections = 0;
    wss.on('connection', () => connections++);
    const response = rawExchange(port, upgradeRequest());
    await until(() => verifyCalled);
    const closed = new Promise<number>((resolve) => wss.close(() => resolve(wss.clients.size)));
    admit!();
    expect(await response).toMatch(/^HTTP\/1\.1 503 /);
    expect(await closed).toBe(0);
    expect(wss.clients.size).toBe(0);
    expect(connections).toBe(0);
  });
});
