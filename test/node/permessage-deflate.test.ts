import { constants, createDeflateRaw, inflateRawSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { CloseCodes } from '../../src/close-codes.js';
import { ErrorCodes, ProtocolError, StateError } from '../../src/errors.js';
import type { PerMessageDeflateParams } from '../../src/rfc6455/permessage-deflate-params.js';
import {
  ConcurrencyLimiter,
  DEFAULTS,
  PerMessageDeflate,
  resolvePerMessageDeflateOptions,
  type PerMessageDeflateInit,
} from '../../node/permessage-deflate.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const DEFAULT_PARAMS: PerMessageDeflateParams = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};

const open: PerMessageDeflate[] = [];
afterEach(() => {
  for (const pmd of open.splice(0)) pmd.close();
});

function make(overrides: Partial<Omit<PerMessageDeflateInit, 'params'>> & { params?: Partial<PerMessageDeflateParams> } = {}): PerMessageDeflate {
  const pmd = new PerMessageDeflate({
    role: 'server',
    maxPayload: 64 * MiB,
    limiter: new ConcurrencyLimiter(4),
    ...overrides,
    params: { ...DEFAULT_PARAMS, ...overrides.params },
  });
  open.push(pmd);
  return pmd;
}

const hex = (data: Uint8Array): string => Buffer.from(data).toString('hex');
const bytes = (h: string): Uint8Array => Buffer.from(h.replace(/ /g, ''), 'hex');
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
/** Byte-wise equality (a Buffer and a Uint8Array with the same bytes are the same message). */
const asBuffer = (data: Uint8Array): Buffer => Buffer.from(data.buffer, data.byteOffset, data.byteLength);
function expectBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.byteLength).toBe(expected.byteLength);
  // hex for a readable diff on small messages; deep-equal on megabytes is needlessly slow
  if (expected.byteLength <= 4096) expect(hex(actual)).toBe(hex(expected));
  else expect(asBuffer(actual).equals(asBuffer(expected))).toBe(true);
}

/** Deterministic, moderately compressible data (a small LCG, no Math.random). */
function sample(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = 0x61 + ((x >>> 16) % 8);
  }
  return out;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('RFC 7692 §7.2.3 examples', () => {
  it('§7.2.3.1: compresses "Hello" to f2 48 cd c9 c9 07 00', async () => {
    expect(hex(await make().compress(text('Hello')))).toBe('f248cdc9c90700');
  });

  it('§7.2.3.2: with context takeover the second "Hello" is f2 00 11 00 00', async () => {
    const pmd = make();
    expect(hex(await pmd.compress(text('Hello')))).toBe('f248cdc9c90700');
    expect(hex(await pmd.compress(text('Hello')))).toBe('f200110000');
  });

  it('§7.2.3.2: without context takeover every "Hello" is the same', async () => {
    const pmd = make({ params: { serverNoContextTakeover: true } });
    expect(hex(await pmd.compress(text('Hello')))).toBe('f248cdc9c90700');
    expect(hex(await pmd.compress(text('Hello')))).toBe('f248cdc9c90700');
  });

  it('decompresses the shared-window pair, and the client role mirrors the parameters', async () => {
    const client = make({ role: 'client' });
    expectBytes(await client.decompress(bytes('f248cdc9c90700')), text('Hello'));
    expectBytes(await client.decompress(bytes('f200110000')), text('Hello'));
  });

  it('§7.2.3.3 stored block, §7.2.3.4 BFINAL, §7.2.3.5 two blocks, then a normal message', async () => {
    const pmd = make();
    expectBytes(await pmd.decompress(bytes('00 05 00 fa ff 48 65 6c 6c 6f 00')), text('Hello'));
    expectBytes(await pmd.decompress(bytes('f3 48 cd c9 c9 07 00 00')), text('Hello'));
    // BFINAL ended that zlib stream; the next message must not be fed to a finished inflater.
    expectBytes(await pmd.decompress(bytes('f2 48 05 00 00 00 ff ff ca c9 c9 07 00')), text('Hello'));
    expectBytes(await pmd.decompress(bytes('f248cdc9c90700')), text('Hello'));
  });

  it('§7.2.3.6: an empty message compresses to 00 and back', async () => {
    const pmd = make();
    const empty = await pmd.compress(new Uint8Array(0));
    expect(hex(empty)).toBe('00');
    expectBytes(await make({ role: 'client' }).decompress(empty), new Uint8Array(0));
  });
});

