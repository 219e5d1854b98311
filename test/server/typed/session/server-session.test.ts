import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ENTRY_OVERHEAD_BYTES, LogBudget, SHARED_ENTRY_OVERHEAD_BYTES } from '../../../../server/typed/session/log-budget.js';
import { SharedBody, entryData } from '../../../../server/typed/session/log-entry.js';
import type { LogEntry } from '../../../../server/typed/session/log-entry.js';
import { ServerSession } from '../../../../server/typed/session/server-session.js';
import { jsonCodec } from '../../../../src/codec.js';
import { eventEnvelope, responseEnvelope } from '../../../../src/envelope.js';
import { ACK_DEFAULTS } from '../../../../src/session/acknowledger.js';
import { systemScheduler } from '../../../../src/scheduler.js';

const BODY = '{"v":1,"type":"event","name":"tick","payload":1}';
const B = BODY.length; // 48 bytes, ASCII

function session(budget: LogBudget, overflowed: string[] = [], limits = { maxBuffered: 100, maxBufferedBytes: 100_000 }, acks: number[] = [], sid = 's'): ServerSession {
  return new ServerSession({ sid, ...limits, scheduler: systemScheduler, budget, sendAck: (seq) => acks.push(seq), overflowed: () => overflowed.push(sid) });
}

/** What a replay would write, as the client would read it. */
function replayed(s: ServerSession, ack: number): unknown[] {
  const plan = s.replayAfter(ack);
  if (!plan.ok) return [plan.reason];
  return plan.entries.map((entry: LogEntry) => jsonCodec.decode(entryData(entry)));
}

function sendDirect(s: ServerSession, envelope: ReturnType<typeof eventEnvelope> | ReturnType<typeof responseEnvelope>): void {
  s.stamp(envelope);
  const data = jsonCodec.encode(envelope);
  s.logDirect(data, Buffer.byteLength(data as string));
}

describe('ServerSession: one numbering for direct sends and shared broadcasts', () => {
  let budget: LogBudget;
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
    budget = new LogBudget(1e9);
  });
  afterEach(() => vi.useRealTimers());

  it('interleaves direct envelopes and broadcast copies in one seq order, replayed after the client’s ack', () => {
    const s = session(budget);
    const body = new SharedBody(BODY);
    sendDirect(s, eventEnvelope('a', 1)); // 1
    expect(s.logShared(body).seq).toBe(2);
    sendDirect(s, responseEnvelope(7, 'ok')); // 3
    expect(s.logShared(body).seq).toBe(4);
    expect(replayed(s, 1)).toEqual([
      { seq: 2, v: 1, type: 'event', name: 'tick', payload: 1 },
      { v: 1, type: 'response', id: 7, payload: 'ok', seq: 3 },
      { seq: 4, v: 1, type: 'event', name: 'tick', payload: 1 },
    ]);
    expect(s.positions).toEqual({ sent: 4, acknowledged: 1, received: 0 });
    expect(replayed(s, 5)).toEqual(['ahead']);
    expect(replayed(s, 0)).toEqual(['behind']);
  });

  it('an acknowledgement owed to the client rides on the next broadcast copy', () => {
    const acks: number[] = [];
    const s = session(budget, [], undefined, acks);
    expect(s.accept(1)).toBe('deliver');
    expect(s.accept(1)).toBe('duplicate');
    const entry = s.logShared(new SharedBody(BODY));
    expect(entryData(entry)).toBe(`{"seq":1,"ack":1,${BODY.slice(1)}`);
    vi.advanceTimersByTime(ACK_DEFAULTS.delay);
    expect(acks).toEqual([]); // settled by the ride
    expect(entryData(s.logShared(new SharedBody(BODY)))).toBe(`{"seq":2,${BODY.slice(1)}`);
  });

  it('the client’s acks trim the log; an ack beyond what was sent is refused', () => {
    const s = session(budget);
    for (let i = 0; i < 3; i++) s.logShared(new SharedBody(BODY));
    expect(s.acknowledged(2)).toBe(true);
    expect(s.loggedEntries).toBe(1);
    expect(s.acknowledged(4)).toBe(false);
  });

  it('over maxBuffered the log is dropped once: reported once, replay refused, seqs go on', () => {
    const overflowed: string[] = [];
    const s = session(budget, overflowed, { maxBuffered: 3, maxBufferedBytes: 1e6 });
    for (let i = 0; i < 5; i++) s.logShared(new SharedBody(BODY));
    expect(overflowed).toEqual(['s']);
    expect(s.overflowed).toBe(true);
    expect(s.loggedEntries).toBe(0);
    expect(replayed(s, 0)).toEqual(['overflow']);
    expect(s.logShared(new SharedBody(BODY)).seq).toBe(6);
    expect(budget.total).toBe(0);
  });

  it('over maxBufferedBytes (as re-sent, seq included) likewise', () => {
    const overflowed: string[] = [];
    // each copy is 48 + `"seq":N,`.length = 56 bytes for N < 10
    const s = session(budget, overflowed, { maxBuffered: 100, maxBufferedBytes: 112 });
    s.logShared(new SharedBody(BODY));
    s.logShared(new SharedBody(BODY));
    expect(overflowed).toEqual([]);
    expect(s.loggedBytes).toBe(112);
    s.logShared(new SharedBody(BODY));
    expect(overflowed).toEqual(['s']);
  });
});

describe('LogBudget: memory held by all logs, a broadcast body counted once', () => {
  it('10,000 logs holding one broadcast cost one body plus an overhead per entry', () => {
    const budget = new LogBudget(1e9);
    const body = new SharedBody(BODY);
    const sessions = Array.from({ length: 10_000 }, (_, i) => session(budget, [], undefined, [], `s${i}`));
    for (const s of sessions) s.logShared(body);
    expect(body.refs).toBe(10_000);
    expect(budget.total).toBe(B + 10_000 * SHARED_ENTRY_OVERHEAD_BYTES);
    for (const s of sessions) s.acknowledged(1);
    expect(body.refs).toBe(0);
    expect(budget.total).toBe(0);
  });

  it('a direct entry costs its bytes plus the overhead; ending a session releases everything', () => {
    const budget = new LogBudget(1e9);
    const s = session(budget);
    sendDirect(s, eventEnvelope('a', 'x')); // {"v":1,"type":"event","name":"a","payload":"x","seq":1}
    expect(budget.total).toBe(55 + ENTRY_OVERHEAD_BYTES);
    s.logShared(new SharedBody(BODY));
    expect(budget.total).toBe(55 + B + ENTRY_OVERHEAD_BYTES + SHARED_ENTRY_OVERHEAD_BYTES);
    s.end();
    expect(budget.total).toBe(0);
    expect(budget.members).toBe(0);
  });

  it('past the cap the largest log is dropped (its session overflows), the others keep theirs', () => {
    const overflowed: string[] = [];
    const budget = new LogBudget(4 * (B + SHARED_ENTRY_OVERHEAD_BYTES));
    const small = session(budget, overflowed, undefined, [], 'small');
    const large = session(budget, overflowed, undefined, [], 'large');
    const shared = new SharedBody(BODY);
    small.logShared(shared);
    for (let i = 0; i < 3; i++) large.logShared(new SharedBody(BODY));
    expect(overflowed).toEqual([]);
    // 4 distinct bodies + 4 entries; the next distinct body goes over
    large.logShared(new SharedBody(BODY));
    expect(overflowed).toEqual(['large']);
    expect(large.loggedEntries).toBe(0);
    expect(small.loggedEntries).toBe(1);
    expect(budget.total).toBe(B + SHARED_ENTRY_OVERHEAD_BYTES);
  });
});
