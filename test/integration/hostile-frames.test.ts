/**
 * Hostile peers after a valid upgrade: random byte streams on many connections at once, lying
 * 64-bit lengths, announced-but-never-sent payloads, a million 1-byte fragments, a ping flood from
 * a client that never reads, and control frames interleaved with 10,000 fragments. Every case
 * asserts the exact outcome on the wire and that a healthy peer on the same server keeps echoing.
 */
import type { Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isValidWireCloseCode } from '../../src/close-codes.js';
import type { ServerConnection } from '../../server/socket/server-connection.js';
import type { WebSocketServer } from '../../server/socket/websocket-server.js';
import { RawClient, TEST_MASK, closeCodeOf } from '../helpers/raw-client.js';
import type { Frame } from '../helpers/raw-client.js';
import { listenEcho, stopAll } from '../helpers/servers.js';
import { CrashGuard, HealthyPeer, KiB, MemorySampler, MiB, randomBytes, seededRandom, stalledSocket, writeUntilStalled } from '../helpers/hostile-peer.js';

let guard: CrashGuard;
const cleanup: Array<() => void> = [];
beforeAll(() => void (guard = new CrashGuard()));
afterEach(async () => {
  for (const dispose of cleanup.splice(0)) dispose();
  await stopAll();
  guard.expectNone();
});
afterAll(() => guard.dispose());

type EchoOptions = Parameters<typeof listenEcho>[0];

/** An echo server recording its connections, plus a healthy peer that has echoed once. */
async function target(options: EchoOptions = {}): Promise<{ port: number; wss: WebSocketServer; healthy: HealthyPeer; conns: ServerConnection[] }> {
  const { wss, port } = await listenEcho(options);
  const conns: ServerConnection[] = [];
  wss.on('connection', (c) => void conns.push(c));
  const healthy = await HealthyPeer.connect(port);
  cleanup.push(() => healthy.close());
  await healthy.check();
  return { port, wss, healthy, conns };
}

async function attacker(port: number): Promise<RawClient> {
  const client = await RawClient.connect(port);
  cleanup.push(() => client.destroy());
  return client;
}

/** Frames until the server closes (`closed: true`) or stays silent for `quietMs` (`closed: false`). */
async function framesUntilQuiet(client: RawClient, quietMs: number): Promise<{ frames: Frame[]; closed: boolean }> {
  const frames: Frame[] = [];
  for (;;) {
    let frame: Frame | undefined;
    try {
      frame = await client.next(quietMs);
    } catch {
      return { frames, closed: false };
    }
    if (frame === undefined) return { frames, closed: true };
    frames.push(frame);
  }
}

/** A client frame header with a 64-bit length (`high` and `low` words), masked, without payload. */
function header64(opcode: number, high: number, low: number): Buffer {
  const b = Buffer.alloc(14);
  b[0] = 0x80 | opcode;
  b[1] = 0x80 | 127;
  b.writeUInt32BE(high >>> 0, 2);
  b.writeUInt32BE(low >>> 0, 6);
  Buffer.from(TEST_MASK).copy(b, 10);
  return b;
}

/**
 * One masked 1-byte frame per payload byte: the first is a binary frame without FIN, the rest are
 * continuations, the last with FIN. Built directly (7 bytes a frame) because a million go out.
 */
function oneByteFragments(payload: Uint8Array): Buffer {
  const out = Buffer.alloc(7 * payload.length);
  for (let i = 0; i < payload.length; i++) {
    const o = 7 * i;
    out[o] = (i === payload.length - 1 ? 0x80 : 0) | (i === 0 ? 2 : 0);
    out[o + 1] = 0x81;
    out.set(TEST_MASK, o + 2);
    out[o + 6] = payload[i]! ^ TEST_MASK[0]!;
  }
  return out;
}

