/**
 * Hostile peers before the 101: garbage instead of HTTP, oversized and malformed heads, requests
 * RFC 6455 §4.2.1 refuses, bytes pipelined behind the upgrade, and a flood of silent connections.
 * Each case asserts the exact outcome (an HTTP status and body, a close code, or a dropped
 * connection) and that a healthy peer connected before the attack keeps echoing during and after.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, closeCodeOf, rawExchange, upgradeRequest } from '../helpers/raw-client.js';
import { listenEcho, stopAll } from '../helpers/servers.js';
import { CrashGuard, HealthyPeer, KiB, MemorySampler, MiB } from '../helpers/hostile-peer.js';

let guard: CrashGuard;
const peers: HealthyPeer[] = [];
beforeAll(() => void (guard = new CrashGuard()));
afterEach(async () => {
  for (const p of peers.splice(0)) p.close();
  await stopAll();
  guard.expectNone();
});
afterAll(() => guard.dispose());

/** An echo server (short handshake timeout so silent sockets end quickly) and a healthy peer on it. */
async function target(handshakeTimeoutMs = 10_000): Promise<{ port: number; healthy: HealthyPeer }> {
  const { port } = await listenEcho({ handshakeTimeout: handshakeTimeoutMs });
  const healthy = await HealthyPeer.connect(port);
  peers.push(healthy);
  await healthy.check();
  return { port, healthy };
}

const statusLine = (answer: string): string => answer.slice(0, answer.indexOf('\r\n'));
const bodyOf = (answer: string): string => answer.slice(answer.indexOf('\r\n\r\n') + 4);

/** A request head with the valid upgrade headers in `lines` order, as raw text. */
function head(requestLine: string, lines: readonly string[]): string {
  return `${requestLine}\r\n${lines.join('\r\n')}\r\n\r\n`;
}
const VALID_LINES = ['Host: 127.0.0.1', 'Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Version: 13'];
const KEY_LINE = 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==';

describe('garbage instead of HTTP', () => {
  it('60 random byte strings at once (fast-check, seeded): each answered with an HTTP 4xx or dropped; nothing crashes', async () => {
    const { port, healthy } = await target(500);
    // Random heads; a few start like a request line so the parser gets past its first byte.
    const garbage = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 4096 }),
      fc.tuple(fc.constantFrom('GET ', 'GET / HTTP/1.1\r\n', 'GET / HTTP/1.1\r\nHost: a\r\n'), fc.uint8Array({ minLength: 1, maxLength: 512 })).map(
        ([prefix, tail]) => Buffer.concat([Buffer.from(prefix), tail]),
      ),
    );
    const samples = fc.sample(garbage, { seed: 0x7a11, numRuns: 60 });
    const answers = Promise.all(samples.map((bytes) => rawExchange(port, bytes, 5000)));
    await healthy.check(); // during
    const all = await answers;
    for (const answer of all) {
      // Node's parser answers what it can tell is broken (400, or 431 for an oversized head) and
      // our handshake timer (500 ms here) drops a head that never completes: no other outcome.
      if (answer !== '') expect(statusLine(answer)).toMatch(/^HTTP\/1\.1 (400 Bad Request|431 Request Header Fields Too Large|505 HTTP Version Not Supported)$/);
    }
    expect(all.filter((a) => a !== '').length).toBeGreaterThan(0); // (seed 0x7a11: 58 answered 400, 2 dropped)
    await healthy.check(); // after
    await healthy.fresh();
  });
});

