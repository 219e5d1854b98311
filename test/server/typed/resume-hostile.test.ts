/**
 * Hostile resume attempts at the server (issue 10): unknown and forged sids, `ack`s ahead or
 * behind, replayed hellos, a second live connection, a flood of resumes for one sid. Each has a
 * defined outcome, and a bystander session's traffic goes on untouched. Raw-socket client:
 * test/helpers/resume-raw.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ResumeRaw, closeResumable, connectedPeer, nextEvent, startResumable } from '../../helpers/resume-raw.js';

afterEach(closeResumable);

describe('session resume: hostile attempts have defined outcomes and disturb no other session', () => {
  /** A bystander session whose traffic must go on untouched: echo round trips with consecutive seqs. */
  async function bystander(server: Awaited<ReturnType<typeof startResumable>>['server'], port: number): Promise<() => Promise<void>> {
    const { client } = await connectedPeer(server, port);
    let round = 0;
    return async () => {
      round += 1;
      client.sendNumbered({ v: 1, type: 'request', id: round, name: 'echo', payload: round });
      const [response] = await client.envelopes(1);
      expect(response).toMatchObject({ type: 'response', id: round, payload: round, seq: client.sent });
    };
  }

  it('unknown sids: garbage and a forgotten one are `unknown`, another run’s is `restart`', async () => {
    const { server, port } = await startResumable();
    const check = await bystander(server, port);
    const { sid } = await connectedPeer(server, port);
    const forged = sid.slice(0, -1) + (sid.endsWith('A') ? 'B' : 'A');
    const otherRun = `${sid.startsWith('AAAAAAAA') ? 'BBBBBBBB' : 'AAAAAAAA'}${sid.slice(8)}`;
    const answers = [];
    for (const attempt of ['nope', '', 'x'.repeat(10_000), forged, otherRun]) {
      const { welcome } = await ResumeRaw.connect(port, { sid: attempt, ack: 0 });
      answers.push((welcome as { envelope: { reason: string; resumed: boolean } }).envelope);
    }
    expect(answers.map((a) => [a.resumed, a.reason])).toEqual([
      [false, 'unknown'],
      [false, 'unknown'],
      [false, 'unknown'],
      [false, 'unknown'],
      [false, 'restart'],
    ]);
    await check();
    expect(server.stats().sessions.refused).toEqual({ unknown: 4, restart: 1 });
  });

  it('an ack ahead of what was sent is `invalid`: a suspended session ends, a live one is untouched', async () => {
    const { server, port } = await startResumable();
    const check = await bystander(server, port);
    const live = await connectedPeer(server, port);
    const probe = await ResumeRaw.connect(port, { sid: live.sid, ack: 5 });
    expect(probe.welcome).toMatchObject({ envelope: { resumed: false, reason: 'invalid' } });
    expect(live.peer.state).toBe('open');
    live.client.sendNumbered({ v: 1, type: 'request', id: 1, name: 'echo', payload: 'still here' });
    expect(await live.client.envelopes(1)).toEqual([{ v: 1, type: 'response', id: 1, payload: 'still here', seq: 1, ack: 1 }]);

    const gone = await connectedPeer(server, port);
    const suspended = nextEvent(server, 'suspend');
    await gone.client.cut();
    await suspended;
    const disconnected = nextEvent(server, 'disconnect');
    const attempt = await ResumeRaw.connect(port, { sid: gone.sid, ack: 5 });
    expect(attempt.welcome).toMatchObject({ envelope: { resumed: false, reason: 'invalid' } });
    expect(await disconnected).toEqual([gone.peer, 'session closed', 1006]);
    await check();
  });

  it('a replayed old hello (ack behind what the client acknowledged) is `invalid`', async () => {
    const { server, port } = await startResumable();
    const { client, peer, sid } = await connectedPeer(server, port);
    for (let n = 1; n <= 3; n++) peer.emit('tick', { n });
    await client.envelopes(3);
    client.send({ v: 1, type: 'ack', ack: 2 });
    await expect.poll(() => server.stats().sessions.logBytes).toBeLessThan(200); // two of three trimmed
    const suspended = nextEvent(server, 'suspend');
    await client.cut();
    await suspended;
    const replayed = await ResumeRaw.connect(port, { sid, ack: 1 });
    expect(replayed.welcome).toMatchObject({ envelope: { resumed: false, reason: 'invalid' } });
  });

  it('the same hello twice on one connection fails it (1008); acks and seqs out of line too', async () => {
    const { server, port } = await startResumable();
    const check = await bystander(server, port);
    const twice = await connectedPeer(server, port);
    twice.client.send({ v: 1, type: 'hello', resume: true });
    expect(await twice.client.next()).toEqual({ close: 1008, reason: 'unexpected second "hello"' });
    const ahead = await connectedPeer(server, port);
    ahead.client.send({ v: 1, type: 'ack', ack: 99 });
    expect(await ahead.client.next()).toEqual({ close: 1008, reason: '"ack" 99 is beyond what was sent' });
    const gap = await connectedPeer(server, port);
    gap.client.send({ v: 1, type: 'event', name: 'note', payload: { n: 1 }, seq: 2 });
    expect(await gap.client.next()).toEqual({ close: 1008, reason: '"seq" 2 skips a message' });
    await check();
  });

  it('a second live connection takes the session over: the older one is closed with 4409', async () => {
    const { server, port } = await startResumable();
    const events: string[] = [];
    server.on('suspend', () => events.push('suspend'));
    server.on('disconnect', () => events.push('disconnect'));
    const { client, peer, sid } = await connectedPeer(server, port);
    peer.emit('tick', { n: 1 });
    await client.envelopes(1);
    const resumed = nextEvent(server, 'resume');
    const second = await ResumeRaw.connect(port, { sid, ack: 1 });
    expect(second.welcome).toEqual({ envelope: { v: 1, type: 'welcome', sid, resumed: true, ack: 0 } });
    expect(await client.next()).toEqual({ close: 4409, reason: 'session taken over' });
    expect(await resumed).toEqual([peer]);
    peer.emit('tick', { n: 2 });
    expect(await second.client.envelopes(1)).toEqual([{ v: 1, type: 'event', name: 'tick', payload: { n: 2 }, seq: 2 }]);
    client.raw.sendClose(4409);
    await client.raw.closed;
    expect(events).toEqual([]); // the old connection's end is not the session's
    expect(server.peers.size).toBe(1);
  });

  it('a flood of resumes for one sid: each takes over the last, exactly one connection remains', async () => {
    const { server, port } = await startResumable();
    const check = await bystander(server, port);
    const { client, sid } = await connectedPeer(server, port);
    const suspended = nextEvent(server, 'suspend');
    await client.cut();
    await suspended;
    const attempts = await Promise.all(Array.from({ length: 25 }, () => ResumeRaw.connect(port, { sid, ack: 0 })));
    expect(attempts.every(({ welcome }) => 'envelope' in welcome && welcome.envelope['resumed'] === true)).toBe(true);
    const outcomes = await Promise.all(attempts.map(({ client: c }) => c.next(300).catch(() => 'still open')));
    const takenOver = outcomes.filter((o) => typeof o === 'object' && o !== null && 'close' in o && o.close === 4409);
    expect(takenOver).toHaveLength(24);
    expect(outcomes.filter((o) => o === 'still open')).toHaveLength(1);
    expect(server.peers.size).toBe(2);
    expect(server.stats().sessions).toMatchObject({ live: 2, suspended: 0, resumed: 25 });
    await check();
  });
});