describe('round trips', () => {
  const sizes = [0, 1, 125, 1023, 1024, 65_535, 65_536, 300 * KiB];

  for (const noContextTakeover of [false, true]) {
    it(`server → client and client → server, ${noContextTakeover ? 'no ' : ''}context takeover, sizes ${sizes.join('/')}`, async () => {
      const params = { serverNoContextTakeover: noContextTakeover, clientNoContextTakeover: noContextTakeover };
      const server = make({ role: 'server', params });
      const client = make({ role: 'client', params });
      const wire: Uint8Array[] = [];
      for (const [i, size] of sizes.entries()) {
        const message = sample(size, i + 1);
        const compressed = await server.compress(message);
        wire.push(compressed);
        expectBytes(await client.decompress(compressed), message);
        expectBytes(await server.decompress(await client.compress(message)), message);
      }
      // Independent referee: node:zlib's one-shot raw inflate of what went on the wire.
      const expected = Buffer.concat(sizes.map((size, i) => sample(size, i + 1)));
      if (noContextTakeover) {
        const each = wire.map((m) => inflateRawSync(Buffer.concat([m, TRAILER]), { finishFlush: constants.Z_SYNC_FLUSH }));
        expectBytes(Buffer.concat(each), expected);
      } else {
        const stream = Buffer.concat(wire.flatMap((m) => [m, TRAILER]));
        expectBytes(inflateRawSync(stream, { finishFlush: constants.Z_SYNC_FLUSH }), expected);
      }
    });
  }

  it('context takeover makes a repeated message smaller; no context takeover does not', async () => {
    const message = sample(4 * KiB, 7);
    const takeover = make();
    const first = await takeover.compress(message);
    const second = await takeover.compress(message);
    expect(second.length).toBeLessThan(first.length / 4);
    const reset = make({ params: { serverNoContextTakeover: true } });
    expectBytes(await reset.compress(message), first);
    expectBytes(await reset.compress(message), first);
  });

  it('fragments: compress(…, fin = false) parts concatenate to one message, decompress(…, false) too', async () => {
    const server = make();
    const client = make({ role: 'client' });
    const parts = [sample(10 * KiB, 1), sample(1, 2), sample(0, 3), sample(5 * KiB, 4)];
    const compressed: Uint8Array[] = [];
    for (const [i, part] of parts.entries()) compressed.push(await server.compress(part, i === parts.length - 1));
    // non-final fragments keep their sync-flush marker, only the final one is stripped
    expect(hex(compressed[0] ?? new Uint8Array()).endsWith('0000ffff')).toBe(true);
    expect(hex(compressed[3] ?? new Uint8Array()).endsWith('0000ffff')).toBe(false);
    const whole = Buffer.concat(compressed);
    expectBytes(await client.decompress(whole), Buffer.concat(parts));
    // receiving the same bytes in arbitrary fragments gives the same message
    const pieces = [whole.subarray(0, 3), whole.subarray(3, 700), whole.subarray(700)];
    const out: Uint8Array[] = [];
    for (const [i, piece] of pieces.entries()) out.push(await server.decompress(piece, i === pieces.length - 1));
    expectBytes(Buffer.concat(out), Buffer.concat(parts));
  });

  it('honours a negotiated window: 9 bits decode with a 512-byte window, 15 bits do not', async () => {
    // a repeat at distance 1 KiB: only a window larger than 512 bytes can reference it
    const block = sample(KiB, 9);
    const message = Buffer.concat([block, block, block]);
    const small = await make({ params: { serverMaxWindowBits: 9 } }).compress(message);
    expectBytes(inflateRawSync(Buffer.concat([small, TRAILER]), { windowBits: 9, finishFlush: constants.Z_SYNC_FLUSH }), message);
    // zlib's inflate does not enforce the declared window, so prove the limit by size instead:
    // with 512 bytes of history the 1 KiB repeats cannot be referenced.
    const big = await make().compress(message);
    expect(small.length).toBeGreaterThan(2 * big.length);
    // client role: compresses with clientMaxWindowBits, inflates anything up to serverMaxWindowBits
    const client = make({ role: 'client', params: { clientMaxWindowBits: 9, serverMaxWindowBits: 8 } });
    const fromClient = await client.compress(message);
    expectBytes(inflateRawSync(Buffer.concat([fromClient, TRAILER]), { windowBits: 9, finishFlush: constants.Z_SYNC_FLUSH }), message);
    expectBytes(await client.decompress(small), message);
  });

  it('refuses to compress with an 8-bit window (zlib would silently use 9)', () => {
    expect(() => make({ params: { serverMaxWindowBits: 8 } })).toThrow(expect.objectContaining({ code: ErrorCodes.InvalidArgument }));
    expect(() => make({ role: 'client', params: { clientMaxWindowBits: 8 } })).toThrow(expect.objectContaining({ code: ErrorCodes.InvalidArgument }));
    expect(() => make({ params: { clientMaxWindowBits: 8 } })).not.toThrow();
  });
});