describe('random byte streams after the upgrade', () => {
  it.each([1, 2])('50 connections at once, seeded PRNG (seed %i): each ends in a valid close code or waits; nothing crashes', async (seed) => {
    const { port, wss, healthy, conns } = await target({ maxPayload: MiB });
    const errors: Array<{ code: unknown; closeCode: unknown }> = [];
    wss.on('connection', (c) => c.on('error', (e) => errors.push(e as never)));
    const random = seededRandom(seed);
    const clients = await Promise.all(Array.from({ length: 50 }, () => attacker(port)));
    // Even connections get pure noise; odd ones plausible frames with random fields, which get
    // further into the parser (UTF-8, fragmentation, close payloads) before they break a rule.
    clients.forEach((client, i) => client.send(i % 2 === 0 ? randomBytes(random, 1 + Math.floor(random() * 16 * KiB)) : plausibleFrames(random)));
    const outcomes = Promise.all(clients.map((c) => framesUntilQuiet(c, 800)));
    await healthy.check(); // during
    let closedByServer = 0;
    for (const { frames, closed } of await outcomes) {
      // Random bytes may happen to form valid frames: echoes (1, 2) and pongs (10) are fine.
      const closes = frames.filter((f) => f.opcode === 8);
      expect(frames.every((f) => [1, 2, 8, 10].includes(f.opcode) && !f.masked)).toBe(true);
      expect(closes.length).toBeLessThanOrEqual(1);
      if (closes.length === 1) {
        expect(frames.at(-1)!.opcode).toBe(8); // nothing after the close frame (RFC 6455 §5.5.1)
        const code = closeCodeOf(closes[0]!);
        expect(code === 1005 || isValidWireCloseCode(code)).toBe(true); // 1005: an empty close was echoed
        closedByServer += 1;
      } else {
        expect(closed).toBe(false); // still waiting for the rest of an announced frame
      }
    }
expect(closedByServer).toBeGreaterThan(25); // noise breaks a rule within a few bytes
    for (const e of errors) expect([1002, 1007, 1009]).toContain(e.closeCode);
    for (const c of clients) c.destroy(); // the ones still waiting
    await expect.poll(() => conns.filter((c) => c.readyState !== 3).length).toBe(1); // only the healthy peer
    await healthy.check(); // after
    await healthy.fresh();
  });
});

describe('lying lengths', () => {
  it.each([
    ['2^53', 0x0020_0000, 0, 1009],
    ['2^63', 0x8000_0000, 0, 1002],
    ['2^64 - 1', 0xffff_ffff, 0xffff_ffff, 1002],
  ])('a 64-bit length of %s → close %i at once, no payload needed', async (_name, high, low, code) => {
    const { port, healthy } = await target();
    const client = await attacker(port);
    client.send(header64(2, high, low));
    // RFC 6455 §5.2: the top bit must be 0 (1002); a length past maxPayload is 1009 before any payload.
    expect((await client.rest()).map((f) => [f.opcode, closeCodeOf(f)])).toEqual([[8, code]]);
    await healthy.check();
  });

  it('maxPayload + 1 announced and never sent → 1009 at once, nothing allocated for it', async () => {
    const maxPayload = 64 * MiB;
    const { port, healthy } = await target({ maxPayload });
    const client = await attacker(port);
    const memory = new MemorySampler();
    client.send(header64(2, 0, maxPayload + 1));
    expect((await client.rest()).map((f) => [f.opcode, closeCodeOf(f)])).toEqual([[8, 1009]]);
    // A parser that reserved the announced length would show 64 MiB here.
    expect(memory.stop().arrayBuffers).toBeLessThan(8 * MiB);
    await healthy.check();
  });

  it('20 connections announce maxPayload (64 MiB) and send 1 KiB each: the server holds what arrived, not what was announced', async () => {
    const maxPayload = 64 * MiB;
    const { port, healthy, conns } = await target({ maxPayload });
    const clients = await Promise.all(Array.from({ length: 20 }, () => attacker(port)));
    const memory = new MemorySampler();
    for (const c of clients) c.send(header64(2, 0, maxPayload), Buffer.alloc(KiB, 0x41));
    await healthy.check(); // the round trip also proves the server has read the 20 headers
    // Reserving the announced size would cost 20 × 64 MiB = 1.25 GiB; 20 KiB arrived.
    expect(memory.stop().arrayBuffers).toBeLessThan(16 * MiB);
    expect(conns.filter((c) => c.readyState === 1).length).toBe(21); // all waiting, none failed
    for (const c of clients) c.destroy();
    await expect.poll(() => conns.filter((c) => c.readyState !== 3).length).toBe(1);
    await healthy.check();
  });
});

