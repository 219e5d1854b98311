import { describe, expect, it } from 'vitest';
import { ackEnvelope, helloEnvelope, parseEnvelope, welcomeEnvelope } from '../../../src/envelope.js';
import { ProtocolError } from '../../../src/errors.js';

function closeCodeOfParse(value: unknown): number | undefined {
  try {
    parseEnvelope(value);
    return undefined;
  } catch (err) {
    return err instanceof ProtocolError ? err.closeCode : -1;
  }
}

describe('resume fields of wire format v1 (docs/protocol.md §10)', () => {
  it('builds the hello of a fresh and of a resuming client', () => {
    expect(helloEnvelope(undefined)).toEqual({ v: 1, type: 'hello' });
    expect(helloEnvelope('t', {})).toEqual({ v: 1, type: 'hello', auth: 't', resume: true });
    expect(helloEnvelope(undefined, { sid: 'abc', ack: 7 })).toEqual({ v: 1, type: 'hello', resume: true, sid: 'abc', ack: 7 });
  });
  it('builds welcomes and acks', () => {
    expect(welcomeEnvelope()).toEqual({ v: 1, type: 'welcome' });
    expect(welcomeEnvelope('s', { resumed: true, ack: 3 })).toEqual({ v: 1, type: 'welcome', sid: 's', resumed: true, ack: 3 });
    expect(welcomeEnvelope('n', { resumed: false, ack: 0, reason: 'expired' })).toEqual({ v: 1, type: 'welcome', sid: 'n', resumed: false, ack: 0, reason: 'expired' });
    expect(ackEnvelope(12)).toEqual({ v: 1, type: 'ack', ack: 12 });
  });
  it('accepts the new fields when well-typed and refuses them (1008) otherwise', () => {
    expect(closeCodeOfParse({ v: 1, type: 'ack', ack: 0 })).toBeUndefined();
    expect(closeCodeOfParse({ v: 1, type: 'event', name: 'a', seq: 1, ack: 4 })).toBeUndefined();
    expect(closeCodeOfParse({ v: 1, type: 'welcome', sid: 's', resumed: false, reason: 'unknown', ack: 0 })).toBeUndefined();
    expect(closeCodeOfParse({ v: 1, type: 'ack' })).toBe(1008);
    expect(closeCodeOfParse({ v: 1, type: 'ack', ack: -1 })).toBe(1008);
    expect(closeCodeOfParse({ v: 1, type: 'event', name: 'a', ack: 1.5 })).toBe(1008);
    expect(closeCodeOfParse({ v: 1, type: 'hello', resume: 'yes' })).toBe(1008);
    expect(closeCodeOfParse({ v: 1, type: 'welcome', resumed: 1 })).toBe(1008);
    expect(closeCodeOfParse({ v: 1, type: 'welcome', reason: 5 })).toBe(1008);
  });
});
