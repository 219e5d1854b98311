import { describe, expect, it } from 'vitest';
import { LivenessSweep, type LivenessTarget } from '../../../server/typed/liveness.js';
import type { Scheduler } from '../../../src/scheduler.js';

/** A manual clock: timers fire only when the test advances time. */
function manualScheduler() {
  let now = 0;
  let seq = 0;
  const timers = new Map<number, { at: number; callback: () => void }>();
  const scheduler: Scheduler = {
    now: () => now,
    setTimeout: (callback, delayMs) => {
      seq += 1;
      timers.set(seq, { at: now + delayMs, callback });
      return seq;
    },
    clearTimeout: (handle) => void timers.delete(handle as number),
  };
  const advanceTo = (to: number) => {
    for (;;) {
      const due = [...timers.entries()].filter(([, t]) => t.at <= to).sort((x, y) => x[1].at - y[1].at)[0];
      if (due === undefined) break;
      timers.delete(due[0]);
      now = due[1].at;
      due[1].callback();
    }
    now = to;
  };
  return { scheduler, advanceTo, pending: () => timers.size };
}

function peer() {
  const log: string[] = [];
  const target: LivenessTarget = { ping: () => log.push('ping'), terminate: (reason) => log.push(`terminate: ${reason}`) };
  return { log, target };
}

describe('LivenessSweep', () => {
  it('pings at exactly intervalMs and terminates at exactly timeoutMs after an unanswered ping', () => {
    const clock = manualScheduler();
    const sweep = new LivenessSweep({ scheduler: clock.scheduler, interval: 25_000, timeout: 10_000 });
    const p = peer();
    sweep.track(p.target);
    clock.advanceTo(24_999);
    expect(p.log).toEqual([]);
    clock.advanceTo(25_000);
    expect(p.log).toEqual(['ping']);
    clock.advanceTo(34_999);
    expect(p.log).toEqual(['ping']);
    clock.advanceTo(35_000);
    expect(p.log).toEqual(['ping', 'terminate: no pong within 10000 ms of a ping']);
    expect(sweep.size).toBe(0);
    expect(sweep.armed).toBe(false);
    expect(clock.pending()).toBe(0);
  });

  it('an answered ping keeps the peer and the cadence', () => {
    const clock = manualScheduler();
    const sweep = new LivenessSweep({ scheduler: clock.scheduler, interval: 25_000, timeout: 10_000 });
    const p = peer();
    const handle = sweep.track(p.target);
    clock.advanceTo(25_000);
    clock.advanceTo(26_000);
    handle.alive();
    clock.advanceTo(49_999);
    expect(p.log).toEqual(['ping']);
    clock.advanceTo(50_000);
    expect(p.log).toEqual(['ping', 'ping']);
    handle.alive();
    clock.advanceTo(200_000);
    expect(p.log.filter((l) => l.startsWith('terminate'))).toEqual(['terminate: no pong within 10000 ms of a ping']);
  });

  it('uses one timer for many peers and none once they are gone', () => {
    const clock = manualScheduler();
    const sweep = new LivenessSweep({ scheduler: clock.scheduler, interval: 1_000, timeout: 500, resolution: 100 });
    const peers = Array.from({ length: 200 }, () => peer());
    const handles = peers.map((p, i) => {
      clock.advanceTo(i); // staggered connections
      return sweep.track(p.target);
    });
    expect(clock.pending()).toBe(1);
    clock.advanceTo(1_200); // staggered over 200 ms: pinged by the sweeps at 1000, 1100 and 1200
    expect(clock.pending()).toBe(1);
    // coalesced: each peer was pinged although the timer never fired more than once per 100 ms
    expect(peers.every((p) => p.log[0] === 'ping')).toBe(true);
    for (const handle of handles) handle.untrack();
    handles[0]!.untrack(); // idempotent
    expect(sweep.size).toBe(0);
    expect(clock.pending()).toBe(0);
  });

  it('1,000 track/untrack cycles leave no timers and no entries', () => {
    const clock = manualScheduler();
    const sweep = new LivenessSweep({ scheduler: clock.scheduler });
    for (let i = 0; i < 1_000; i += 1) sweep.track(peer().target).untrack();
    expect(sweep.size).toBe(0);
    expect(clock.pending()).toBe(0);
  });

  it('clear() disarms the timer', () => {
    const clock = manualScheduler();
    const sweep = new LivenessSweep({ scheduler: clock.scheduler });
    const p = peer();
    sweep.track(p.target);
    sweep.clear();
    clock.advanceTo(1_000_000);
    expect(p.log).toEqual([]);
    expect(clock.pending()).toBe(0);
  });

  it('a ping that throws is reported for that peer; the others are still pinged and it still times out', () => {
    const clock = manualScheduler();
    const sweep = new LivenessSweep({ scheduler: clock.scheduler, interval: 1_000, timeout: 500 });
    const log: string[] = [];
    const bug = new Error('socket already gone');
    const target = (name: string, ping: () => void): LivenessTarget => ({
      ping,
      terminate: (reason) => log.push(`${name} terminate: ${reason}`),
      failed: (error) => log.push(`${name} failed: ${(error as Error).message}`),
    });
    sweep.track(target('a', () => log.push('a ping')));
    sweep.track(target('b', () => {
      throw bug;
    }));
    sweep.track(target('c', () => log.push('c ping')));
    clock.advanceTo(1_000);
    expect(log).toEqual(['a ping', 'b failed: socket already gone', 'c ping']);
    clock.advanceTo(1_500);
    expect(log.slice(3)).toEqual([
      'a terminate: no pong within 500 ms of a ping',
      'b terminate: no pong within 500 ms of a ping',
      'c terminate: no pong within 500 ms of a ping',
    ]);
    expect(sweep.size).toBe(0);
    expect(clock.pending()).toBe(0);
  });

  it('a terminate that throws does not stop the other terminations', () => {
    const clock = manualScheduler();
    const sweep = new LivenessSweep({ scheduler: clock.scheduler, interval: 1_000, timeout: 500 });
    const log: string[] = [];
    sweep.track({ ping: () => {}, terminate: () => { throw new Error('destroy failed'); }, failed: (e) => log.push(`failed: ${(e as Error).message}`) });
    sweep.track({ ping: () => {}, terminate: () => log.push('terminated') });
    clock.advanceTo(1_500);
    expect(log).toEqual(['failed: destroy failed', 'terminated']);
  });
});