describe('fragment floods', () => {
  const million = Buffer.from(Array.from({ length: 1_000_000 }, (_v, i) => (i * 13) & 0xff));

  it('1,000,000 1-byte fragments with the default maxFragments (100,000) → 1009, memory bounded', async () => {
    const { port, healthy } = await target();
    const client = await attacker(port);
    const memory = new MemorySampler();
    client.send(oneByteFragments(million)); // 7 MB of frames
    expect((await client.rest(10_000)).map((f) => [f.opcode, closeCodeOf(f)])).toEqual([[8, 1009]]);
    // The 7 MB are our own send buffer; a server that kept a slot per fragment would add far more.
    expect(memory.stop().rss).toBeLessThan(256 * MiB);
    await healthy.check();
  });

  it('the same message with maxFragments raised to 1,000,000: echoed exactly, without a per-fragment cost', async () => {
    const { port, healthy } = await target({ maxFragments: 1_000_000 });
    const client = await attacker(port);
    const memory = new MemorySampler();
    client.send(oneByteFragments(million));
    const echo = await client.next(20_000);
    // One frame of 1,000,000 bytes: the fragments were joined into one growing buffer.
    expect([echo?.opcode, echo?.fin, echo?.payload.length]).toEqual([2, true, 1_000_000]);
    expect(echo!.payload.equals(million)).toBe(true);
    // ~7 MB sent + ~1 MB joined + ~1 MB echoed; a million array slots or per-fragment views would be
    // tens of MiB of heap on top. The generous bound leaves room for the test's own buffers.
    expect(memory.stop().rss).toBeLessThan(256 * MiB);
    await healthy.check();
  });

  it('control frames interleaved between 10,000 fragments: 9,999 pongs in order, then the exact message', async () => {
    const { port, healthy } = await target();
    const client = await attacker(port);
    const parts: Buffer[] = [];
    let expected = '';
    for (let i = 0; i < 10_000; i++) {
      const fragment = `frag ${String(i).padStart(5, '0')}|`;
      expected += fragment;
      parts.push(encodeMasked(i === 0 ? 1 : 0, fragment, i === 9_999));
      // RFC 6455 §5.4: control frames may be injected in the middle of a fragmented message.
      if (i < 9_999) parts.push(encodeMasked(9, `p${i}`, true));
    }
    client.send(Buffer.concat(parts));
    const pongs: string[] = [];
    for (let i = 0; i < 9_999; i++) {
      const f = await client.next();
      expect(f?.opcode).toBe(10);
      pongs.push(f!.payload.toString('latin1'));
    }
    expect(pongs).toEqual(Array.from({ length: 9_999 }, (_v, i) => `p${i}`));
    const message = await client.next();
    expect([message?.opcode, message?.fin]).toEqual([1, true]);
    expect(message!.payload.toString('utf8')).toBe(expected);
    await healthy.check();
  });
});

describe('ping flood from a client that never reads', () => {
  it('the server stops reading once its pongs back up: its buffer and the process memory stay bounded', async () => {
    const { port, healthy, conns } = await target();
    const socket: Socket = await stalledSocket(port);
    cleanup.push(() => socket.destroy());
    await expect.poll(() => conns.length).toBe(2);
    const flooded = conns[1]!;
    let maxBuffered = 0;
    flooded.on('ping', () => (maxBuffered = Math.max(maxBuffered, flooded.bufferedAmount)));
    const batch = Buffer.concat(Array.from({ length: 1000 }, (_v, i) => encodeMasked(9, Buffer.alloc(125, i & 0xff), true)));
    const memory = new MemorySampler();
    // Offer up to 512 MiB of pings; the flood must stall long before (the server stopped reading).
    const written = await writeUntilStalled(socket, batch, 512 * MiB);
    expect(written).toBeLessThan(128 * MiB);
    // Pongs pile up to Node's high-water mark plus the rest of one read chunk, then reading pauses.
    expect(maxBuffered).toBeLessThan(MiB);
    expect(flooded.readyState).toBe(1);
    await healthy.check(); // during: the flood costs the healthy peer nothing
    // Bounded by the kernel's socket buffers and a few of our chunks, not by the 512 MiB offered.
    expect(memory.stop().rss).toBeLessThan(192 * MiB);
    socket.destroy();
    await expect.poll(() => flooded.readyState).toBe(3);
    await healthy.check();
  });
});

