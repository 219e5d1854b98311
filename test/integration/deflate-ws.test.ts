/**
 * permessage-deflate (RFC 7692) over real loopback sockets: exact wire bytes with a raw client,
 * round trips with the `ws` client as the independent compressing peer, the browsers' offers,
 * and the limits (zip bomb, shared concurrency limit, RSV1 and invalid data).
 */
import type { Socket } from 'node:net';
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../server/tools/cli.js';
import type { WebSocketServer } from '../../server/socket/websocket-server.js';
import { RawClient, closeCodeOf, rawExchange, upgradeRequest } from '../helpers/raw-client.js';
import { closeCode, closeDeflatePeers, expectEcho, openDeflatePeer, responseExtensions } from '../helpers/deflate-peer.js';
import { listen, listenEcho, stopAll, track } from '../helpers/servers.js';
import { asciiText, pseudoRandomBytes } from '../conformance/cases.js';
import { zipBomb } from '../helpers/zip-bomb.js';

afterEach(closeDeflatePeers);
afterEach(stopAll);

const KiB = 1024;
const MiB = 1024 * KiB;
const TEXT = 1;
const CONT = 0;
const RSV1 = 4;
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (h: string): Buffer => Buffer.from(h.replace(/ /g, ''), 'hex');
// RFC 7692 §7.2.3.1 / §7.2.3.2: "Hello" alone, and again with the LZ77 window of the first.
const HELLO = bytes('f2 48 cd c9 c9 07 00');
const HELLO_AGAIN = bytes('f2 00 11 00 00');

/** Deflates one message as RFC 7692 §7.2.1 says: sync flush, trailing 00 00 ff ff removed. */
function deflateMessage(data: Uint8Array): Buffer {
  const out = deflateRawSync(data, { finishFlush: constants.Z_SYNC_FLUSH });
  return out.subarray(0, out.length - 4);
}

function inflateMessage(data: Uint8Array): Buffer {
  return inflateRawSync(Buffer.concat([data, bytes('0000ffff')]), { finishFlush: constants.Z_SYNC_FLUSH });
}

const deflateOffer = (value = 'permessage-deflate'): Record<string, string> => ({ 'Sec-WebSocket-Extensions': value });

function headerOf(response: string): string | undefined {
  const line = response.split('\r\n').find((l) => l.toLowerCase().startsWith('sec-websocket-extensions:'));
  return line?.slice(line.indexOf(':') + 1).trim();
}

/** The TCP socket of the next connection (for `bytesWritten`). */
function nextSocket(wss: WebSocketServer): Promise<Socket> {
  return new Promise((resolve) => wss.once('connection', (_c, req) => resolve(req.socket)));
}

