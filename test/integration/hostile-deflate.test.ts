/**
 * Hostile peers with permessage-deflate (RFC 7692): zip bombs on many connections at once, a
 * compressed text that inflates to invalid UTF-8 across fragments, and RSV1 on control frames.
 * A healthy `ws` client compressing its own messages keeps echoing during and after each attack.
 * (Single-connection bomb, RSV1 on a continuation and invalid deflate data: deflate-ws.test.ts.)
 */
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import type WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, closeCodeOf } from '../helpers/raw-client.js';
import { closeDeflatePeers, expectEcho, openDeflatePeer } from '../helpers/deflate-peer.js';
import { listenEcho, stopAll } from '../helpers/servers.js';
import { CrashGuard, KiB, MemorySampler, MiB } from '../helpers/hostile-peer.js';
import { zipBomb } from '../helpers/zip-bomb.js';

let guard: CrashGuard;
const clients: RawClient[] = [];
beforeAll(() => void (guard = new CrashGuard()));
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  closeDeflatePeers();
  await stopAll();
  guard.expectNone();
});
afterAll(() => guard.dispose());

const RSV1 = 4;
const OFFER = { 'Sec-WebSocket-Extensions': 'permessage-deflate' };

/** A deflate server and a healthy compressing `ws` peer that has echoed once. */
async function target(maxPayload = MiB): Promise<{ port: number; check: () => Promise<void>; limiter: { active: number; pending: number } }> {
  const { wss, port } = await listenEcho({ perMessageDeflate: { threshold: 0 }, maxPayload });
  const ws: WebSocket = await openDeflatePeer(port);
  let round = 0;
  const check = async (): Promise<void> => {
    round += 1;
    await expectEcho(ws, Buffer.from(`{"healthy":${round},"pad":"${'ab'.repeat(2000 + round)}"}`), false);
    await expectEcho(ws, Buffer.from(Array.from({ length: 5000 }, (_v, i) => (i * round) & 0xff)), true);
  };
  await check();
  return { port, check, limiter: wss.deflateLimiter! };
}

async function deflateClient(port: number): Promise<RawClient> {
  const client = await RawClient.connect(port, '/', OFFER);
  clients.push(client);
  expect(client.response).toContain('Sec-WebSocket-Extensions: permessage-deflate\r\n');
  return client;
}

/** One masked client frame with any length (independent of the engine's writer). */
function frame(opcode: number, payload: Buffer, options: { fin?: boolean; rsv?: number } = {}): Buffer {
  const key = Buffer.from([0x11, 0x22, 0x33, 0x44]);
  const ext = payload.length < 126 ? Buffer.alloc(0) : payload.length < 65_536 ? Buffer.alloc(2) : Buffer.alloc(8);
  if (ext.length === 2) ext.writeUInt16BE(payload.length);
  if (ext.length === 8) ext.writeBigUInt64BE(BigInt(payload.length));
  const b0 = ((options.fin ?? true) ? 0x80 : 0) | ((options.rsv ?? 0) << 4) | opcode;
  const b1 = 0x80 | (payload.length < 126 ? payload.length : payload.length < 65_536 ? 126 : 127);
  const body = Buffer.from(payload.map((b, i) => b ^ key[i & 3]!));
  return Buffer.concat([Buffer.from([b0, b1]), ext, key, body]);
}

describe('zip bombs', () => {
  it('20 connections each send a 256 MiB bomb (~256 KiB) at once: each closed 1009, memory bounded by the limit, not the bombs', async () => {
    const { port, check, limiter } = await target(MiB);
    const bomb = await zipBomb(256);
    expect(bomb.length).toBeLessThan(300 * KiB);
    const attackers = await Promise.all(Array.from({ length: 20 }, () => deflateClient(port)));
    const memory = new MemorySampler();
    for (const c of attackers) c.send(frame(2, bomb, { rsv: RSV1 }));
    const outcomes = Promise.all(attackers.map((c) => c.rest(15_000)));
    await check(); // during: the shared zlib limiter still serves the healthy peer
    for (const frames of await outcomes) expect(frames.map((f) => [f.opcode, closeCodeOf(f)])).toEqual([[8, 1009]]);
    const peak = memory.stop();
    // Inflating the bombs would take 20 × 256 MiB = 5 GiB. Inflation stops at maxPayload (1 MiB)
    // per message and at most `concurrency` (10) inflate at once, so ~10 × (1 MiB + zlib state)
    // plus the 5 MiB of frames we sent; 160 MiB leaves room for a busy machine's noise.
    expect(peak.rss).toBeLessThan(160 * MiB);
    await expect.poll(() => [limiter.active, limiter.pending]).toEqual([0, 0]);
    await check(); // after
  });
});

describe('compressed text that inflates to invalid UTF-8', () => {
  /** A deflated message (RFC 7692 §7.2.1: sync flush, trailing 00 00 ff ff removed). */
  const deflate = (data: Buffer): Buffer => {
    const out = deflateRawSync(data, { finishFlush: constants.Z_SYNC_FLUSH });
    return out.subarray(0, out.length - 4);
  };

  it('split over 3 fragments, the bad byte in the middle one → 1007', async () => {
    const { port, check } = await target();
    const client = await deflateClient(port);
    const text = Buffer.concat([Buffer.from('a'.repeat(3000)), Buffer.from([0xc3, 0x28]), Buffer.from('b'.repeat(3000))]);
    const compressed = deflate(text);
    const third = Math.ceil(compressed.length / 3);
    // RFC 7692 §6.1: RSV1 on the first fragment only.
    client.send(
      frame(1, compressed.subarray(0, third), { fin: false, rsv: RSV1 }),
      frame(0, compressed.subarray(third, 2 * third), { fin: false }),
      frame(0, compressed.subarray(2 * third), { fin: true }),
    );
    // RFC 6455 §8.1: text must be valid UTF-8, checked after inflating (RFC 7692 §6.2).
    expect((await client.rest()).map((f) => [f.opcode, closeCodeOf(f)])).toEqual([[8, 1007]]);
    await check();
  });

  it('control: a valid multi-byte text split the same way echoes exactly', async () => {
    const { port, check } = await target();
    const client = await deflateClient(port);
    const text = Buffer.from(`${'é€😀'.repeat(1000)}`);
    const compressed = deflate(text);
    const third = Math.ceil(compressed.length / 3);
    client.send(
      frame(1, compressed.subarray(0, third), { fin: false, rsv: RSV1 }),
      frame(0, compressed.subarray(third, 2 * third), { fin: false }),
      frame(0, compressed.subarray(2 * third), { fin: true }),
    );
    const echo = (await client.next())!;
    expect([echo.opcode, echo.rsv]).toEqual([1, RSV1]); // compressed back (threshold 0)
    const inflated = inflateRawSync(Buffer.concat([echo.payload, Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: constants.Z_SYNC_FLUSH });
    expect(inflated.equals(text)).toBe(true);
    await check();
  });
});

describe('RSV1 on a control frame', () => {
  it.each([
    ['ping', 9, Buffer.from('hi')],
    ['pong', 10, Buffer.from('hi')],
    ['close', 8, Buffer.from([0x03, 0xe8])],
  ])('a %s with RSV1 on a deflate connection → 1002', async (_name, opcode, payload) => {
    const { port, check } = await target();
    const client = await deflateClient(port);
    // RFC 7692 §6: RSV1 marks a compressed data message; control frames are never compressed.
    client.send(frame(opcode, payload, { rsv: RSV1 }));
    expect((await client.rest()).map((f) => [f.opcode, closeCodeOf(f)])).toEqual([[8, 1002]]);
    await check();
  });
});