/** Sync-flushed segments of a raw deflate stream of zeros: segment 2, 3, … are byte-identical. */
async function zeroSegments(segmentBytes: number): Promise<{ first: Buffer; next: Buffer }> {
  const deflate = createDeflateRaw({ level: 9 });
  const flushSegment = () =>
    new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      const onData = (chunk: Buffer) => chunks.push(chunk);
      deflate.on('data', onData);
      deflate.write(Buffer.alloc(segmentBytes));
      deflate.flush(constants.Z_SYNC_FLUSH, () => {
        deflate.off('data', onData);
        resolve(Buffer.concat(chunks));
      });
    });
  const first = await flushSegment();
  const next = await flushSegment();
  const third = await flushSegment();
  deflate.close();
  expect(third).toEqual(next);
  return { first, next };
}

describe('limits and invalid data', () => {
  it('a 1 GiB zip bomb in a ~1 MiB message → 1009, and zlib stops near maxPayload', async () => {
    const { first, next } = await zeroSegments(MiB);
    // sanity: the repeated segment really decodes to 1 MiB of zeros each
    const small = Buffer.concat([first, next, next]);
    const out = inflateRawSync(small, { finishFlush: constants.Z_SYNC_FLUSH });
    expect(out.length).toBe(3 * MiB);
    expect(out.every((b) => b === 0)).toBe(true);

    const bomb = Buffer.concat([first, ...Array.from({ length: 1023 }, () => next)]); // inflates to 1 GiB
    expect(bomb.length).toBeLessThan(1.1 * MiB);
    const maxPayload = MiB;
    const pmd = make({ maxPayload });
    const err = await rejection(pmd.decompress(bomb));
    expect(err).toBeInstanceOf(ProtocolError);
    expect(err).toMatchObject({ code: ErrorCodes.MessageTooBig, closeCode: CloseCodes.MessageTooBig });
    // zlib produced at most one 16 KiB output chunk beyond the limit, not 1 GiB
    expect(pmd.stats.bytesInflated).toBeGreaterThan(maxPayload);
    expect(pmd.stats.bytesInflated).toBeLessThanOrEqual(maxPayload + 64 * KiB);
    // the connection is being failed; the object still answers later calls sanely
    expectBytes(await pmd.decompress(bytes('f248cdc9c90700')), text('Hello'));
  });

  it('maxPayload counts the inflated bytes across fragments; exactly maxPayload passes', async () => {
    const server = make();
    const message = sample(100 * KiB, 3);
    const compressed = await server.compress(message);
    expectBytes(await make({ role: 'client', maxPayload: 100 * KiB }).decompress(compressed), message);
    const client = make({ role: 'client', maxPayload: 100 * KiB - 1 });
    const err = await rejection(client.decompress(compressed));
    expect(err).toMatchObject({ code: ErrorCodes.MessageTooBig, closeCode: 1009 });

    const fragmented = make({ role: 'client', maxPayload: 150 * KiB });
    const sender = make();
    const [a, b] = [await sender.compress(message, false), await sender.compress(message, true)];
    await fragmented.decompress(a, false);
    expect(await rejection(fragmented.decompress(b, true))).toMatchObject({ code: ErrorCodes.MessageTooBig, closeCode: 1009 });
  });

  it('invalid deflate data → ProtocolError ERR_INFLATE_FAILED / 1007', async () => {
    for (const bad of ['ff', 'fe ff ff ff', '00 05 00 00 00 48 65']) {
      const err = await rejection(make().decompress(bytes(bad)));
      expect(err).toBeInstanceOf(ProtocolError);
      expect(err).toMatchObject({ code: ErrorCodes.InflateFailed, closeCode: CloseCodes.InvalidPayload });
    }
  });
});

