import { describe, expect, it } from 'vitest';
import { Conversation } from '../../../src/conversation.js';
import type { Envelope } from '../../../src/envelope.js';
import { ErrorCodes } from '../../../src/errors.js';
import { SessionChannel } from '../../../src/session/session-channel.js';
import { systemScheduler } from '../../../src/scheduler.js';

/** A server-side conversation in a resumable session, past its handshake. */
function serverInSession() {
  const events: unknown[] = [];
  const wire: Envelope[] = [];
  const channel = new SessionChannel<string>({ sid: 's1', limits: { maxMessages: 10, maxBytes: 1e6 }, scheduler: systemScheduler, sendAck: () => {} });
  const conversation = new Conversation<void>({
    side: 'server',
    context: undefined,
    transmit: (e) => wire.push(e),
    onEvent: (name, payload) => events.push([name, payload]),
    onError: () => {},
  });
  conversation.handle('twice', (n) => (n as number) * 2);
  conversation.useSession(channel);
  conversation.ready();
  return { conversation, channel, events, wire };
}

const text = (e: object): string => JSON.stringify({ v: 1, ...e });

describe('Conversation in a resumable session', () => {
  it('delivers each seq once: a replayed duplicate is dropped before any handler runs', () => {
    const { conversation, events, wire } = serverInSession();
    expect(conversation.receive(text({ type: 'event', name: 'a', payload: 1, seq: 1 })).kind).toBe('handled');
    expect(conversation.receive(text({ type: 'request', id: 1, name: 'twice', payload: 2, seq: 2 })).kind).toBe('handled');
    expect(conversation.receive(text({ type: 'event', name: 'a', payload: 1, seq: 1 })).kind).toBe('duplicate');
    expect(conversation.receive(text({ type: 'request', id: 1, name: 'twice', payload: 2, seq: 2 })).kind).toBe('duplicate');
    expect(conversation.receive(text({ type: 'event', name: 'b', seq: 3 })).kind).toBe('handled');
    expect(events).toEqual([['a', 1], ['b', undefined]]);
    return new Promise((r) => setTimeout(r, 0)).then(() => expect(wire.filter((e) => e.type === 'response')).toHaveLength(1));
  });

  it('a skipped seq, a missing seq, or an ack beyond what was sent fail the connection with 1008', () => {
    for (const bad of [
      { type: 'event', name: 'a', seq: 2 },
      { type: 'event', name: 'a' },
      { type: 'ack', ack: 5 },
      { type: 'event', name: 'a', seq: 1, ack: 1 },
    ]) {
      const outcome = serverInSession().conversation.receive(text(bad));
      expect(outcome.kind, JSON.stringify(bad)).toBe('fatal');
      if (outcome.kind === 'fatal') expect([outcome.error.code, outcome.error.closeCode]).toEqual([ErrorCodes.InvalidEnvelope, 1008]);
    }
  });

  it('an ack trims the log; a standalone ack envelope is accepted', () => {
    const { conversation, channel } = serverInSession();
    for (const v of ['x', 'y']) {
      channel.stamp({ v: 1, type: 'event', name: v });
      channel.record(v, 1);
    }
    expect(conversation.receive(text({ type: 'ack', ack: 1 })).kind).toBe('handled');
    expect(channel.log.size).toBe(1);
    expect(conversation.receive(text({ type: 'event', name: 'z', seq: 1, ack: 2 })).kind).toBe('handled');
    expect(channel.log.size).toBe(0);
  });

  it('suspend() keeps answers of running handlers (they belong to the session); reset() drops them', async () => {
    const { conversation, wire } = serverInSession();
    let release!: () => void;
    conversation.handle('slow', () => new Promise<number>((r) => (release = () => r(7))));
    conversation.receive(text({ type: 'request', id: 1, name: 'slow', seq: 1 }));
    conversation.suspend();
    release();
    await new Promise((r) => setTimeout(r, 0));
    expect(wire).toContainEqual({ v: 1, type: 'response', id: 1, payload: 7 });
    conversation.ready();
    conversation.receive(text({ type: 'request', id: 2, name: 'slow', seq: 2 }));
    conversation.reset();
    release();
    await new Promise((r) => setTimeout(r, 0));
    expect(wire.filter((e) => e.type === 'response')).toHaveLength(1);
  });

  it('without a session, seq and ack are not interpreted (a v1 peer that does not resume)', () => {
    const conversation = new Conversation<void>({ side: 'server', context: undefined, transmit: () => {}, onEvent: () => {}, onError: () => {} });
    conversation.ready();
    expect(conversation.receive(text({ type: 'event', name: 'a', seq: 9, ack: 99 })).kind).toBe('handled');
    expect(conversation.receive(text({ type: 'event', name: 'a' })).kind).toBe('handled');
  });
});
