import { describe, expect, it } from 'vitest';
import { ErrorCodes, TandemError } from '../../../src/errors.js';
import { encodeClosePayload, encodeFrame, randomMaskKey } from '../../../src/rfc6455/frame-writer.js';
import { Opcodes } from '../../../src/rfc6455/constants.js';
import { RFC_MASK_KEY, closeBody, concat, frame, pattern, toBytes, toHex } from '../../helpers/frames.js';

const hexOf = (parts: Uint8Array[]): string => toHex(concat(parts));
const KEY = Uint8Array.from(RFC_MASK_KEY);

/** Serializer vectors: exact bytes. */
const VECTORS: { name: string; parts: () => Uint8Array[]; hex: string }[] = [
  { name: '§5.7 unmasked text "Hello"', parts: () => encodeFrame(Opcodes.Text, toBytes('Hello')), hex: '810548656c6c6f' },
  { name: '§5.7 masked text "Hello"', parts: () => encodeFrame(Opcodes.Text, toBytes('Hello'), { mask: KEY }), hex: '818537fa213d7f9f4d5158' },
  {
    name: '§5.7 fragmented text',
    parts: () => [...encodeFrame(Opcodes.Text, toBytes('Hel'), { fin: false }), ...encodeFrame(Opcodes.Continuation, toBytes('lo'))],
    hex: '010348656c80026c6f',
  },
  { name: '§5.7 unmasked ping', parts: () => encodeFrame(Opcodes.Ping, toBytes('Hello')), hex: '890548656c6c6f' },
  { name: '§5.7 masked pong', parts: () => encodeFrame(Opcodes.Pong, toBytes('Hello'), { mask: KEY }), hex: '8a8537fa213d7f9f4d5158' },
  { name: '§5.7 256 bytes binary', parts: () => encodeFrame(Opcodes.Binary, pattern(256)), hex: '827e0100' + toHex(pattern(256)) },
  { name: '§5.7 64 KiB binary', parts: () => encodeFrame(Opcodes.Binary, pattern(65536)), hex: '827f0000000000010000' + toHex(pattern(65536)) },
  { name: 'empty binary', parts: () => encodeFrame(Opcodes.Binary, new Uint8Array(0)), hex: '8200' },
  { name: 'empty masked close', parts: () => encodeFrame(Opcodes.Close, new Uint8Array(0), { mask: KEY }), hex: '888037fa213d' },
  { name: 'RSV1 compressed first frame', parts: () => encodeFrame(Opcodes.Text, Uint8Array.of(1), { rsv1: true, fin: false }), hex: '410101' },
  ...[0, 125, 126, 65535, 65536].flatMap((n) => [
    { name: `length ${n}, unmasked`, parts: () => encodeFrame(Opcodes.Binary, pattern(n)), hex: toHex(frame(2, pattern(n))) },
    { name: `length ${n}, masked`, parts: () => encodeFrame(Opcodes.Binary, pattern(n), { mask: KEY }), hex: toHex(frame(2, pattern(n), { maskKey: RFC_MASK_KEY })) },
  ]),
];

describe('encodeFrame', () => {
  for (const vector of VECTORS) {
    it(vector.name, () => {
      expect(hexOf(vector.parts())).toBe(vector.hex);
    });
  }

  it('uses the 16- and 64-bit forms exactly at the boundaries', () => {
    expect(toHex(encodeFrame(2, pattern(125))[0]!)).toBe('827d');
    expect(toHex(encodeFrame(2, pattern(126))[0]!)).toBe('827e007e');
    expect(toHex(encodeFrame(2, pattern(65535))[0]!)).toBe('827effff');
    expect(toHex(encodeFrame(2, pattern(65536))[0]!)).toBe('827f0000000000010000');
  });

  it('encodes a length above 2^32 in the 64-bit form', () => {
    const fake = { length: 2 ** 32 + 5 } as Uint8Array; // only the length is read when unmasked
    expect(toHex(encodeFrame(2, fake)[0]!)).toBe('827f0000000100000005');
  });

  it('returns the payload itself when unmasked, and masks a copy otherwise', () => {
    const payload = pattern(10);
    expect(encodeFrame(2, payload)[1]).toBe(payload);
    const masked = encodeFrame(2, payload, { mask: KEY })[1]!;
    expect(masked).not.toBe(payload);
    expect(payload).toEqual(pattern(10));
  });

  it('refuses control frames that are long or fragmented', () => {
    for (const call of [() => encodeFrame(Opcodes.Ping, pattern(126)), () => encodeFrame(Opcodes.Close, pattern(2), { fin: false })]) {
      expect(call).toThrow(TandemError);
      expect(call).toThrow(expect.objectContaining({ code: ErrorCodes.InvalidArgument }));
    }
    expect(hexOf(encodeFrame(Opcodes.Ping, pattern(125)))).toBe(toHex(frame(9, pattern(125))));
  });
});

describe('encodeClosePayload', () => {
  it('is empty without a code, code + reason otherwise', () => {
    expect(encodeClosePayload().length).toBe(0);
    expect(toHex(encodeClosePayload(1000))).toBe('03e8');
    expect(toHex(encodeClosePayload(4001, 'hi'))).toBe(toHex(closeBody(4001, 'hi')));
  });

  it('truncates the reason to 123 bytes on a UTF-8 boundary', () => {
    const reason = 'a' + '€'.repeat(60); // 1 + 180 bytes
    const payload = encodeClosePayload(1000, reason);
    expect(payload.length).toBe(2 + 1 + 40 * 3); // 121 + 2: the 42nd € would cross 123
    expect(new TextDecoder('utf-8', { fatal: true }).decode(payload.subarray(2))).toBe('a' + '€'.repeat(40));
    expect(encodeClosePayload(1000, 'x'.repeat(200)).length).toBe(125);
  });

  it('refuses codes that may not be sent', () => {
    for (const code of [999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 1000.5]) {
      expect(() => encodeClosePayload(code), String(code)).toThrow(expect.objectContaining({ code: ErrorCodes.InvalidArgument }));
    }
  });
});

describe('randomMaskKey', () => {
  it('gives fresh keys', () => {
    const keys = new Set<string>();
    const key = new Uint8Array(4);
    for (let i = 0; i < 600; i++) {
      randomMaskKey(key);
      keys.add(toHex(key));
    }
    expect(keys.size).toBeGreaterThan(590); // 600 draws from 2^32: collisions are vanishingly rare
  });
});

describe('client-role masking', () => {
  it("masks into a copy, even when the payload's slice() is a view (a Node Buffer)", () => {
    const payload = Buffer.from('Hello');
    const parts = encodeFrame(Opcodes.Text, payload, { mask: KEY });
    expect(hexOf(parts)).toBe('818537fa213d7f9f4d5158');
    expect(payload.toString()).toBe('Hello');
    expect(parts[1]!.buffer).not.toBe(payload.buffer);
  });
});