/** A limiter that records how many jobs ran at once. */
class CountingLimiter extends ConcurrencyLimiter {
  now = 0;
  peak = 0;
  override run<T>(job: () => Promise<T>): Promise<T> {
    return super.run(async () => {
      this.now++;
      this.peak = Math.max(this.peak, this.now);
      try {
        return await job();
      } finally {
        this.now--;
      }
    });
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('ConcurrencyLimiter', () => {
  it('never runs more than its limit, starts jobs in FIFO order, settles each with its job', async () => {
    const limiter = new ConcurrencyLimiter(3);
    const gates = Array.from({ length: 10 }, deferred);
    const started: number[] = [];
    const results = gates.map((gate, i) =>
      limiter.run(async () => {
        started.push(i);
        await gate.promise;
        if (i === 4) throw new Error('job 4 failed');
        return i;
      }),
    );
    expect(limiter.active).toBe(3);
    expect(limiter.pending).toBe(7);
    expect(started).toEqual([0, 1, 2]);
    // finish out of order: the freed slots go to the oldest waiters
    gates[2]?.resolve();
    gates[0]?.resolve();
    await results[0];
    await results[2];
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(limiter.active).toBe(3);
    for (const gate of gates) gate.resolve();
    const settled = await Promise.allSettled(results);
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : 'rejected'))).toEqual([0, 1, 2, 3, 'rejected', 5, 6, 7, 8, 9]);
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect([limiter.active, limiter.pending]).toEqual([0, 0]);
  });

  it('is shared: 40 connections compressing and decompressing at once stay within the limit', async () => {
    const limiter = new CountingLimiter(3);
    const pairs = Array.from({ length: 20 }, () => [make({ limiter }), make({ role: 'client', limiter })] as const);
    const message = sample(64 * KiB, 5);
    await Promise.all(
      pairs.map(async ([server, client], i) => {
        for (let round = 0; round < 3; round++) expectBytes(await client.decompress(await server.compress(message)), message);
        return i;
      }),
    );
    expect(limiter.peak).toBe(3);
    expect([limiter.active, limiter.pending]).toEqual([0, 0]);
  });

  it('rejects a bad limit', () => {
    for (const limit of [0, -1, 1.5, Number.NaN]) {
      expect(() => new ConcurrencyLimiter(limit)).toThrow(expect.objectContaining({ code: ErrorCodes.InvalidArgument }));
    }
  });
});

