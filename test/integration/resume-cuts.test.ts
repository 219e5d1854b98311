/**
 * Issue 10's guarantee under fire: the project's client, the fault proxy and the typed server on
 * loopback; 100 cuts at seeded random times while the server broadcasts to a room every
 * millisecond, the client emits every 2 ms, and both ends make requests. Nothing may be lost,
 * duplicated or reordered in either direction, and every request settles once with its answer.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { closeE2e, lcg, range, sleep, startE2eClient, startE2eServer, startProxy, until } from '../helpers/resume-e2e.js';
import type { E2ePeer } from '../helpers/resume-e2e.js';

const timers: Array<ReturnType<typeof setInterval>> = [];
afterEach(async () => {
  for (const t of timers.splice(0)) clearInterval(t);
  await closeE2e();
});

describe('session resume end to end through the fault proxy', () => {
  it('100 random cuts: zero lost, duplicated or reordered both ways; requests in flight settle once, both ways', async () => {
    const { server, port, tocks, errors: serverErrors } = await startE2eServer();
    const proxy = await startProxy(port);
    const c = startE2eClient(proxy.port);
    const events: string[] = [];
    let resumes = 0;
    server.on('suspend', () => events.push('suspend'));
    server.on('resume', () => (resumes += 1));
    server.on('disconnect', () => events.push('disconnect'));
    await until(() => c.client.state === 'open' && server.peers.size === 1);
    const [peer] = [...server.peers.values()] as [E2ePeer];

    let sentTicks = 0;
    let sentTocks = 0;
    const answers: Array<Promise<[number, unknown]>> = [];
    const asked: Array<Promise<[number, unknown]>> = [];
    timers.push(setInterval(() => server.to('room').emit('tick', ++sentTicks), 1));
    timers.push(setInterval(() => c.client.emit('tock', ++sentTocks), 2));
    timers.push(
      setInterval(() => {
        const i = answers.length + 1;
        answers.push(c.client.request('add', [i, i], { timeout: 60_000 }).then((v) => [i, v], (e: unknown) => [i, e]));
      }, 5),
    );
    timers.push(
      setInterval(() => {
        const i = asked.length + 1;
        asked.push(peer.request('double', i, { timeout: 60_000 }).then((v) => [i, v], (e: unknown) => [i, e]));
      }, 7),
    );
    const next = lcg(10);
    for (let cut = 1; cut <= 100; cut++) {
      await sleep(10 + Math.floor(next() * 50));
      expect(proxy.cutAll()).toBe(1);
      await until(() => resumes === cut, 5000, `resume ${cut}`);
    }
    await sleep(20);
    for (const t of timers.splice(0)) clearInterval(t);
    const received = tocks.get(peer)!;
    await until(() => c.ticks.length >= sentTicks && received.length >= sentTocks, 5000, 'delivery');
    const [settled, settledAsks] = await Promise.all([Promise.all(answers), Promise.all(asked)]);

    // exactly once, in order, both directions
    expect(c.ticks).toEqual(range(sentTicks));
    expect(received).toEqual(range(sentTocks));
    expect(settled).toEqual(settled.map(([i]) => [i, 2 * i]));
    expect(settledAsks).toEqual(settledAsks.map(([i]) => [i, 2 * i]));
    expect(c.doubled).toEqual(range(settledAsks.length)); // each server request handled once
    expect([sentTicks, sentTocks, settled.length, settledAsks.length].every((n) => n > 300)).toBe(true);
    // one session all along, invisible to both applications
    expect([c.errors, serverErrors]).toEqual([[], []]);
    expect(c.opens).toEqual([{ resumed: false }, ...range(100).map(() => ({ resumed: true }))]);
    expect(c.states).toEqual(['open']); // a blip that resumed never shows as 'reconnecting'
    expect(events).toEqual(range(100).map(() => 'suspend'));
    expect(server.peers.size).toBe(1);
    expect(server.stats().sessions).toMatchObject({ live: 1, suspended: 0, resumed: 100, expired: 0, overflowed: 0, refused: {} });
    expect(proxy.stats().cuts).toBe(100);
    // the logs drain once the acknowledgements went round
    await until(() => server.stats().sessions.logBytes === 0, 2000, 'server log drained');
  }, 30_000);
});
