import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ACK_DEFAULTS } from '../../../src/session/acknowledger.js';
import { InboundSequence, isSequenced } from '../../../src/session/inbound-sequence.js';
import { SessionChannel } from '../../../src/session/session-channel.js';
import { eventEnvelope, responseEnvelope } from '../../../src/envelope.js';
import { systemScheduler } from '../../../src/scheduler.js';

describe('InboundSequence', () => {
  it('delivers the next seq, drops what was delivered, refuses a gap', () => {
    const inbound = new InboundSequence();
    expect(inbound.accept(1)).toBe('deliver');
    expect(inbound.accept(2)).toBe('deliver');
    expect(inbound.accept(1)).toBe('duplicate');
    expect(inbound.accept(2)).toBe('duplicate');
    expect(inbound.accept(4)).toBe('gap');
    expect(inbound.received).toBe(2);
    expect(inbound.accept(3)).toBe('deliver');
  });
  it('application kinds are sequenced, control kinds are not', () => {
    expect(isSequenced(eventEnvelope('a'))).toBe(true);
    expect(isSequenced(responseEnvelope(1))).toBe(true);
    expect(isSequenced({ v: 1, type: 'ping' })).toBe(false);
    expect(isSequenced({ v: 1, type: 'ack', ack: 1 })).toBe(false);
  });
});

describe('SessionChannel acknowledgements (fake timers)', () => {
  let sent: number[];
  let channel: SessionChannel<string>;
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
    sent = [];
    channel = new SessionChannel<string>({ sid: 's', limits: { maxMessages: 100, maxBytes: 1e6 }, scheduler: systemScheduler, sendAck: (seq) => sent.push(seq) });
  });
  afterEach(() => {
    channel.end();
    vi.useRealTimers();
  });

  it('a standalone ack goes out `delay` ms after the first unacknowledged delivery, not before', () => {
    channel.accept(1);
    channel.accept(2);
    vi.advanceTimersByTime(ACK_DEFAULTS.delay - 1);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual([2]);
    vi.advanceTimersByTime(10 * ACK_DEFAULTS.delay);
    expect(sent).toEqual([2]); // nothing owed, no timer: an idle session holds none
    expect(vi.getTimerCount()).toBe(0);
  });

  it('every `every` deliveries force an ack at once; the armed timer then finds nothing owed and stops', () => {
    for (let i = 1; i <= ACK_DEFAULTS.every; i++) channel.accept(i);
    expect(sent).toEqual([ACK_DEFAULTS.every]);
    vi.advanceTimersByTime(ACK_DEFAULTS.delay);
    expect(sent).toEqual([ACK_DEFAULTS.every]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a ridden ack leaves the timer armed (no clear and re-arm per message); a later debt is sent by it', () => {
    channel.accept(1);
    channel.stamp(eventEnvelope('reply'));
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(ACK_DEFAULTS.delay - 10);
    channel.accept(2);
    vi.advanceTimersByTime(10); // the first delivery's timer: now it owes seq 2
    expect(sent).toEqual([2]);
    vi.advanceTimersByTime(ACK_DEFAULTS.delay);
    expect(sent).toEqual([2]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('an owed ack rides on the next stamped envelope instead of going alone', () => {
    channel.accept(1);
    const envelope = eventEnvelope('x', 1);
    expect(channel.stamp(envelope)).toBe(1);
    expect(envelope).toMatchObject({ seq: 1, ack: 1 });
    expect(channel.record('x1', 10)).toBe(1);
    vi.advanceTimersByTime(ACK_DEFAULTS.delay);
    expect(sent).toEqual([]);
    const next = eventEnvelope('y');
    channel.stamp(next);
    expect(next.ack).toBeUndefined();
    expect(next.seq).toBe(2);
  });

  it('a suspended link owes nothing; duplicates are not acknowledged again', () => {
    channel.accept(1);
    channel.suspend();
    vi.advanceTimersByTime(ACK_DEFAULTS.delay);
    expect(sent).toEqual([]);
    expect(channel.received).toBe(1);
    expect(channel.accept(1)).toBe('duplicate');
    vi.advanceTimersByTime(ACK_DEFAULTS.delay);
    expect(sent).toEqual([]);
  });

  it('acknowledged() trims the log; beyond what was sent is refused', () => {
    for (const name of ['a', 'b', 'c']) {
      channel.stamp(eventEnvelope(name));
      channel.record(name, 1);
    }
    expect(channel.acknowledged(2)).toBe(true);
    expect(channel.replayAfter(2)).toEqual({ ok: true, entries: ['c'] });
    expect(channel.acknowledged(9)).toBe(false);
  });
});
