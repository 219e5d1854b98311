import { describe, expect, it } from 'vitest';
import { jsonCodec } from '../../../src/codec.js';
import type { Envelope } from '../../../src/envelope.js';
import { findUnserializable } from '../../../src/json-check.js';
import { createClient } from '../../../client/index.js';
import { FakeWebSocket } from '../../client/fake-websocket.js';

// Payloads JSON cannot carry fail loudly, naming the message and the path of the bad value,
// instead of throwing JSON.stringify's bare error or silently losing data.
const event = (name: string, payload: unknown): Envelope => ({ v: 1, type: 'event', name, payload });

function encodeError(envelope: Envelope): unknown {
  try {
    jsonCodec.encode(envelope);
  } catch (err) {
    return err;
  }
  return undefined;
}

const cyclic: Record<string, unknown> = { a: 1 };
cyclic.self = cyclic;

describe('jsonCodec refuses what JSON cannot carry', () => {
  it.each([
    ['a BigInt', { at: 10n }, 'payload.at is a BigInt'],
    ['a cycle', { deep: { list: [cyclic] } }, 'payload.deep.list[0].self is a circular reference'],
    ['a function', { onDone: () => 1 }, 'payload.onDone is a function'],
    ['a Map', { users: new Map([['a', 1]]) }, 'payload.users is a Map'],
    ['a Set', [1, new Set([2])], 'payload[1] is a Set'],
    ['undefined in an array', [1, undefined, 3], 'payload[1] is undefined (JSON turns it into null in an array: send null)'],
    ['undefined in an array in an object', { list: [{ a: undefined }, undefined] }, 'payload.list[1] is undefined (JSON turns it into null in an array: send null)'],
    ['a function whose field JSON would drop', { name: 'ada', onDone: undefined, f: () => 1 }, 'payload.f is a function'],
    ['NaN', { score: Number.NaN }, 'payload.score is NaN (JSON has no such number)'],
    ['Infinity', { 'odd key': Infinity }, 'payload["odd key"] is Infinity (JSON has no such number)'],
    ['a symbol', { s: Symbol('x') }, 'payload.s is a symbol'],
    ['an Error', { failure: new Error('x') }, 'payload.failure is an Error'],
    ['a top-level BigInt', 5n, 'payload is a BigInt'],
  ])('%s: a TypeError naming the event and the path', (_name, payload, where) => {
    expect(encodeError(event('move', payload))).toMatchObject({
      name: 'TypeError',
      code: 'ERR_UNSERIALIZABLE_PAYLOAD',
      message: `event "move": ${where}; JSON cannot carry it`,
    });
  });

  it('an object field whose value is undefined is omitted, as JSON does (an absent field equals undefined, docs/protocol.md §2)', () => {
    expect(jsonCodec.encode(event('profile', { name: 'ada', avatar: undefined, nested: { x: undefined, y: [1] } }))).toBe(
      '{"v":1,"type":"event","name":"profile","payload":{"name":"ada","nested":{"y":[1]}}}',
    );
    expect(jsonCodec.encode(event('profile', { toJSON: () => undefined }))).toBe('{"v":1,"type":"event","name":"profile"}');
    expect(jsonCodec.encode({ v: 1, type: 'request', id: 1, name: 'join', payload: undefined })).toBe('{"v":1,"type":"request","id":1,"name":"join"}');
    expect(findUnserializable({ a: undefined, b: [{ c: undefined }] }, 'payload')).toBeUndefined();
    expect(findUnserializable({ a: undefined, b: [2, undefined] }, 'payload')).toEqual({ path: 'payload.b[1]', problem: 'undefined (JSON turns it into null in an array: send null)' });
  });

  it('names requests and responses too', () => {
    expect(encodeError({ v: 1, type: 'request', id: 3, name: 'join', payload: { n: 1n } })).toMatchObject({ message: 'request "join": payload.n is a BigInt; JSON cannot carry it' });
    expect(encodeError({ v: 1, type: 'response', id: 3, payload: { n: 1n } })).toMatchObject({ message: 'response to request 3: payload.n is a BigInt; JSON cannot carry it' });
    expect(encodeError({ v: 1, type: 'hello', auth: { token: () => 'x' } } as Envelope)).toMatchObject({ message: 'hello envelope: auth.token is a function; JSON cannot carry it' });
  });

  it('keeps what JSON does carry: shared (acyclic) references, Dates, nulls, binary, deep nesting', () => {
    const shared = { x: 1 };
    const payload = { a: shared, b: [shared, shared], at: new Date(0), none: null, bytes: Uint8Array.of(1, 2), nested: [[[[{ ok: true }]]]], nil: Object.create(null) as object };
    const data = jsonCodec.encode(event('fine', payload));
    expect(data).toBeInstanceOf(Uint8Array); // binary attachment → binary frame
    const decoded = jsonCodec.decode(data) as { payload: Record<string, unknown> };
    expect(decoded.payload.at).toBe('1970-01-01T00:00:00.000Z');
    expect(decoded.payload.b).toEqual([{ x: 1 }, { x: 1 }]);
    expect(jsonCodec.encode(event('plain', { text: 'hi', n: 1, list: [1, 'a', null, false] }))).toBe(
      '{"v":1,"type":"event","name":"plain","payload":{"text":"hi","n":1,"list":[1,"a",null,false]}}',
    );
  });

  it('the path finder is iterative: a 100,000-level payload does not overflow', () => {
    let deep: unknown = 1n;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(findUnserializable(deep, 'payload')?.problem).toBe('a BigInt');
  });

  it('client.emit throws it synchronously, nothing is queued or sent', () => {
    const client = createClient<{ client: { events: { move: { at: number } } } }>('ws://test/', { WebSocket: FakeWebSocket, network: null });
    expect(() => client.emit('move', { at: 1n } as never)).toThrow(expect.objectContaining({ code: 'ERR_UNSERIALIZABLE_PAYLOAD', message: 'event "move": payload.at is a BigInt; JSON cannot carry it' }));
    client.close();
  });
});
