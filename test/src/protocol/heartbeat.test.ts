import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HEARTBEAT_DEFAULTS, HeartbeatMonitor, heartbeatReply, heartbeatStep, pingEnvelope } from '../../../src/heartbeat.js';
import { systemScheduler } from '../../../src/scheduler.js';

const policy = { interval: 1000, timeout: 500 };

describe('heartbeatStep (pure)', () => {
  it('waits, then pings after interval of silence, then declares death timeout after the ping', () => {
    expect(heartbeatStep(policy, { lastInboundAt: 0, pingSentAt: undefined }, 999)).toEqual({ action: 'wait', checkAt: 1000 });
    expect(heartbeatStep(policy, { lastInboundAt: 0, pingSentAt: undefined }, 1000)).toEqual({ action: 'ping', checkAt: 1500 });
    expect(heartbeatStep(policy, { lastInboundAt: 0, pingSentAt: 1000 }, 1499)).toEqual({ action: 'wait', checkAt: 1500 });
    expect(heartbeatStep(policy, { lastInboundAt: 0, pingSentAt: 1000 }, 1500)).toEqual({ action: 'dead', checkAt: 1500 });
  });
  it('a late check after long silence pings first instead of blaming unprobed silence', () => {
    expect(heartbeatStep(policy, { lastInboundAt: 0, pingSentAt: undefined }, 60_000).action).toBe('ping');
  });
  it('defaults', () => {
    expect(HEARTBEAT_DEFAULTS).toEqual({ interval: 25_000, timeout: 10_000 });
  });
  it('the responder answers ping with pong and nothing else', () => {
    expect(heartbeatReply(pingEnvelope())).toEqual({ v: 1, type: 'pong' });
    expect(heartbeatReply({ v: 1, type: 'pong' })).toBeUndefined();
    expect(heartbeatReply({ v: 1, type: 'event', name: 'ping' })).toBeUndefined();
  });
});

describe('HeartbeatMonitor with fake timers', () => {
  let pings: number;
  let deaths: number;
  let monitor: HeartbeatMonitor;
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
    pings = 0;
    deaths = 0;
    monitor = new HeartbeatMonitor({ policy, scheduler: systemScheduler, sendPing: () => pings++, onDead: () => deaths++ });
  });
  afterEach(() => {
    monitor.stop();
    vi.useRealTimers();
  });

  it('detects a dead link exactly interval + timeout after the last inbound traffic', () => {
    monitor.start();
    vi.advanceTimersByTime(999);
    expect(pings).toBe(0);
    vi.advanceTimersByTime(1);
    expect(pings).toBe(1);
    vi.advanceTimersByTime(499);
    expect(deaths).toBe(0);
    vi.advanceTimersByTime(1);
    expect(deaths).toBe(1);
    expect(monitor.running).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('any inbound traffic counts as liveness and postpones the ping', () => {
    monitor.start();
    vi.advanceTimersByTime(900);
    monitor.touch(); // e.g. an event, not a pong
    vi.advanceTimersByTime(999);
    expect(pings).toBe(0);
    vi.advanceTimersByTime(1);
    expect(pings).toBe(1);
    vi.advanceTimersByTime(300);
    monitor.touch(); // the pong, at t=2200
    vi.advanceTimersByTime(1000 + 499); // silence again: ping at 3200, deadline 3700
    expect([pings, deaths]).toEqual([2, 0]);
    vi.advanceTimersByTime(1);
    expect(deaths).toBe(1);
  });

  it('a throttled tab (timers fire late, traffic fresh) is NOT declared dead', () => {
    monitor.start();
    vi.advanceTimersByTime(1000); // ping sent at t=1000, waiting until 1500
    expect(pings).toBe(1);
    // The tab is throttled: the clock jumps a minute while no timer fires, but the pong and
    // later traffic arrive (socket events still run in background tabs).
    vi.setSystemTime(1_100);
    monitor.touch();
    vi.setSystemTime(60_000);
    monitor.touch();
    vi.advanceTimersByTime(500); // the overdue timer finally fires, far past its deadline
    expect(deaths).toBe(0);
    // Silence seen by a late tick is probed first: a ping, and death only a full timeout later.
    vi.setSystemTime(200_000);
    vi.advanceTimersByTime(500);
    expect([pings, deaths]).toEqual([2, 0]);
    vi.advanceTimersByTime(499);
    expect(deaths).toBe(0);
    vi.advanceTimersByTime(1);
    expect(deaths).toBe(1);
  });

  it('stop() clears the timer', () => {
    monitor.start();
    expect(vi.getTimerCount()).toBe(1);
    monitor.stop();
    expect(vi.getTimerCount()).toBe(0);
    monitor.touch();
    vi.advanceTimersByTime(10_000);
    expect([pings, deaths]).toEqual([0, 0]);
  });
});