describe('per-connection order', () => {
  it('a small message queued after a big one resolves after it, in both directions', async () => {
    const limiter = new ConcurrencyLimiter(8);
    const server = make({ limiter });
    const client = make({ role: 'client', limiter });
    const big = sample(2 * MiB, 11);
    const small = text('small');
    const order: string[] = [];
    const bigSent = server.compress(big).then((out) => (order.push('big'), out));
    const smallSent = server.compress(small).then((out) => (order.push('small'), out));
    const [bigWire, smallWire] = await Promise.all([bigSent, smallSent]);
    expect(order).toEqual(['big', 'small']);

    order.length = 0;
    const [bigOut, smallOut] = await Promise.all([
      client.decompress(bigWire).then((out) => (order.push('big'), out)),
      client.decompress(smallWire).then((out) => (order.push('small'), out)),
    ]);
    expect(order).toEqual(['big', 'small']);
    expectBytes(bigOut, big);
    expectBytes(smallOut, small);
  });

  it('keeps order even when the shared limiter would let the later job run first', async () => {
    // The first job handed to this limiter waits 20 ms before it may start; a later one starts at once.
    class StallFirstLimiter extends ConcurrencyLimiter {
      calls = 0;
      override run<T>(job: () => Promise<T>): Promise<T> {
        if (this.calls++ > 0) return super.run(job);
        return new Promise((resolve) => setTimeout(resolve, 20)).then(() => super.run(job));
      }
    }
    const limiter = new StallFirstLimiter(4);
    const server = make({ limiter });
    const order: string[] = [];
    const first = server.compress(sample(8 * KiB, 1)).then((out) => (order.push('first'), out));
    const second = server.compress(sample(8 * KiB, 1)).then((out) => (order.push('second'), out));
    const [a, b] = await Promise.all([first, second]);
    expect(order).toEqual(['first', 'second']);
    // and the context is used in call order: the repeat compresses to almost nothing
    expect(b.length).toBeLessThan(a.length / 10);
    const client = make({ role: 'client' });
    expectBytes(await client.decompress(a), sample(8 * KiB, 1));
    expectBytes(await client.decompress(b), sample(8 * KiB, 1));
  });

  it('keeps order when an earlier job of the same connection fails', async () => {
    const pmd = make({ params: { clientNoContextTakeover: true } });
    const order: string[] = [];
    const bad = pmd.decompress(bytes('ff')).catch(() => order.push('bad'));
    const good = pmd.decompress(bytes('f248cdc9c90700')).then(() => order.push('good'));
    await Promise.all([bad, good]);
    expect(order).toEqual(['bad', 'good']);
  });
});

describe('close()', () => {
  it('rejects the job in flight and the queued ones with StateError, releases zlib, is idempotent', async () => {
    const pmd = make();
    const inFlight = pmd.compress(sample(4 * MiB, 2));
    const queued = pmd.decompress(bytes('f248cdc9c90700'));
    pmd.close();
    pmd.close();
    for (const p of [inFlight, queued, pmd.compress(text('late'))]) {
      const err = await rejection(p);
      expect(err).toBeInstanceOf(StateError);
      expect(err).toMatchObject({ code: ErrorCodes.InvalidState });
    }
  });

  it('frees the limiter slots of a closed connection', async () => {
    const limiter = new ConcurrencyLimiter(1);
    const a = make({ limiter });
    const b = make({ limiter });
    const pending = a.compress(sample(4 * MiB, 3));
    a.close();
    await rejection(pending);
    expectBytes(await make({ role: 'client' }).decompress(await b.compress(text('Hello'))), text('Hello'));
    expect(limiter.active).toBe(0);
  });
});

describe('resolvePerMessageDeflateOptions', () => {
  it('is off by default', () => {
    expect(resolvePerMessageDeflateOptions(undefined)).toBeUndefined();
    expect(resolvePerMessageDeflateOptions(false)).toBeUndefined();
  });
  it('fills in the defaults', () => {
    expect(resolvePerMessageDeflateOptions(true)).toEqual({
      serverNoContextTakeover: false,
      clientNoContextTakeover: false,
      serverMaxWindowBits: undefined,
      clientMaxWindowBits: undefined,
      threshold: 1024,
      level: DEFAULTS.level,
      memLevel: 8,
      concurrency: 10,
    });
    expect(resolvePerMessageDeflateOptions({ threshold: 0, serverMaxWindowBits: 10, concurrency: 2 })).toMatchObject({ threshold: 0, serverMaxWindowBits: 10, concurrency: 2 });
  });
  it('rejects out-of-range values', () => {
    for (const bad of [{ threshold: -1 }, { level: 10 }, { memLevel: 0 }, { concurrency: 0 }, { serverMaxWindowBits: 16 }, { clientMaxWindowBits: 7 }]) {
      expect(() => resolvePerMessageDeflateOptions(bad)).toThrow(expect.objectContaining({ code: ErrorCodes.InvalidArgument }));
    }
  });
});