describe('paused for backpressure, then failed', () => {
  it('a big echo + a ping + a bad frame in one chunk: the paused server still reads the peer leaving (not only at closeTimeout)', async () => {
    // Found by the random streams above: the ping paused reading (the 70 KB echo had not drained),
    // the bad frame made the server end its side, and an ending socket never emits 'drain', so
    // nothing resumed reading and the connection hung in CLOSING until the close timer.
    const { port, healthy, conns } = await target({ closeTimeout: 60_000 });
    const client = await attacker(port);
    const big = Buffer.alloc(70_000, 0x61);
    const head = Buffer.alloc(14);
    head[0] = 0x82;
    head[1] = 0x80 | 127;
    head.writeBigUInt64BE(BigInt(big.length), 2);
    head.set(TEST_MASK, 10);
    const masked = Buffer.from(big.map((b, i) => b ^ TEST_MASK[i & 3]!));
    client.send(Buffer.concat([head, masked, encodeMasked(9, 'p', true), encodeMasked(3, '', true)]));
    const frames = [await client.next(), await client.next(), await client.next()];
    expect(frames.map((f) => [f?.opcode, f?.payload.length])).toEqual([[2, 70_000], [10, 1], [8, 2]]);
    expect(closeCodeOf(frames[2]!)).toBe(1002); // RFC 6455 §5.2: opcode 3 is reserved
    const closed = new Promise<number>((resolve) => conns[1]!.once('close', resolve));
    client.sendClose(1002);
    client.socket.end();
    // Bounded by the test timeout (20 s), far below the 60 s close timer this used to wait for.
    expect(await closed).toBe(1002);
    await healthy.check();
  });
});

/** 1-20 frames with random opcode, FIN, RSV, mask, length encoding and payload (ASCII, UTF-8 or noise). */
function plausibleFrames(random: () => number): Buffer {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const frames: Buffer[] = [];
  for (let n = 1 + Math.floor(random() * 20); n > 0; n--) {
    const length = pick([0, 1, 2, 5, 125, 126, 300, 70_000]);
    const payload = pick([
      () => Buffer.from('a'.repeat(length)),
      () => Buffer.from('é'.repeat(Math.ceil(length / 2))).subarray(0, length), // may cut a sequence
      () => randomBytes(random, length),
    ])();
    const opcode = pick([0, 1, 1, 2, 2, 8, 9, 10, Math.floor(random() * 16)]);
    const b0 = (random() < 0.7 ? 0x80 : 0) | (random() < 0.05 ? 0x40 : 0) | opcode;
    const masked = random() < 0.95;
    const ext = length < 126 ? Buffer.alloc(0) : length < 65_536 ? Buffer.alloc(2) : Buffer.alloc(8);
    if (ext.length === 2) ext.writeUInt16BE(length);
    if (ext.length === 8) ext.writeBigUInt64BE(BigInt(length));
    const b1 = (masked ? 0x80 : 0) | (length < 126 ? length : length < 65_536 ? 126 : 127);
    const key = masked ? randomBytes(random, 4) : Buffer.alloc(0);
    const body = Buffer.from(payload);
    if (masked) for (let i = 0; i < body.length; i++) body[i] = body[i]! ^ key[i & 3]!;
    frames.push(Buffer.from([b0, b1]), ext, key, body);
  }
  return Buffer.concat(frames);
}

/** A masked client frame (independent of the engine's writer). */
function encodeMasked(opcode: number, payload: string | Buffer, fin: boolean): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  if (data.length > 125) throw new Error('short frames only');
  const out = Buffer.alloc(6 + data.length);
  out[0] = (fin ? 0x80 : 0) | opcode;
  out[1] = 0x80 | data.length;
  out.set(TEST_MASK, 2);
  for (let i = 0; i < data.length; i++) out[6 + i] = data[i]! ^ TEST_MASK[i & 3]!;
  return out;
}