describe('oversized and malformed heads', () => {
  it.each([
    ['a request line of 100 KiB', `GET /${'a'.repeat(100 * KiB)} HTTP/1.1\r\n${VALID_LINES.join('\r\n')}\r\n${KEY_LINE}\r\n\r\n`],
    ['10,000 headers', head('GET / HTTP/1.1', [...VALID_LINES, KEY_LINE, ...Array.from({ length: 10_000 }, (_v, i) => `X-H${i}: v`)])],
  ])('%s → 431 before the head is buffered', async (_name, request) => {
    const { port, healthy } = await target();
    const memory = new MemorySampler();
    const answer = rawExchange(port, request);
    await healthy.check();
    expect(statusLine(await answer)).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    // The head is ~100 KiB; the limit (16 KiB) stops the parser, so nothing near even 8 MiB is kept.
    expect(memory.stop().arrayBuffers).toBeLessThan(8 * MiB);
    await healthy.check();
  });

  it('2,000 tiny headers after the real ones fit in 16 KiB: Node keeps the first 100, the upgrade succeeds', async () => {
    const { port, healthy } = await target();
    const request = head('GET / HTTP/1.1', [...VALID_LINES, KEY_LINE, ...Array.from({ length: 2000 }, () => 'a:b')]);
    const socket = connect(port, '127.0.0.1');
    const answer = await firstBytes(socket, request);
    expect(statusLine(answer)).toBe('HTTP/1.1 101 Switching Protocols');
    socket.destroy();
    await healthy.check();
  });

  it.each([
    ['a header line without a colon', head('GET / HTTP/1.1', [...VALID_LINES, 'NoColonHere', KEY_LINE])],
    ['a NUL byte in a header value', head('GET / HTTP/1.1', [...VALID_LINES, 'X-Evil: a\u0000b', KEY_LINE])],
    ['a NUL byte in a header name', head('GET / HTTP/1.1', [...VALID_LINES, 'X-E\u0000vil: a', KEY_LINE])],
    ['a bare LF inside a header value', head('GET / HTTP/1.1', [...VALID_LINES, 'X-Evil: a\nb', KEY_LINE])],
  ])("%s → Node's 400, connection closed", async (_name, request) => {
    const { port, healthy } = await target();
    const answer = rawExchange(port, request);
    await healthy.check();
    expect(await answer).toBe('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    await healthy.check();
  });
});

describe('upgrades RFC 6455 §4.2.1 refuses', () => {
  const refusal = (reason: string): string =>
    'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(reason)}\r\n\r\n${reason}`;
  const key = (bytes: number): string => Buffer.alloc(bytes, 0x5a).toString('base64');

  it.each([
    // Node joins repeated headers with ", ", so two keys are one 50-character value.
    ['a duplicate Sec-WebSocket-Key', head('GET / HTTP/1.1', [...VALID_LINES, KEY_LINE, KEY_LINE]), 'Invalid Sec-WebSocket-Key header'],
    ['two different Sec-WebSocket-Keys', head('GET / HTTP/1.1', [...VALID_LINES, KEY_LINE, `Sec-WebSocket-Key: ${key(16)}`]), 'Invalid Sec-WebSocket-Key header'],
    ['a key of 15 bytes', head('GET / HTTP/1.1', [...VALID_LINES, `Sec-WebSocket-Key: ${key(15)}`]), 'Invalid Sec-WebSocket-Key header'],
    ['a key of 17 bytes', head('GET / HTTP/1.1', [...VALID_LINES, `Sec-WebSocket-Key: ${key(17)}`]), 'Invalid Sec-WebSocket-Key header'],
    ['an HTTP/1.0 upgrade', head('GET / HTTP/1.0', [...VALID_LINES, KEY_LINE]), 'HTTP/1.1 or later required'],
    ['a POST upgrade', head('POST / HTTP/1.1', [...VALID_LINES, KEY_LINE, 'Content-Length: 0']), 'Invalid HTTP method'],
  ])('%s → 400 with the reason, connection closed', async (_name, request, reason) => {
    const { port, healthy } = await target();
    const answer = rawExchange(port, request);
    await healthy.check();
    expect(await answer).toBe(refusal(reason));
    await healthy.check();
  });

  it('the 15- and 17-byte keys really are 20 and 24 base64 characters (the boundary around 16)', () => {
    expect([key(15).length, key(16).length, key(17).length]).toEqual([20, 24, 24]);
    expect(key(17).endsWith('=') && !key(17).endsWith('==')).toBe(true);
  });
});

describe('after the upgrade bytes', () => {
  it('a second request pipelined behind the upgrade reaches the frame parser: "G" is RSV1 + opcode 7 → 1002', async () => {
    const { port, healthy } = await target();
    const second = Buffer.from(upgradeRequest('/again'));
    const client = await RawClient.connect(port, '/', {}, second);
    const frames = await client.rest();
    // 0x47 ("G"): FIN 0, RSV1 1, opcode 7 — RFC 6455 §5.2 fails it on the first header byte.
    expect(frames.map((f) => [f.opcode, f.payload.toString('hex')])).toEqual([[8, '03ea']]);
    expect(closeCodeOf(frames[0]!)).toBe(1002);
    await healthy.check();
  });
});

describe('silent connections (slow-loris without the loris)', () => {
  it('200 TCP connections that send nothing are all dropped by the handshake timeout; the healthy peer is untouched', async () => {
    const { port, healthy } = await target(300);
    const sockets: Socket[] = [];
    const closed = Array.from({ length: 200 }, () => {
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => {});
      sockets.push(socket);
      return new Promise<Buffer>((resolve) => {
        const got: Buffer[] = [];
        socket.on('data', (c: Buffer) => got.push(c));
        socket.on('close', () => resolve(Buffer.concat(got)));
      });
    });
    await healthy.check(); // during: 200 half-open handshakes do not slow anyone down
    // Bounded: the test's own timeout (20 s) is the only clock; the server's 300 ms timer ends them.
    const answers = await Promise.all(closed);
    expect(answers.every((a) => a.length === 0)).toBe(true); // dropped, not answered
    expect(sockets.every((s) => s.destroyed)).toBe(true);
    await healthy.check();
    await healthy.fresh();
  });
});

/** Writes `request` and resolves with the first complete response head. */
function firstBytes(socket: Socket, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    socket.on('error', reject);
    socket.on('data', (c: Buffer) => {
      text += c.toString('latin1');
      if (text.includes('\r\n\r\n')) resolve(text);
    });
    socket.on('close', () => resolve(text));
    socket.write(request);
  });
}
