import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../src/errors.js';
import { eventEnvelope, helloEnvelope, parseEnvelope } from '../../../src/envelope.js';
import type { Envelope } from '../../../src/envelope.js';

function refusal(fn: () => unknown): { name: string; code: string; closeCode: number } {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    const e = err as ProtocolError;
    return { name: e.name, code: e.code, closeCode: e.closeCode };
  }
  throw new Error('expected a ProtocolError');
}

describe('parseEnvelope', () => {
  const valid: Envelope[] = [
    { v: 1, type: 'hello' },
    { v: 1, type: 'hello', auth: { token: 't' }, sid: 's1' },
    { v: 1, type: 'welcome', sid: 's1' },
    { v: 1, type: 'event', name: 'chat', payload: { text: 'hi' } },
    { v: 1, type: 'event', name: 'tick', seq: 7 },
    { v: 1, type: 'request', id: 0, name: 'add', payload: [1, 2] },
    { v: 1, type: 'response', id: 3, payload: null },
    { v: 1, type: 'response', id: 3 },
    { v: 1, type: 'error', id: 3, code: 'timeout', message: 'late', details: { ms: 5 } },
    { v: 1, type: 'ping' },
    { v: 1, type: 'pong' },
  ];
  it.each(valid.map((e) => [e.type, e]))('accepts a valid %s', (_type, envelope) => {
    expect(parseEnvelope(structuredClone(envelope))).toEqual(envelope);
  });

  it('ignores unknown extra fields (forward compatibility)', () => {
    expect(parseEnvelope({ v: 1, type: 'ping', future: true })).toEqual({ v: 1, type: 'ping', future: true });
  });

  const unsupported: Array<[string, unknown, string]> = [
    ['version 2', { v: 2, type: 'ping' }, 'ERR_UNSUPPORTED_VERSION'],
    ['missing version', { type: 'ping' }, 'ERR_UNSUPPORTED_VERSION'],
    ['version as string', { v: '1', type: 'ping' }, 'ERR_UNSUPPORTED_VERSION'],
    ['unknown type', { v: 1, type: 'subscribe' }, 'ERR_INVALID_ENVELOPE'],
    ['missing type', { v: 1 }, 'ERR_INVALID_ENVELOPE'],
  ];
  it.each(unsupported)('refuses %s with 1003', (_name, value, code) => {
    expect(refusal(() => parseEnvelope(value))).toEqual({ name: 'ProtocolError', code, closeCode: 1003 });
  });

  const malformed: Array<[string, unknown]> = [
    ['an array', [1, 'event']],
    ['null', null],
    ['a string', 'ping'],
    ['a response without id', { v: 1, type: 'response', payload: 1 }],
    ['an error without id', { v: 1, type: 'error', code: 'x', message: 'y' }],
    ['a request without id', { v: 1, type: 'request', name: 'add' }],
    ['a request with a fractional id', { v: 1, type: 'request', id: 1.5, name: 'add' }],
    ['a request with a negative id', { v: 1, type: 'request', id: -1, name: 'add' }],
    ['a request with a string id', { v: 1, type: 'request', id: '1', name: 'add' }],
    ['a request without name', { v: 1, type: 'request', id: 1 }],
    ['an event with an empty name', { v: 1, type: 'event', name: '' }],
    ['an event with a 257-character name', { v: 1, type: 'event', name: 'x'.repeat(257) }],
    ['an error without code', { v: 1, type: 'error', id: 1, message: 'm' }],
    ['an error without message', { v: 1, type: 'error', id: 1, code: 'c' }],
    ['a negative seq', { v: 1, type: 'event', name: 'e', seq: -1 }],
    ['a numeric sid', { v: 1, type: 'hello', sid: 5 }],
  ];
  it.each(malformed)('refuses %s with 1008', (_name, value) => {
    expect(refusal(() => parseEnvelope(value))).toEqual({ name: 'ProtocolError', code: 'ERR_INVALID_ENVELOPE', closeCode: 1008 });
  });
});

// The direction rule (docs/protocol.md "Directions") is the conversation's: conversation.test.ts.
describe('envelope builders', () => {
  it('builders omit undefined fields', () => {
    expect(eventEnvelope('e')).toEqual({ v: 1, type: 'event', name: 'e' });
    expect('payload' in eventEnvelope('e')).toBe(false);
    expect(helloEnvelope()).toEqual({ v: 1, type: 'hello' });
  });
});