describe('zlib stream reuse (one stream per direction, reset between messages)', () => {
  it('without context takeover, 200 messages through one object compress alike and inflate exactly', async () => {
    const server = make({ params: { serverNoContextTakeover: true, clientNoContextTakeover: true } });
    const client = make({ role: 'client', params: { serverNoContextTakeover: true, clientNoContextTakeover: true } });
    const message = sample(1100, 9);
    const wires = await Promise.all(Array.from({ length: 200 }, () => client.compress(message)));
    // RFC 7692 §7.1.1.1: every message starts from an empty window, so every one is the same bytes
    for (const wire of wires) expect(hex(wire)).toBe(hex(wires[0]!));
    const outs = await Promise.all(wires.map((wire) => server.decompress(wire)));
    for (const out of outs) expectBytes(out, message);
  });

  it('a message queued behind a zip bomb is inflated by a fresh stream, untouched by the aborted one', async () => {
    const { first, next } = await zeroSegments(MiB);
    const bomb = Buffer.concat([first, ...Array.from({ length: 63 }, () => next)]); // 64 MiB inflated
    const pmd = make({ maxPayload: MiB, params: { clientNoContextTakeover: true } });
    const results = await Promise.allSettled([pmd.decompress(bomb), pmd.decompress(bytes('f248cdc9c90700')), pmd.decompress(bytes('f248cdc9c90700'))]);
    expect(results[0]).toMatchObject({ status: 'rejected', reason: { code: ErrorCodes.MessageTooBig, closeCode: CloseCodes.MessageTooBig } });
    for (const r of results.slice(1)) {
      expect(r.status).toBe('fulfilled');
      if (r.status === 'fulfilled') expectBytes(r.value, text('Hello'));
    }
  });

  it('a message queued behind invalid data still inflates with the negotiated context', async () => {
    const pmd = make();
    const results = await Promise.allSettled([pmd.decompress(bytes('ff')), pmd.decompress(bytes('f248cdc9c90700')), pmd.decompress(bytes('f200110000'))]);
    expect(results[0]).toMatchObject({ status: 'rejected', reason: { code: ErrorCodes.InflateFailed, closeCode: CloseCodes.InvalidPayload } });
    // RFC 7692 §7.2.3.2: the second "Hello" refers back into the first one's window
    expect(results.slice(1).map((r) => (r.status === 'fulfilled' ? Buffer.from(r.value).toString() : 'rejected'))).toEqual(['Hello', 'Hello']);
  });
});

describe('ConcurrencyLimiter fast path', () => {
  it('starts a job synchronously while a slot is free, and queues only when full', async () => {
    const limiter = new ConcurrencyLimiter(2);
    const gates = [deferred(), deferred(), deferred()];
    const started: number[] = [];
    const runs = gates.map((gate, i) => limiter.run(() => (started.push(i), gate.promise.then(() => i))));
    expect(started).toEqual([0, 1]);
    expect([limiter.active, limiter.pending]).toEqual([2, 1]);
    for (const gate of gates) gate.resolve();
    expect(await Promise.all(runs)).toEqual([0, 1, 2]);
    expect([limiter.active, limiter.pending]).toEqual([0, 0]);
  });

  it('frees the slot of a job that throws synchronously and passes the error on', async () => {
    const limiter = new ConcurrencyLimiter(1);
    const err = await rejection(limiter.run(() => {
      throw new Error('sync failure');
    }));
    expect(err).toMatchObject({ message: 'sync failure' });
    expect(await limiter.run(() => Promise.resolve('next'))).toBe('next');
    expect([limiter.active, limiter.pending]).toEqual([0, 0]);
  });
});
