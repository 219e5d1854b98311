/** fast-check properties of the engine: chunking never matters; no byte stream can make it throw. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Role } from '../../../src/rfc6455/index.js';
import { clientFrame, concat, frame, toHex } from '../../helpers/frames.js';
import { feed, type EngineEvent } from './recorder.js';

type Item =
  | { kind: 'data'; binary: boolean; payload: Uint8Array; cuts: number[]; pingAfter: number | null }
  | { kind: 'ping'; payload: Uint8Array };

const maskKey = fc.array(fc.nat(255), { minLength: 4, maxLength: 4 });
const item: fc.Arbitrary<Item> = fc.oneof(
  fc.record({
    kind: fc.constant('data' as const),
    binary: fc.constant(false),
    payload: fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => new TextEncoder().encode(s)),
    cuts: fc.array(fc.nat(200), { maxLength: 4 }),
    pingAfter: fc.option(fc.nat(4)),
  }),
  fc.record({
    kind: fc.constant('data' as const),
    binary: fc.constant(true),
    payload: fc.uint8Array({ maxLength: 300 }),
    cuts: fc.array(fc.nat(400), { maxLength: 4 }),
    pingAfter: fc.option(fc.nat(4)),
  }),
  fc.record({ kind: fc.constant('ping' as const), payload: fc.uint8Array({ maxLength: 125 }) }),
);

/** Encode items as client frames (text fragments may split UTF-8 sequences) and the events a server must report. */
function encode(items: readonly Item[], keys: readonly number[][]): { stream: Uint8Array; expected: EngineEvent[] } {
  const frames: Uint8Array[] = [];
  const expected: EngineEvent[] = [];
  let k = 0;
  const key = () => keys[k++ % keys.length]!;
  const ping = (payload: Uint8Array) => {
    frames.push(clientFrame(9, payload, { maskKey: key() }));
    expected.push({ type: 'write', hex: toHex(frame(10, payload)) }, { type: 'ping', hex: toHex(payload) });
  };
  for (const it of items) {
    if (it.kind === 'ping') {
      ping(it.payload);
      continue;
    }
    const points = [...new Set(it.cuts.map((c) => c % (it.payload.length + 1)))].sort((a, b) => a - b);
    const bounds = [0, ...points, it.payload.length];
    for (let f = 0; f + 1 < bounds.length; f++) {
      const last = f + 2 === bounds.length;
      frames.push(clientFrame(f === 0 ? (it.binary ? 2 : 1) : 0, it.payload.subarray(bounds[f], bounds[f + 1]), { fin: last, maskKey: key() }));
      if (!last && it.pingAfter === f) ping(Uint8Array.of(f));
    }
    expected.push({ type: 'message', binary: it.binary, compressed: false, hex: toHex(it.payload) });
  }
  return { stream: concat(frames), expected };
}

const cutsFor = (length: number) => fc.array(fc.nat(Math.max(0, length)), { maxLength: 12 }).map((cuts) => [...new Set(cuts)].sort((a, b) => a - b));

describe('engine properties', () => {
  it('any chunking of a valid frame stream yields the same messages', () => {
    fc.assert(
      fc.property(
        fc.array(item, { maxLength: 8 }),
        fc.array(maskKey, { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(1 << 16), { maxLength: 12 }),
        (items, keys, rawCuts) => {
          const { stream, expected } = encode(items, keys);
          const cuts = [...new Set(rawCuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
          expect(feed({ role: 'server' }, stream, cuts)).toEqual(expected);
        },
      ),
      { numRuns: 400 },
    );
  });

  for (const role of ['server', 'client'] as Role[]) {
    it(`random bytes never throw out of receive() (${role} role): they end in a close code or wait`, () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ maxLength: 200 }).chain((bytes) => fc.tuple(fc.constant(bytes), cutsFor(bytes.length))),
          ([bytes, cuts]) => checkOutcome(role, bytes, cuts),
        ),
        { numRuns: 1500 },
      );
    });
  }

  it('random frame headers around valid frames never throw and end cleanly', () => {
    const header = fc.tuple(fc.nat(255), fc.nat(255)).map(([a, b]) => Uint8Array.of(a, b | 0x80, 1, 2, 3, 4));
    const valid = fc.uint8Array({ maxLength: 20 }).map((p) => clientFrame(2, p));
    fc.assert(
      fc.property(fc.array(fc.oneof(header, valid, fc.uint8Array({ maxLength: 8 })), { maxLength: 10 }), (parts) => {
        const bytes = concat(parts);
        checkOutcome('server', bytes, []);
      }),
      { numRuns: 1500 },
    );
  });
});

/** The stream either failed (a close frame with the error's code was written, then nothing), closed, or is waiting. */
function checkOutcome(role: Role, bytes: Uint8Array, cuts: number[]): void {
  const events = feed({ role }, bytes, cuts);
  const errors = events.filter((e) => e.type === 'error');
  expect(errors.length).toBeLessThanOrEqual(1);
  const error = errors[0];
  if (error?.type === 'error') {
    expect([1002, 1007, 1009]).toContain(error.closeCode);
    expect(events[events.length - 1]).toBe(error);
    const close = events[events.length - 2];
    expect(close?.type).toBe('write');
    // The close frame carries exactly the error's code (masked in the client role: check the header).
    if (close?.type === 'write' && role === 'server') expect(close.hex).toBe(`8802${error.closeCode.toString(16).padStart(4, '0')}`);
    if (close?.type === 'write' && role === 'client') expect(close.hex.slice(0, 4)).toBe('8882');
  }
  const closes = events.filter((e) => e.type === 'close');
  expect(closes.length + errors.length).toBeLessThanOrEqual(1);
  if (closes[0]) expect(events[events.length - 1]).toBe(closes[0]);
}