describe('negotiation over a real socket', () => {
  it.each([
    ['Chromium/Safari', 'permessage-deflate; client_max_window_bits', 'permessage-deflate'],
    ['Firefox', 'permessage-deflate', 'permessage-deflate'],
    ['an invalid first offer, then a valid one', 'permessage-deflate; foo, permessage-deflate; server_no_context_takeover', 'permessage-deflate; server_no_context_takeover'],
    ['two header lines of offers', 'x-webkit-deflate-frame,\tpermessage-deflate; client_max_window_bits="10"', 'permessage-deflate; client_max_window_bits=10'],
  ])('%s: answers exactly %j → %j', async (_name, offer, response) => {
    const { port } = await listenEcho({ perMessageDeflate: true });
    const client = await RawClient.connect(port, '/', deflateOffer(offer));
    expect(headerOf(client.response)).toBe(response);
    client.destroy();
  });

  it('declines (no header) when off by default, or when no offer can be honoured', async () => {
    const off = await listenEcho();
    const a = await RawClient.connect(off.port, '/', deflateOffer('permessage-deflate; client_max_window_bits'));
    expect(headerOf(a.response)).toBeUndefined();
    a.destroy();
    const on = await listenEcho({ perMessageDeflate: true });
    const b = await RawClient.connect(on.port, '/', deflateOffer('permessage-deflate; server_max_window_bits=8, foo'));
    expect(headerOf(b.response)).toBeUndefined();
    b.destroy();
  });

  it('a malformed Sec-WebSocket-Extensions header is refused with 400', async () => {
    const { port } = await listenEcho({ perMessageDeflate: true });
    const answer = await rawExchange(port, upgradeRequest('/', deflateOffer('permessage-deflate; client_max_window_bits="1')));
    expect(answer.startsWith('HTTP/1.1 400 Bad Request\r\n')).toBe(true);
    expect(answer.endsWith('\r\n\r\nInvalid Sec-WebSocket-Extensions header')).toBe(true);
  });

  it('refuses to combine perMessageDeflate with a negotiateExtensions hook', async () => {
    await expect(listen({ perMessageDeflate: true, negotiateExtensions: () => undefined })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });
});

describe('exact frames (RFC 7692 §7.2.3 examples)', () => {
  it('context takeover: the second "Hello" is compressed against the first, both ways', async () => {
    const { port } = await listenEcho({ perMessageDeflate: { threshold: 0 } });
    const client = await RawClient.connect(port, '/', deflateOffer());
    client.sendFrame(TEXT, HELLO, { rsv: RSV1 });
    client.sendFrame(TEXT, HELLO_AGAIN, { rsv: RSV1 });
    for (const expected of [HELLO, HELLO_AGAIN]) {
      const frame = (await client.next())!;
      expect([frame.opcode, frame.fin, frame.rsv, frame.masked, hex(frame.payload)]).toEqual([TEXT, true, RSV1, false, hex(expected)]);
    }
    client.destroy();
  });

  it('server_no_context_takeover: every "Hello" is compressed alone', async () => {
    const { port } = await listenEcho({ perMessageDeflate: { threshold: 0 } });
    const client = await RawClient.connect(port, '/', deflateOffer('permessage-deflate; server_no_context_takeover'));
    expect(headerOf(client.response)).toBe('permessage-deflate; server_no_context_takeover');
    client.sendFrame(TEXT, HELLO, { rsv: RSV1 });
    client.sendFrame(TEXT, HELLO_AGAIN, { rsv: RSV1 });
    expect(hex((await client.next())!.payload)).toBe(hex(HELLO));
    expect(hex((await client.next())!.payload)).toBe(hex(HELLO));
    client.destroy();
  });

  it('a compressed message in three fragments (RSV1 on the first only) is inflated whole', async () => {
    const { port } = await listenEcho({ perMessageDeflate: { threshold: 0 } });
    const client = await RawClient.connect(port, '/', deflateOffer());
    const message = asciiText(3000);
    const wire = deflateMessage(message);
    const [a, b] = [Math.floor(wire.length / 3), Math.floor((2 * wire.length) / 3)];
    client.sendFrame(TEXT, wire.subarray(0, a), { rsv: RSV1, fin: false });
    client.sendFrame(CONT, wire.subarray(a, b), { fin: false });
    client.sendFrame(CONT, wire.subarray(b), { fin: true });
    const frame = (await client.next())!;
    expect([frame.opcode, frame.fin, frame.rsv]).toEqual([TEXT, true, RSV1]);
    expect(inflateMessage(frame.payload).equals(message)).toBe(true);
    client.destroy();
  });

  it('threshold: 1023 bytes go out plain (RSV1 clear), 1024 bytes compressed (RSV1 on the first frame)', async () => {
    const { port } = await listenEcho({ perMessageDeflate: true });
    const client = await RawClient.connect(port, '/', deflateOffer());
    const below = asciiText(1023);
    const at = asciiText(1024);
    client.sendFrame(TEXT, below);
    client.sendFrame(TEXT, at);
    const plain = (await client.next())!;
    expect([plain.rsv, plain.payload.equals(below)]).toEqual([0, true]);
    const compressed = (await client.next())!;
    expect(compressed.rsv).toBe(RSV1);
    expect(compressed.payload.length).toBeLessThan(1024);
    expect(inflateMessage(compressed.payload).equals(at)).toBe(true);
    client.destroy();
  });
});

describe('round trips with the ws client', () => {
  // 16 letters at random: compresses to about half alone, to almost nothing against itself
  const message = Buffer.from(pseudoRandomBytes(16 * KiB, 5).map((b) => 0x61 + (b & 15)));

  it('with context takeover, just below/above the threshold, text and binary, in order', async () => {
    const { port } = await listenEcho({ perMessageDeflate: true });
    const ws = await openDeflatePeer(port);
    expect(responseExtensions(ws)).toBe('permessage-deflate');
    for (const size of [1, 1023, 1024, 1025, 70_000]) {
      await expectEcho(ws, asciiText(size), false);
      await expectEcho(ws, Buffer.from(asciiText(size)).reverse(), true);
    }
    await expectEcho(ws, message, false, 1000); // fragmented by ws, RSV1 on its first frame only
  });

  it('context takeover makes a repeated message nearly free; without it each costs the same', async () => {
    const costs: Record<string, number[]> = {};
    for (const [name, client] of [['takeover', {}], ['none', { serverNoContextTakeover: true, clientNoContextTakeover: true }]] as const) {
      const { wss, port } = await listenEcho({ perMessageDeflate: true });
      const socket = nextSocket(wss);
      const ws = await openDeflatePeer(port, client);
      const s = await socket;
      costs[name] = [];
      for (let i = 0; i < 3; i++) {
        const before = s.bytesWritten;
        await expectEcho(ws, message, false);
        costs[name].push(s.bytesWritten - before);
      }
    }
    const [first, second] = costs['takeover']!;
    expect(second!).toBeLessThan(first! / 4);
    expect(new Set(costs['none']).size).toBe(1); // identical bytes for identical messages
  });

  it('echo --deflate (the CLI) negotiates and compresses', async () => {
    let stdout = '';
    const result = await main(['echo', '--port', '0', '--host', '127.0.0.1', '--deflate'], { out: (t) => (stdout += t), err: () => {} });
    const wss = track(result as WebSocketServer);
    const port = Number(/^listening (\d+)\n$/.exec(stdout)![1]);
    const ws = await openDeflatePeer(port);
    expect(responseExtensions(ws)).toBe('permessage-deflate');
    await expectEcho(ws, message, false);
    expect(wss.deflateLimiter?.limit).toBe(10);
  });
});

describe('limits', () => {
  it('a 1 GiB zip bomb in a ~1 MiB frame → 1009, memory bounded near maxPayload', { timeout: 20_000 }, async () => {
    const bomb = await zipBomb(1024);
    expect(bomb.length).toBeLessThan(1.1 * MiB);
    const { port } = await listenEcho({ perMessageDeflate: true, maxPayload: 2 * MiB });
    const client = await RawClient.connect(port, '/', deflateOffer());
    // control: one segment (1 MiB inflated) is within the limit and echoes
    client.sendFrame(2, await zipBomb(1), { rsv: RSV1 });
    const echo = (await client.next(10_000))!;
    expect([echo.opcode, echo.rsv]).toEqual([2, RSV1]);
    expect(inflateMessage(echo.payload).equals(Buffer.alloc(MiB))).toBe(true);
    const baseline = process.memoryUsage.rss();
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 2);
    client.sendFrame(2, bomb, { rsv: RSV1 });
    const frames = await client.rest(15_000);
    clearInterval(sampler);
    expect(frames.map((f) => [f.opcode, closeCodeOf(f)])).toEqual([[8, 1009]]);
    // Inflating the whole bomb would take a gigabyte; the limit stops zlib after ~2 MiB.
    expect(peak - baseline).toBeLessThan(256 * MiB);
  });

  it('many clients compressing at once share the limiter: never more than `concurrency` zlib jobs', { timeout: 20_000 }, async () => {
    const { wss, port } = await listenEcho({ perMessageDeflate: { threshold: 0, concurrency: 2 } });
    const limiter = wss.deflateLimiter!;
    let peakActive = 0;
    let peakPending = 0;
    const run = limiter.run.bind(limiter);
    limiter.run = (job) => {
      peakPending = Math.max(peakPending, limiter.pending);
      return run(() => {
        peakActive = Math.max(peakActive, limiter.active);
        return job();
      });
    };
    const clients = await Promise.all(Array.from({ length: 40 }, () => openDeflatePeer(port)));
    const payloads = [0, 1, 2].map((i) => Buffer.from(asciiText(32 * KiB + i)));
    await Promise.all(
      clients.map(async (ws) => {
        const got: Buffer[] = [];
        const all = new Promise<void>((resolve) => ws.on('message', (d) => got.push(d as Buffer) === payloads.length && resolve()));
        for (const p of payloads) ws.send(p);
        await all;
        expect(got.map((d) => d.length)).toEqual(payloads.map((p) => p.length));
        got.forEach((d, i) => expect(d.equals(payloads[i]!)).toBe(true));
      }),
    );
    expect(peakActive).toBe(2);
    expect(peakPending).toBeGreaterThan(0);
    expect([limiter.active, limiter.pending]).toEqual([0, 0]);
  });

  it('RSV1 without negotiation → 1002, even on a deflate-enabled server', async () => {
    const { port } = await listenEcho({ perMessageDeflate: true });
    const client = await RawClient.connect(port); // no offer
    client.sendFrame(TEXT, HELLO, { rsv: RSV1 });
    expect((await client.rest()).map(closeCodeOf)).toEqual([1002]);
  });

  it('RSV1 on a continuation frame → 1002', async () => {
    const { port } = await listenEcho({ perMessageDeflate: { threshold: 0 } });
    const client = await RawClient.connect(port, '/', deflateOffer());
    client.sendFrame(TEXT, HELLO.subarray(0, 3), { rsv: RSV1, fin: false });
    client.sendFrame(CONT, HELLO.subarray(3), { rsv: RSV1 });
    expect((await client.rest()).map(closeCodeOf)).toEqual([1002]);
  });

  it.each([
    ['invalid deflate data', bytes('fe ff ff ff'), TEXT],
    ['invalid UTF-8 in a compressed text message', deflateMessage(bytes('48 c3 28')), TEXT],
  ])('%s → 1007', async (_name, payload, opcode) => {
    const { port } = await listenEcho({ perMessageDeflate: true });
    const client = await RawClient.connect(port, '/', deflateOffer());
    client.sendFrame(opcode, payload, { rsv: RSV1 });
    expect((await client.rest()).map(closeCodeOf)).toEqual([1007]);
  });

  it('the ws client sees 1009 when an inflated message exceeds maxPayload', async () => {
    const { port } = await listenEcho({ perMessageDeflate: true, maxPayload: 64 * KiB });
    const ws = await openDeflatePeer(port);
    const closed = closeCode(ws);
    ws.send(asciiText(64 * KiB + 1)); // ~300 bytes on the wire, too big once inflated
    expect(await closed).toBe(1009);
  });

  it('a client leaving mid-inflation closes cleanly: no error, no client left', async () => {
    const { wss, port } = await listenEcho({ perMessageDeflate: true });
    const errors: Error[] = [];
    const gone = new Promise<number>((resolve) =>
      wss.once('connection', (conn) => {
        conn.on('error', (e) => errors.push(e));
        conn.once('close', resolve);
      }),
    );
    const ws = await openDeflatePeer(port);
    ws.send(asciiText(MiB), () => ws.terminate()); // gone while the server inflates
    expect(await gone).toBe(1006);
    expect(errors).toEqual([]);
    expect(wss.clients.size).toBe(0);
  });
});
