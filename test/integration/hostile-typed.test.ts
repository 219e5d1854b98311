/**
 * Hostile peers of the typed server (createServer): a slow reader during broadcasts, a request
 * flood to a handler that never resolves, 100,000-level JSON, a 1 MB name, unknown types, ids that
 * are not counts, and answers to requests never made. Each case asserts the defined outcome (a
 * close code and reason, an error envelope, a reported error) and that a healthy peer keeps
 * getting exact answers during and after.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CrashGuard, KiB, MemorySampler, MiB } from '../helpers/hostile-peer.js';
import { EnvelopeClient, HealthyTypedPeer, closeTyped, startTyped } from '../helpers/hostile-typed.js';

let guard: CrashGuard;
beforeAll(() => void (guard = new CrashGuard()));
afterEach(async () => {
  await closeTyped();
  guard.expectNone();
});
afterAll(() => guard.dispose());

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const nested = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('a slow reader during broadcasts', () => {
  it('is closed with 1013 by the backpressure policy; the server buffers at most the mark; the healthy peer gets every tick', async () => {
    const highWaterMark = 256 * KiB;
    const { server, port } = await startTyped({ backpressure: { highWaterMark }, closeTimeout: 10_000 });
    const healthy = await HealthyTypedPeer.connect(port);
    const stalled = await EnvelopeClient.connect(port);
    stalled.raw.socket.pause(); // reads nothing from here on
    const [, slowPeer] = [...server.peers.values()];
    const disconnected = new Promise<[string, number]>((resolve) => slowPeer!.lifecycle.on('disconnect', (reason, code) => resolve([reason, code])));
    // The healthy reader checks each tick as it arrives (so its own frames do not pile up here).
    const total = 4000;
    const pad = 'z'.repeat(16 * KiB);
    let received = 0;
    const reading = (async () => {
      while (received < total) {
        const got = await healthy.client.next();
        expect(got).toEqual({ envelope: { v: 1, type: 'event', name: 'tick', payload: { n: received, pad } } });
        received += 1;
      }
    })();
    const memory = new MemorySampler();
    let maxBuffered = 0;
    for (let n = 0; n < total; n++) {
      server.emit('tick', { n, pad }); // 4000 × 16 KiB = 62.5 MiB broadcast
      if (slowPeer!.state === 'open') maxBuffered = Math.max(maxBuffered, slowPeer!.bufferedAmount);
      if (n % 4 === 3) await tick(); // let the healthy socket drain
    }
    await reading;
    const peak = memory.stop();
    expect(slowPeer!.state).toBe('closing');
    // The mark plus the one message that crossed it (frame header + envelope) and nothing more.
    expect(maxBuffered).toBeLessThanOrEqual(highWaterMark + pad.length + 100);
    // Without the policy the stalled peer's socket queue alone would grow towards the 62.5 MiB
    // broadcast. Counted as Buffers held (measured 10-12 MiB: the healthy reader's in-flight
    // ticks and garbage not yet collected), not RSS, which a loaded CI machine inflates.
    expect(peak.arrayBuffers).toBeLessThan(24 * MiB);
    // Read what the kernel held for the stalled client: some ticks in order, then the 1013 close
    // frame (answered with 1013 by untilClose, completing the closing handshake).
    stalled.raw.socket.resume();
    const arrivals = await stalled.untilClose();
    const close = arrivals.pop();
    expect(close).toMatchObject({ close: 1013 });
    expect((close as { reason: string }).reason).toMatch(/^slow consumer: \d+ bytes buffered$/);
    expect(arrivals.length).toBeGreaterThan(0);
    expect(arrivals.length).toBeLessThan(total);
    expect(arrivals.map((a) => ('envelope' in a ? (a.envelope['payload'] as { n: number }).n : -1))).toEqual(arrivals.map((_a, i) => i));
    const [reason, code] = await disconnected;
    expect(reason).toMatch(/^slow consumer: \d+ bytes buffered$/);
    expect(code).toBe(1013); // the close handshake completed with the server's code
    await healthy.check();
  });
});

describe('a request flood', () => {
  it('maxPendingRequests sets the per-peer cap', async () => {
    const { server, port } = await startTyped({ maxPendingRequests: 2 });
    server.handle('hang', () => new Promise<never>(() => {}));
    const flooder = await EnvelopeClient.connect(port);
    for (const id of [1, 2, 3]) flooder.send({ v: 1, type: 'request', id, name: 'hang' });
    const answer = (await flooder.next()) as { envelope?: unknown };
    expect(answer.envelope ?? answer).toEqual({ v: 1, type: 'error', id: 3, code: 'too_many_requests', message: 'at most 2 requests may be pending on one connection' });
    expect(server.stats().pendingHandlers).toBe(2);
  });

  it('20,000 requests to a handler that never resolves: 1024 run per peer, every later one answered too_many_requests', async () => {
    const { server, port } = await startTyped();
    server.handle('hang', () => new Promise<never>(() => {}));
    const healthy = await HealthyTypedPeer.connect(port);
    const flooder = await EnvelopeClient.connect(port);
    const memory = new MemorySampler();
    const request = (id: number): void => flooder.send({ v: 1, type: 'request', id, name: 'hang' });
    for (let id = 1; id <= 1024; id++) request(id);
    await expect.poll(() => server.stats().pendingHandlers).toBe(1024);
    await healthy.check(); // during
    // Batches, each read back before the next: a peer that writes faster than it reads is closed
    // as a slow consumer (1013) by the backpressure policy, which is not what this case measures.
    const message = 'at most 1024 requests may be pending on one connection';
    const summary = (a: unknown): string => JSON.stringify((a as { envelope?: unknown }).envelope ?? a, ['type', 'id', 'code', 'message', 'close']);
    for (let first = 1025; first <= 20_000; first += 1000) {
      const ids = Array.from({ length: Math.min(1000, 20_001 - first) }, (_v, i) => first + i);
      for (const id of ids) request(id);
      const answers = [];
      for (const _id of ids) answers.push(summary(await flooder.next()));
      expect(answers).toEqual(ids.map((id) => JSON.stringify({ type: 'error', id, code: 'too_many_requests', message })));
    }
    expect(server.stats().pendingHandlers).toBe(1024);
    // 20,000 hanging calls would hold ~8 MB (~400 B each, measured); the cap holds ~0.4 MB. The bound
    // is generous for a busy machine: the precise check is the pending count.
    expect(memory.stop().rss).toBeLessThan(128 * MiB);
    await healthy.check(); // after
  });
});

describe('pathological envelopes', () => {
  it('a 100,000-level nested payload in an event is delivered (JSON.parse is iterative); echoing it back is reported, not thrown', async () => {
    const { server, port, errors } = await startTyped();
    const depths: number[] = [];
    server.on('connection', (peer) =>
      peer.on('note', (payload) => {
        let depth = 0;
        for (let v = payload; Array.isArray(v); v = v[0]) depth += 1;
        depths.push(depth);
        peer.emit('tick', payload as never); // JSON.stringify overflows the stack on it
      }),
    );
    const healthy = await HealthyTypedPeer.connect(port);
    const client = await EnvelopeClient.connect(port);
    client.send(`{"v":1,"type":"event","name":"note","payload":${nested(100_000)}}`);
    await healthy.check();
    await expect.poll(() => depths).toEqual([100_000]);
    expect(errors.map((e) => (e as Error).name)).toEqual(['RangeError']);
    await client.echo(1, 'still open');
  });

  it('a request whose handler returns the 100,000-level payload: an internal error envelope, reported, no crash', async () => {
    const { port, errors } = await startTyped();
    const healthy = await HealthyTypedPeer.connect(port);
    const client = await EnvelopeClient.connect(port);
    client.send(`{"v":1,"type":"request","id":7,"name":"echo","payload":${nested(100_000)}}`);
    expect(await client.next()).toEqual({ envelope: { v: 1, type: 'error', id: 7, code: 'internal', message: 'internal error' } });
    expect(errors.map((e) => (e as Error).name)).toEqual(['RangeError']);
    await healthy.check();
    await client.echo(8, 'still open');
  });

  it('the same nesting in a binary frame head → 1007 (the codec fails while reviving it)', async () => {
    const { port } = await startTyped();
    const healthy = await HealthyTypedPeer.connect(port);
    const client = await EnvelopeClient.connect(port);
    const head = Buffer.from(`{"v":1,"type":"event","name":"note","payload":${nested(100_000)},"bin":[]}`);
    const frame = Buffer.alloc(5 + head.length);
    frame[0] = 1; // docs/protocol.md "Binary frames": version byte, u32 JSON length, JSON
    frame.writeUInt32BE(head.length, 1);
    head.copy(frame, 5);
    client.raw.sendFrame(2, frame);
    const [closed] = await client.untilClose();
    expect(closed).toMatchObject({ close: 1007 });
    expect((closed as { reason: string }).reason).toMatch(/^json codec: /);
    await healthy.check();
  });

  it('a 1 MB name → 1008 "name" is invalid', async () => {
    const { port } = await startTyped();
    const healthy = await HealthyTypedPeer.connect(port);
    const client = await EnvelopeClient.connect(port);
    client.send({ v: 1, type: 'event', name: 'n'.repeat(1_000_000) });
    expect(await client.untilClose()).toEqual([{ close: 1008, reason: '"name" is invalid' }]);
    await healthy.check();
  });

  it.each(['bogus', '__proto__', 'constructor', 'toString', 'hasOwnProperty', ''])('unknown type %j → 1003', async (type) => {
    const { port } = await startTyped();
    const healthy = await HealthyTypedPeer.connect(port);
    const client = await EnvelopeClient.connect(port);
    client.send({ v: 1, type, name: 'x', id: 1 });
    expect(await client.untilClose()).toEqual([{ close: 1003, reason: `unknown type ${JSON.stringify(type)}` }]);
    await healthy.check();
  });

  it.each([[{}], [[1]], ['1'], [-1], [1.5], [2 ** 53], [null], [true]])('a request id of %j → 1008 "id" is invalid', async (id) => {
    const { port } = await startTyped();
    const healthy = await HealthyTypedPeer.connect(port);
    const client = await EnvelopeClient.connect(port);
    client.send({ v: 1, type: 'request', id, name: 'echo' });
    expect(await client.untilClose()).toEqual([{ close: 1008, reason: '"id" is invalid' }]);
    await healthy.check();
  });

  it('a response and an error for request ids never issued: reported and ignored, the connection stays', async () => {
    const { port, errors } = await startTyped();
    const healthy = await HealthyTypedPeer.connect(port);
    const client = await EnvelopeClient.connect(port);
    client.send({ v: 1, type: 'response', id: 424242, payload: 'unsolicited' });
    client.send({ v: 1, type: 'error', id: 424243, code: 'x', message: 'unsolicited' });
    await client.echo(1, 'still open');
    expect(errors).toMatchObject([
      { code: 'ERR_UNKNOWN_RESPONSE', closeCode: 1008, message: 'response for unknown request id 424242' },
      { code: 'ERR_UNKNOWN_RESPONSE', closeCode: 1008, message: 'error for unknown request id 424243' },
    ]);
    await healthy.check();
  });
});
