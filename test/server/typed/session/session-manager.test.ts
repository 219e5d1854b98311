import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SharedBody } from '../../../../server/typed/session/log-entry.js';
import { resumePolicy } from '../../../../server/typed/session/resume-options.js';
import type { ResumeOptions } from '../../../../server/typed/session/resume-options.js';
import type { ServerSession } from '../../../../server/typed/session/server-session.js';
import { SessionIds } from '../../../../server/typed/session/session-ids.js';
import { SessionManager } from '../../../../server/typed/session/session-manager.js';
import type { SessionHolder } from '../../../../server/typed/session/session-manager.js';
import type { SessionChange, SessionEndReason, SessionLookup, SessionRecord, SessionStore, SessionStoreFactory } from '../../../../server/typed/session/session-store.js';
import { memorySessionStore } from '../../../../server/typed/session/memory-session-store.js';
import { helloEnvelope } from '../../../../src/envelope.js';
import { systemScheduler } from '../../../../src/scheduler.js';

const window = 10_000;
const BODY = '{"v":1,"type":"event","name":"t"}';

class Holder implements SessionHolder {
  readonly session: ServerSession;
  identity: unknown;
  data = { n: 1 };
  rooms = new Set(['lobby']);
  attached = true;
  readonly ended: SessionEndReason[] = [];
  constructor(manager: SessionManager<Holder>, identity: unknown = 'ann') {
    this.identity = identity;
    this.session = manager.create(() => undefined);
    manager.adopt(this.session, this);
  }
  endSession(reason: SessionEndReason): void {
    this.ended.push(reason);
  }
}

/** A store that records every call and otherwise behaves as the memory store. */
function recordingStore(calls: unknown[], fail = false): SessionStoreFactory {
  return (context) => {
    const inner = memorySessionStore(context);
    const store: SessionStore = {
      create: (record: SessionRecord) => void calls.push(['create', record]),
      update: (sid: string, change: SessionChange) => {
        calls.push(['update', sid, change]);
        return fail ? Promise.reject(new Error('broker down')) : undefined;
      },
      end: (sid: string, reason: SessionEndReason) => {
        calls.push(['end', sid, reason]);
        return inner.end(sid, reason);
      },
      get: (sid: string): Promise<SessionLookup> => inner.get(sid),
      close: () => inner.close(),
    };
    return store;
  };
}

