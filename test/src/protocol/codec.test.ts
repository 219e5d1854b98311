import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeEnvelope, jsonCodec } from '../../../src/codec.js';
import type { Codec } from '../../../src/codec.js';
import type { Envelope } from '../../../src/envelope.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

function failure(data: string | Uint8Array, codec: Codec = jsonCodec): { code: string; closeCode: number } {
  const result = decodeEnvelope(codec, data);
  if (result.ok) throw new Error('expected a decode failure');
  expect(result.error.name).toBe('ProtocolError');
  return { code: result.error.code, closeCode: result.error.closeCode };
}

describe('jsonCodec text frames', () => {
  it('encodes an event as exact JSON text', () => {
    const envelope: Envelope = { v: 1, type: 'event', name: 'chat', payload: { text: 'hé' } };
    expect(jsonCodec.encode(envelope)).toBe('{"v":1,"type":"event","name":"chat","payload":{"text":"hé"}}');
  });
  it('decodes exact JSON text', () => {
    expect(jsonCodec.decode('{"v":1,"type":"request","id":4,"name":"add","payload":[1,2]}')).toEqual({ v: 1, type: 'request', id: 4, name: 'add', payload: [1, 2] });
  });
  it('round-trips arbitrary JSON payloads', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ minLength: 1, maxLength: 20 }), (payload, name) => {
        const envelope: Envelope = { v: 1, type: 'event', name, payload };
        const data = jsonCodec.encode(envelope);
        expect(typeof data).toBe('string');
        expect(jsonCodec.decode(data)).toEqual(JSON.parse(JSON.stringify(envelope)));
      }),
      { numRuns: 200 },
    );
  });
  it('does not interpret $bin placeholders in text frames', () => {
    expect(jsonCodec.decode('{"v":1,"type":"event","name":"e","payload":{"$bin":0}}')).toEqual({ v: 1, type: 'event', name: 'e', payload: { $bin: 0 } });
  });
});

describe('jsonCodec binary frames', () => {
  it('puts a Uint8Array payload in a binary frame: version byte, u32 JSON length, JSON, raw bytes', () => {
    const data = jsonCodec.encode({ v: 1, type: 'event', name: 'b', payload: new Uint8Array([1, 2, 255]) });
    expect(data).toBeInstanceOf(Uint8Array);
    const json = '{"v":1,"type":"event","name":"b","payload":{"$bin":0},"bin":[3]}';
    expect(hex(data as Uint8Array)).toBe('01' + json.length.toString(16).padStart(8, '0') + Buffer.from(json).toString('hex') + '0102ff');
  });

  it('round-trips several binary values (Uint8Array, ArrayBuffer, other typed arrays, empty) without base64', () => {
    const big = new Uint8Array(70_000).map((_, i) => i % 251);
    const f32 = new Float32Array([1.5, -2]);
    const ab = new Uint8Array([9, 8, 7]).buffer;
    const envelope = { v: 1, type: 'request', id: 1, name: 'upload', payload: { big, nested: [{ ab }, new Uint8Array(0)], f32, text: 'x' } } as const;
    const data = jsonCodec.encode(envelope as unknown as Envelope) as Uint8Array;
    expect(data.byteLength).toBeLessThan(70_000 + 200); // raw bytes, not base64's +33 %
    const decoded = jsonCodec.decode(data) as { payload: { big: Uint8Array; nested: [{ ab: ArrayBuffer }, Uint8Array]; f32: Uint8Array; text: string } };
    expect(decoded.payload.big).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(decoded.payload.big).equals(Buffer.from(big))).toBe(true);
    expect(Object.prototype.toString.call(decoded.payload.nested[0].ab)).toBe('[object ArrayBuffer]');
    expect([...new Uint8Array(decoded.payload.nested[0].ab)]).toEqual([9, 8, 7]);
    expect(decoded.payload.nested[1]).toEqual(new Uint8Array(0));
    expect(new Float32Array(decoded.payload.f32.slice().buffer)).toEqual(f32); // typed arrays arrive as their bytes
    expect(decoded.payload.text).toBe('x');
    expect('bin' in decoded).toBe(false);
  });

  it('decodes a binary frame held in a larger buffer at an offset', () => {
    const frame = jsonCodec.encode({ v: 1, type: 'event', name: 'b', payload: new Uint8Array([5]) }) as Uint8Array;
    const host = new Uint8Array(frame.byteLength + 7);
    host.set(frame, 3);
    const decoded = jsonCodec.decode(host.subarray(3, 3 + frame.byteLength)) as { payload: Uint8Array };
    expect([...decoded.payload]).toEqual([5]);
  });
});

