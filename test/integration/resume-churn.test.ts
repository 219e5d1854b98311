/**
 * No memory is kept after expiry (issue 10): 10,000 resumable sessions connect over loopback,
 * are broadcast to and drop; all wait at once, suspended; then their window passes. The server's
 * heap returns to its baseline and nothing is left counted, held or timed. The server's clock is
 * a manual scheduler, so a 2-minute window passes in a call, with real sockets.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import type { Scheduler, TimerHandle } from '../../src/scheduler.js';
import { ResumeRaw, closeResumable, startResumable } from '../helpers/resume-raw.js';
import type { ResumeServer } from '../helpers/resume-raw.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

afterEach(closeResumable);

/** A clock that moves only when told, and runs the timers that fall due. */
class ManualScheduler implements Scheduler {
  #now = 0;
  #timers = new Map<number, { at: number; callback: () => void }>();
  #next = 1;
  get pending(): number {
    return this.#timers.size;
  }
  now(): number {
    return this.#now;
  }
  setTimeout(callback: () => void, delay: number): TimerHandle {
    const id = this.#next++;
    this.#timers.set(id, { at: this.#now + delay, callback });
    return id;
  }
  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete(handle as number);
  }
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      let due: [number, { at: number; callback: () => void }] | undefined;
      for (const entry of this.#timers) if (entry[1].at <= end && (due === undefined || entry[1].at < due[1].at)) due = entry;
      if (due === undefined) break;
      this.#timers.delete(due[0]);
      this.#now = Math.max(this.#now, due[1].at);
      due[1].callback();
    }
    this.#now = end;
  }
}

function heapAfterGc(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

const until = async (check: () => boolean, ms: number, what: string): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

/** `count` sessions in batches: connect with a resuming hello, join a room, get a broadcast, drop. */
async function churn(server: ResumeServer, port: number, count: number, batch: number): Promise<void> {
  for (let done = 0; done < count; done += batch) {
    const clients = await Promise.all(Array.from({ length: batch }, () => ResumeRaw.connect(port).then(({ client }) => client)));
    for (const peer of server.peers.values()) if (peer.state === 'open') peer.join('churn');
    // kept in each session's log until acknowledged: every suspended session holds an entry
    server.to('churn').emit('tick', { n: done });
    await Promise.all(clients.map((client) => client.envelopes(1)));
    await Promise.all(clients.map((client) => client.cut()));
    await until(() => server.stats().connections === 0, 5000, 'suspended');
  }
}

describe('session resume: churn', () => {
  it('10,000 sessions that suspend and expire: the heap returns to its baseline, nothing left', async () => {
    const window = 120_000;
    const scheduler = new ManualScheduler();
    const { server, port } = await startResumable({ resume: { window }, scheduler });
    const expireAll = (): void => {
      scheduler.advance(window); // the windows pass
      scheduler.advance(window); // and the store forgets why they ended
    };
    await churn(server, port, 2_000, 250); // warm-up: code compiled, pools and tables at their size
    expireAll();
    const baseline = heapAfterGc();

    const count = 10_000;
    await churn(server, port, count, 250);
    expect(server.stats().sessions).toMatchObject({ live: count, suspended: count });
    const held = heapAfterGc() - baseline;
    expireAll();
    // The least of a few settled samples: a leak stays in every one, the test runner's own
    // transient allocations (many on a loaded CI machine) do not.
    let after = Infinity;
    for (let i = 0; i < 4; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      after = Math.min(after, heapAfterGc() - baseline);
    }

    expect(server.stats().sessions).toMatchObject({ live: 0, suspended: 0, logBytes: 0, expired: 2_000 + count, overflowed: 0 });
    expect([server.peers.size, server.adapter.roomNames(), scheduler.pending]).toEqual([0, [], 0]);
    // 10,000 suspended sessions cost megabytes (the test can see them) …
    expect(held).toBeGreaterThan(10 * 1024 * 1024);
    // … and all of it is released: what remains is noise, not a per-session leak (< 64 B each)
    expect(after).toBeLessThan(640 * 1024);
  }, 60_000);
});