describe('SessionManager (fake timers)', () => {
  let calls: unknown[];
  let reported: unknown[];
  let manager: SessionManager<Holder>;
  const make = (options: ResumeOptions = {}, ids?: SessionIds): SessionManager<Holder> =>
    new SessionManager<Holder>({
      policy: resumePolicy({ window, store: recordingStore(calls), ...options })!,
      scheduler: systemScheduler,
      report: (err) => reported.push(err),
      ...(ids ? { ids } : {}),
    });
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
    calls = [];
    reported = [];
    manager = make();
  });
  afterEach(async () => {
    await manager.close();
    expect(vi.getTimerCount()).toBe(0);
    vi.useRealTimers();
  });

  const hello = (sid: string, ack = 0): ReturnType<typeof helloEnvelope> => helloEnvelope(undefined, { sid, ack });

  it('a new session is minted, held and written to the store whole', () => {
    const holder = new Holder(manager);
    expect(holder.session.sid).toMatch(/^[A-Za-z0-9_-]{30}$/);
    expect(holder.session.sid.startsWith(manager.epoch)).toBe(true);
    expect(manager.get(holder.session.sid)).toBe(holder);
    expect(calls).toEqual([
      ['create', { sid: holder.session.sid, identity: 'ann', data: { n: 1 }, rooms: ['lobby'], positions: { sent: 0, acknowledged: 0, received: 0 }, state: 'attached', suspendedAt: undefined }],
    ]);
  });

  it('the owner resumes: the replay is what came after its ack', () => {
    const holder = new Holder(manager);
    const body = new SharedBody(BODY);
    for (let i = 0; i < 3; i++) holder.session.logShared(body);
    const claim = manager.claim(hello(holder.session.sid, 1), 'ann');
    expect(claim).toEqual({ kind: 'resume', holder, session: holder.session, replay: [expect.objectContaining({ seq: 2 }), expect.objectContaining({ seq: 3 })] });
    expect(manager.stats()).toMatchObject({ resumed: 1, live: 1 });
  });

  it('a different identity is refused; the owner’s session is untouched', () => {
    const holder = new Holder(manager);
    holder.attached = false;
    manager.suspend(holder.session);
    expect(manager.claim(hello(holder.session.sid), 'mallory')).toEqual({ kind: 'refuse', reason: 'identity' });
    expect(holder.ended).toEqual([]);
    expect(manager.claim(hello(holder.session.sid), 'ann')).toMatchObject({ kind: 'resume' });
    expect(manager.stats().refused).toEqual({ identity: 1 });
  });

  it('an ack ahead of what was sent is `invalid`: a suspended session is over, a live one stays', () => {
    const live = new Holder(manager);
    expect(manager.claim(hello(live.session.sid, 5), 'ann')).toEqual({ kind: 'refuse', reason: 'invalid' });
    expect(live.ended).toEqual([]);
    expect(manager.get(live.session.sid)).toBe(live);

    const gone = new Holder(manager);
    gone.attached = false;
    manager.suspend(gone.session);
    expect(manager.claim(hello(gone.session.sid, 5), 'ann')).toEqual({ kind: 'refuse', reason: 'invalid' });
    expect(gone.ended).toEqual(['closed']);
    expect(manager.get(gone.session.sid)).toBeUndefined();
    expect(manager.stats()).toMatchObject({ live: 1, suspended: 0, refused: { invalid: 2 } });
  });

  it('an ack behind what the client already acknowledged is `invalid` too', () => {
    const holder = new Holder(manager);
    for (let i = 0; i < 3; i++) holder.session.logShared(new SharedBody(BODY));
    holder.session.acknowledged(2);
    expect(manager.claim(hello(holder.session.sid, 1), 'ann')).toEqual({ kind: 'refuse', reason: 'invalid' });
  });

  it('unknown, garbage, earlier-run and ended sids are explained', async () => {
    const earlier = new SessionIds();
    expect(manager.claim(hello(earlier.mint()), 'ann')).toBeUndefined();
    expect(await manager.explain(earlier.mint())).toBe('restart');
    expect(await manager.explain('garbage')).toBe('unknown');
    const forgotten = new SessionIds();
    const same = make({}, forgotten);
    expect(await same.explain(forgotten.mint())).toBe('unknown');
    const holder = new Holder(manager);
    manager.end(holder.session, 'closed');
    expect(await manager.explain(holder.session.sid)).toBe('closed');
    expect(manager.stats().refused).toEqual({ restart: 1, unknown: 1, closed: 1 });
    await same.close();
  });

  it('a suspended session expires after the window: ended, counted, remembered as `expired`', async () => {
    const holder = new Holder(manager);
    holder.attached = false;
    manager.suspend(holder.session);
    expect(calls.at(-1)).toEqual(['update', holder.session.sid, { state: 'suspended', suspendedAt: 0, data: { n: 1 }, positions: { sent: 0, acknowledged: 0, received: 0 } }]);
    expect(manager.stats()).toMatchObject({ live: 1, suspended: 1 });
    vi.advanceTimersByTime(window - 1);
    expect(holder.ended).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(holder.ended).toEqual(['expired']);
    expect(calls.at(-1)).toEqual(['end', holder.session.sid, 'expired']);
    expect(manager.stats()).toMatchObject({ live: 0, suspended: 0, expired: 1 });
    expect(await manager.explain(holder.session.sid)).toBe('expired');
  });

  it('a resumed session is out of the registry: it does not expire', () => {
    const holder = new Holder(manager);
    holder.attached = false;
    manager.suspend(holder.session);
    manager.claim(hello(holder.session.sid), 'ann');
    holder.attached = true;
    manager.resumed(holder.session);
    expect(calls.at(-1)).toEqual(['update', holder.session.sid, { state: 'attached', suspendedAt: undefined, identity: 'ann' }]);
    vi.advanceTimersByTime(2 * window);
    expect(holder.ended).toEqual([]);
    expect(manager.stats()).toMatchObject({ suspended: 0, live: 1, resumed: 1 });
  });

  it('a suspended session over maxBuffered ends at once as an overflow; an attached one keeps going', async () => {
    manager = make({ maxBuffered: 2 });
    const attached = new Holder(manager);
    const suspended = new Holder(manager);
    suspended.attached = false;
    manager.suspend(suspended.session);
    for (let i = 0; i < 3; i++) {
      attached.session.logShared(new SharedBody(BODY));
      suspended.session.logShared(new SharedBody(BODY));
    }
    expect(suspended.ended).toEqual(['overflow']);
    expect(attached.ended).toEqual([]);
    expect(manager.stats()).toMatchObject({ overflowed: 2, live: 1, suspended: 0, logBytes: 0 });
    expect(await manager.explain(suspended.session.sid)).toBe('overflow');
    expect(manager.claim(hello(attached.session.sid), 'ann')).toEqual({ kind: 'refuse', reason: 'overflow' });
    // an attached session that overflowed ends when it is suspended, instead of waiting
    attached.attached = false;
    manager.suspend(attached.session);
    expect(attached.ended).toEqual(['overflow']);
  });

  it('at maxSuspended the oldest suspended session ends as an overflow', () => {
    manager = make({ maxSuspended: 2 });
    const holders = [new Holder(manager), new Holder(manager), new Holder(manager)];
    for (const holder of holders) {
      holder.attached = false;
      manager.suspend(holder.session);
    }
    expect(holders.map((h) => h.ended)).toEqual([['overflow'], [], []]);
    expect(manager.stats()).toMatchObject({ suspended: 2, live: 2, overflowed: 1 });
  });

  it('the holder’s own end is not echoed back to it', () => {
    const holder = new Holder(manager);
    manager.end(holder.session, 'closed');
    manager.end(holder.session, 'closed');
    expect(holder.ended).toEqual([]);
    expect(calls.filter((c) => (c as unknown[])[0] === 'end')).toHaveLength(1);
  });

  it('a failing store write is reported, never thrown', async () => {
    manager = make({ store: recordingStore(calls, true) });
    const holder = new Holder(manager);
    holder.attached = false;
    expect(() => manager.suspend(holder.session)).not.toThrow();
    await Promise.resolve();
    expect(reported).toEqual([new Error('broker down')]);
  });

  it('close() ends every session as closed and leaves no timer', async () => {
    const a = new Holder(manager);
    const b = new Holder(manager);
    b.attached = false;
    manager.suspend(b.session);
    await manager.close();
    expect([a.ended, b.ended]).toEqual([['closed'], ['closed']]);
    expect(manager.size).toBe(0);
  });
});
