/**
 * Session resume end to end when it is not a simple cut: a black-holed link found by the client's
 * heartbeat (the server never saw the drop: the resume takes the half-open session over), and the
 * cases where the session cannot be resumed — window passed, log overflowed, server restarted, a
 * different identity — each told to the client (`open { resumed: false, reason }`) and ending
 * with `'disconnect'` on the server. Real client, fault proxy and typed server on loopback.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FaultProxy } from '../../server/tools/proxy/index.js';
import { closeE2e, range, sleep, startE2eClient, startE2eServer, startProxy, until } from '../helpers/resume-e2e.js';
import type { E2ePeer, E2eServer } from '../helpers/resume-e2e.js';

const timers: Array<ReturnType<typeof setInterval>> = [];
afterEach(async () => {
  for (const t of timers.splice(0)) clearInterval(t);
  await closeE2e();
});

function record(server: E2eServer): string[] {
  const events: string[] = [];
  server.on('suspend', (_peer, reason, code) => events.push(`suspend ${code} ${reason}`));
  server.on('resume', () => events.push('resume'));
  server.on('disconnect', (_peer, reason, code) => events.push(`disconnect ${code} ${reason}`));
  return events;
}

/** Takes the proxy down (connections dropped, new ones refused) and back up on the same port. */
async function outage(proxy: FaultProxy, port: number, during: () => Promise<void>): Promise<FaultProxy> {
  proxy.cutAll();
  await proxy.close();
  await during();
  return startProxy(port, { listen: proxy.port });
}