describe('strict decoding never throws', () => {
  const frame = (json: string, tail: number[] = [], version = 1): Uint8Array => {
    const body = Buffer.from(json);
    const out = Buffer.alloc(5 + body.length + tail.length);
    out[0] = version;
    out.writeUInt32BE(body.length, 1);
    body.copy(out, 5);
    Buffer.from(tail).copy(out, 5 + body.length);
    return new Uint8Array(out);
  };
  it.each([
    ['bad JSON', '{"v":1,', 1007],
    ['empty text', '', 1007],
    ['JSON that is not an object', '42', 1008],
    ['an unknown version', '{"v":9,"type":"ping"}', 1003],
    ['an unknown kind', '{"v":1,"type":"nope"}', 1003],
    ['a response without id', '{"v":1,"type":"response"}', 1008],
  ])('text: %s → closeCode %i', (_name, text, closeCode) => {
    expect(failure(text).closeCode).toBe(closeCode);
  });
  it.each([
    ['shorter than the header', new Uint8Array([1, 0, 0]), 1007, 'ERR_INVALID_ENVELOPE'],
    ['an unknown frame version', frame('{"v":1,"type":"ping","bin":[]}', [], 2), 1003, 'ERR_UNSUPPORTED_VERSION'],
    ['a JSON length beyond the frame', new Uint8Array([1, 0, 0, 0, 99, 0x7b]), 1007, 'ERR_INVALID_ENVELOPE'],
    ['JSON that is not UTF-8', frame('{"v":1,"type":"ping","bin":[]}').map((b, i) => (i === 6 ? 0xff : b)), 1007, 'ERR_INVALID_ENVELOPE'],
    ['no length table', frame('{"v":1,"type":"ping"}'), 1007, 'ERR_INVALID_ENVELOPE'],
    ['lengths short of the frame', frame('{"v":1,"type":"ping","bin":[1]}', [1, 2]), 1007, 'ERR_INVALID_ENVELOPE'],
    ['lengths beyond the frame', frame('{"v":1,"type":"ping","bin":[3]}', [1, 2]), 1007, 'ERR_INVALID_ENVELOPE'],
    ['a placeholder without attachment', frame('{"v":1,"type":"event","name":"e","payload":{"$bin":1},"bin":[1]}', [7]), 1007, 'ERR_INVALID_ENVELOPE'],
    ['a malformed envelope inside', frame('{"v":1,"type":"response","bin":[]}'), 1008, 'ERR_INVALID_ENVELOPE'],
  ])('binary: %s → closeCode %i', (_name, data, closeCode, code) => {
    expect(failure(data)).toEqual({ code, closeCode });
  });
  it('wraps a custom codec exception in a 1007 ProtocolError', () => {
    const broken: Codec = { name: 'broken', encode: () => '', decode: () => { throw new TypeError('boom'); } };
    const result = decodeEnvelope(broken, 'x');
    expect(result.ok).toBe(false);
    if (!result.ok) expect([result.error.code, result.error.closeCode, result.error.message]).toEqual(['ERR_INVALID_ENVELOPE', 1007, 'broken codec: boom']);
  });
  it('never throws on random bytes or text', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => void decodeEnvelope(jsonCodec, bytes)), { numRuns: 300 });
    fc.assert(fc.property(fc.string(), (text) => void decodeEnvelope(jsonCodec, text)), { numRuns: 300 });
  });
});

describe('jsonCodec with a Node Buffer payload', () => {
  it('sends a Buffer as raw bytes, not as its toJSON() form', () => {
    const envelope: Envelope = { v: 1, type: 'event', name: 'blob', payload: { data: Buffer.from([1, 2, 3]) } };
    const data = jsonCodec.encode(envelope);
    expect(data).toBeInstanceOf(Uint8Array);
    const decoded = jsonCodec.decode(data) as { payload: { data: Uint8Array } };
    expect(decoded.payload.data).toBeInstanceOf(Uint8Array);
    expect(Array.from(decoded.payload.data)).toEqual([1, 2, 3]);
  });
});

describe('jsonCodec with toJSON values', () => {
  it('keeps Date, URL and any toJSON() result as JSON.stringify would', () => {
    class Money {
      constructor(readonly cents: number) {}
      toJSON(): string {
        return `${this.cents / 100} EUR`;
      }
    }
    const payload = { at: new Date(0), url: new URL('https://example.com/a'), price: new Money(250) };
    const data = jsonCodec.encode({ v: 1, type: 'event', name: 'e', payload });
    expect(data).toBe('{"v":1,"type":"event","name":"e","payload":{"at":"1970-01-01T00:00:00.000Z","url":"https://example.com/a","price":"2.5 EUR"}}');
  });
});
