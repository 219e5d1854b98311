import { describe, expect, it } from 'vitest';
import { SharedBody, entryBytes, entryData, sharedEntry, sharedFrame } from '../../../../server/typed/session/log-entry.js';
import type { SharedEntry } from '../../../../server/typed/session/log-entry.js';
import { jsonCodec } from '../../../../src/codec.js';
import { eventEnvelope } from '../../../../src/envelope.js';
import { Opcodes } from '../../../../src/rfc6455/constants.js';
import { concat, serverFrame } from '../../../helpers/frames.js';

function shared(body: SharedBody, seq: number, ack?: number): SharedEntry {
  return sharedEntry(body, seq, ack);
}

describe('log entries of broadcasts: the seq spliced in, the body shared', () => {
  it('a text broadcast becomes `{"seq":N,` + the body after its brace, byte for byte', () => {
    const data = jsonCodec.encode(eventEnvelope('chat', { text: 'hé' })) as string;
    const body = new SharedBody(data);
    const expected = '{"seq":42,"v":1,"type":"event","name":"chat","payload":{"text":"hé"}}';
    expect(concat(sharedFrame(shared(body, 42)))).toEqual(serverFrame(Opcodes.Text, expected));
    expect(entryData(shared(body, 42))).toBe(expected);
    expect(entryBytes(shared(body, 42))).toBe(Buffer.byteLength(expected));
    // the receiver's codec reads it as the same event, numbered
    expect(jsonCodec.decode(expected)).toEqual({ seq: 42, v: 1, type: 'event', name: 'chat', payload: { text: 'hé' } });
  });

  it('an owed acknowledgement rides along: `"seq":N,"ack":M,`', () => {
    const body = new SharedBody('{"v":1,"type":"event","name":"a"}');
    const expected = '{"seq":7,"ack":3,"v":1,"type":"event","name":"a"}';
    expect(concat(sharedFrame(shared(body, 7, 3)))).toEqual(serverFrame(Opcodes.Text, expected));
    expect(entryData(shared(body, 7, 3))).toBe(expected);
  });

  it('every recipient’s frame refers to the same tail bytes: one body, many entries', () => {
    const body = new SharedBody(jsonCodec.encode(eventEnvelope('x', 'y')) as string);
    const a = sharedFrame(shared(body, 1));
    const b = sharedFrame(shared(body, 99_999, 12));
    expect(a[1]).toBe(body.tail);
    expect(b[1]).toBe(body.tail);
    expect(a[0]).not.toBe(b[0]);
  });

  it('a binary envelope (docs/protocol.md §5) gets its header rebuilt; attachments are untouched', () => {
    const envelope = eventEnvelope('b', new Uint8Array([1, 2, 255]));
    const data = jsonCodec.encode(envelope) as Uint8Array;
    const body = new SharedBody(data);
    const json = '{"seq":5,"v":1,"type":"event","name":"b","payload":{"$bin":0},"bin":[3]}';
    const expected = concat([new Uint8Array([1, 0, 0, 0, json.length]), Buffer.from(json), new Uint8Array([1, 2, 255])]);
    expect(concat(sharedFrame(shared(body, 5)))).toEqual(serverFrame(Opcodes.Binary, expected));
    expect(entryData(shared(body, 5))).toEqual(expected);
    expect(entryBytes(shared(body, 5))).toBe(expected.byteLength);
    const decoded = jsonCodec.decode(expected);
    expect(decoded).toEqual({ seq: 5, v: 1, type: 'event', name: 'b', payload: new Uint8Array([1, 2, 255]) });
  });

  it('frame headers take the minimal length encoding around 125/126 and 65535/65536 payload bytes', () => {
    // `{"seq":1,` adds 8 bytes to the body (the brace is already there).
    for (const payloadLength of [125, 126, 65_535, 65_536]) {
      const filler = 'a'.repeat(payloadLength - 8 - '{"v":1,"type":"event","name":"n","payload":""}'.length);
      const data = `{"v":1,"type":"event","name":"n","payload":"${filler}"}`;
      const entry = shared(new SharedBody(data), 1);
      const expected = `{"seq":1,${data.slice(1)}`;
      expect(expected.length).toBe(payloadLength);
      // Buffer.equals: a deep toEqual over 64 KiB of elements takes a second
      expect(Buffer.from(concat(sharedFrame(entry))).equals(Buffer.from(serverFrame(Opcodes.Text, expected)))).toBe(true);
      expect(sharedFrame(entry)[0]!.byteLength).toBe(2 + (payloadLength < 126 ? 0 : payloadLength < 65_536 ? 2 : 8) + 9);
    }
  });

  it('writes seq and ack digits exactly at every digit-count boundary, text and binary', () => {
    const text = new SharedBody('{"v":1,"type":"event","name":"n"}');
    const binary = new SharedBody(jsonCodec.encode(eventEnvelope('b', new Uint8Array([7]))) as Uint8Array);
    const numbers = [0, 1, 9, 10, 99, 100, 12_345, 999_999, 1_000_000, 2 ** 32 + 1, Number.MAX_SAFE_INTEGER];
    for (const seq of numbers) {
      for (const ack of [undefined, 0, 9, 10, seq]) {
        const fields = ack === undefined ? `"seq":${seq},` : `"seq":${seq},"ack":${ack},`;
        const expectedText = `{${fields}${(text.data as string).slice(1)}`;
        const t = sharedEntry(text, seq, ack);
        expect(entryData(t)).toBe(expectedText);
        expect(t.bytes).toBe(expectedText.length);
        expect(concat(sharedFrame(t))).toEqual(serverFrame(Opcodes.Text, expectedText));
        const json = `{${fields}"v":1,"type":"event","name":"b","payload":{"$bin":0},"bin":[1]}`;
        const expectedBinary = concat([new Uint8Array([1, 0, 0, 0, json.length]), Buffer.from(json), new Uint8Array([7])]);
        const b = sharedEntry(binary, seq, ack);
        expect(entryData(b)).toEqual(expectedBinary);
        expect(b.bytes).toBe(expectedBinary.byteLength);
        expect(concat(sharedFrame(b))).toEqual(serverFrame(Opcodes.Binary, expectedBinary));
      }
    }
  });

  it('refuses a body that is not a JSON object envelope (a custom codec is never shared)', () => {
    expect(() => new SharedBody('[1,2]')).toThrow(TypeError);
    expect(() => new SharedBody(new Uint8Array([1, 0, 0, 0, 2, 0x5b, 0x5d]))).toThrow(TypeError);
  });

  it('a direct entry is re-sent exactly as it went out', () => {
    const data = '{"v":1,"type":"response","id":1,"seq":3}';
    expect(entryData({ kind: 'direct', data, bytes: data.length })).toBe(data);
    expect(entryBytes({ kind: 'direct', data, bytes: data.length })).toBe(data.length);
  });
});