describe('session resume through faults', () => {
  it('a black-holed link: the client’s heartbeat gives up, reconnects, and resumes; the half-open one is taken over', async () => {
    const { server, port, tocks } = await startE2eServer({ closeTimeout: 300 });
    const events = record(server);
    const proxy = await startProxy(port);
    const c = startE2eClient(proxy.port, { heartbeat: { interval: 40, timeout: 120 } });
    await until(() => c.client.state === 'open' && server.peers.size === 1);
    const [peer] = [...server.peers.values()] as [E2ePeer];
    let sentTicks = 0;
    let sentTocks = 0;
    timers.push(setInterval(() => server.to('room').emit('tick', ++sentTicks), 2));
    timers.push(setInterval(() => c.client.emit('tock', ++sentTocks), 3));
    await sleep(50);
    expect(proxy.blackholeAll('both')).toBe(1);
    await until(() => c.opens.length === 2, 5000, 'reconnected');
    await sleep(30);
    for (const t of timers.splice(0)) clearInterval(t);
    await until(() => c.ticks.length >= sentTicks && tocks.get(peer)!.length >= sentTocks, 5000, 'delivery');
    expect(c.ticks).toEqual(range(sentTicks));
    expect(tocks.get(peer)).toEqual(range(sentTocks));
    expect(c.opens).toEqual([{ resumed: false }, { resumed: true }]);
    expect(c.closes).toEqual([{ code: 4000, reason: 'heartbeat timeout', willReconnect: true, resuming: true }]);
    expect(c.states).toEqual(['open']);
    expect(events).toEqual(['resume']); // the server never saw the link die: no suspend, no disconnect
    expect(server.peers.size).toBe(1);
  });

  it('with permessage-deflate: 20 cuts, nothing lost or duplicated (shared broadcast frames go out uncompressed beside compressed sends)', async () => {
    const { server, port, tocks } = await startE2eServer({ perMessageDeflate: { threshold: 0 } });
    const proxy = await startProxy(port);
    const c = startE2eClient(proxy.port);
    let resumes = 0;
    server.on('resume', () => (resumes += 1));
    await until(() => c.client.state === 'open' && server.peers.size === 1);
    const [peer] = [...server.peers.values()] as [E2ePeer];
    let sentTicks = 0;
    let sentTocks = 0;
    // broadcasts (shared frames) and direct sends (compressed) interleaved
    timers.push(setInterval(() => (++sentTicks % 2 === 0 ? server.to('room').emit('tick', sentTicks) : peer.emit('tick', sentTicks)), 1));
    timers.push(setInterval(() => c.client.emit('tock', ++sentTocks), 2));
    for (let cut = 1; cut <= 20; cut++) {
      await sleep(15 + ((cut * 7) % 30));
      proxy.cutAll();
      await until(() => resumes === cut, 5000, `resume ${cut}`);
    }
    for (const t of timers.splice(0)) clearInterval(t);
    await until(() => c.ticks.length >= sentTicks && tocks.get(peer)!.length >= sentTocks, 5000, 'delivery');
    expect(c.ticks).toEqual(range(sentTicks));
    expect(tocks.get(peer)).toEqual(range(sentTocks));
    expect(c.errors).toEqual([]);
  });

  it('window passed: `disconnect` (session expired) on the server, `open { resumed: false, reason: "expired" }` on the client', async () => {
    const { server, port } = await startE2eServer({ resume: { window: 200 } });
    const events = record(server);
    let proxy = await startProxy(port);
    const c = startE2eClient(proxy.port);
    await until(() => c.client.state === 'open' && server.peers.size === 1);
    proxy = await outage(proxy, port, () => until(() => events.some((e) => e.startsWith('disconnect')), 3000, 'expiry'));
    await until(() => c.opens.length === 2, 5000, 'reconnected');
    expect(c.opens).toEqual([{ resumed: false }, { resumed: false, reason: 'expired' }]);
    expect(events).toEqual(['suspend 1006 closed with 1006', 'disconnect 1006 session expired']);
    expect(server.stats().sessions).toMatchObject({ expired: 1, live: 1, refused: { expired: 1 } });
    // a new session, working
    expect(await c.client.request('add', [2, 3])).toBe(5);
  });

  it('log overflow while away: the session ends at once; `resumed: false, reason: "overflow"`', async () => {
    const { server, port } = await startE2eServer({ resume: { maxBuffered: 5 } });
    const events = record(server);
    let proxy = await startProxy(port);
    const c = startE2eClient(proxy.port);
    await until(() => c.client.state === 'open' && server.peers.size === 1);
    const [peer] = [...server.peers.values()] as [E2ePeer];
    proxy = await outage(proxy, port, async () => {
      await until(() => peer.state === 'suspended', 3000, 'suspended');
      for (let n = 1; n <= 6; n++) peer.emit('tick', n);
      expect(peer.state).toBe('closed');
    });
    await until(() => c.opens.length === 2, 5000, 'reconnected');
    expect(c.opens).toEqual([{ resumed: false }, { resumed: false, reason: 'overflow' }]);
    expect(c.ticks).toEqual([]); // none of the six: the client is told, never given a gap
    expect(events).toEqual(['suspend 1006 closed with 1006', 'disconnect 1006 session overflow']);
    expect(server.stats().sessions).toMatchObject({ overflowed: 1, logBytes: 0 });
  });

  it('a server restart (`close({ restart })`, then a new server): `disconnect` on the old one, `reason: "restart"` from the new', async () => {
    const first = await startE2eServer();
    const events = record(first.server);
    const proxy = await startProxy(first.port);
    const c = startE2eClient(proxy.port, { reconnect: { minDelay: 10, maxDelay: 40, restartWindow: 100 } });
    await until(() => c.client.state === 'open' && first.server.peers.size === 1);
    await first.server.close({ restart: true, timeout: 500 });
    expect(events).toEqual(['disconnect 1012 server restarting']);
    const second = await startE2eServer({ port: first.port });
    await until(() => c.opens.length === 2, 5000, 'reconnected');
    expect(c.opens).toEqual([{ resumed: false }, { resumed: false, reason: 'restart' }]);
    expect(c.closes[0]).toMatchObject({ code: 1012, reason: 'server restarting', willReconnect: true });
    expect(second.server.stats().sessions.refused).toEqual({ restart: 1 });
  });

  it('a different identity on the resume: a new session (`identity`); the owner’s waits, then expires with `disconnect`', async () => {
    const { server, port } = await startE2eServer({ resume: { window: 300 }, authenticateHello: (auth) => (auth as { user: string }).user });
    const events = record(server);
    const proxy = await startProxy(port);
    let user = 'ann';
    const c = startE2eClient(proxy.port, { auth: () => ({ user }) });
    await until(() => c.client.state === 'open' && server.peers.size === 1);
    const [ann] = [...server.peers.values()] as [E2ePeer];
    user = 'bob'; // the same client (its sid) now authenticates as someone else
    proxy.cutAll();
    await until(() => c.opens.length === 2, 5000, 'reconnected');
    expect(c.opens).toEqual([{ resumed: false }, { resumed: false, reason: 'identity' }]);
    const bob = [...server.peers.values()].find((p) => p !== ann)!;
    expect([ann.identity, ann.state, bob.identity, bob.state]).toEqual(['ann', 'suspended', 'bob', 'open']);
    await until(() => ann.state === 'closed', 3000, 'expiry');
    expect(events).toEqual(['suspend 1006 closed with 1006', 'disconnect 1006 session expired']);
  });
});
