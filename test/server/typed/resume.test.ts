/**
 * Session resume at the server, on real loopback sockets, with a client written on a raw socket
 * (test/helpers/resume-raw.ts): every welcome, seq, ack and close frame is asserted exactly.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { jsonCodec } from '../../../src/codec.js';
import type { Codec } from '../../../src/codec.js';
import { ResumeRaw, SID, closeResumable, connectedPeer, nextEvent, startResumable } from '../../helpers/resume-raw.js';

afterEach(closeResumable);

describe('session resume: negotiation and numbering', () => {
  it('a v1 hello gets the plain welcome and unnumbered envelopes (resume is on by default)', async () => {
    const { server, port } = await startResumable();
    const { client, welcome } = await ResumeRaw.connect(port, { resume: false });
    expect(welcome).toEqual({ envelope: { v: 1, type: 'welcome' } });
    server.emit('tick', { n: 1 });
    expect(await client.envelopes(1)).toEqual([{ v: 1, type: 'event', name: 'tick', payload: { n: 1 } }]);
    expect([...server.peers.values()][0]!.sid).toBeUndefined();
  });

  it('a resuming hello gets a session: sid, every envelope numbered both ways, acks riding along', async () => {
    const { server, port } = await startResumable();
    const { client, peer, sid } = await connectedPeer(server, port);
    expect(peer.sid).toBe(sid);
    client.sendNumbered({ v: 1, type: 'request', id: 1, name: 'echo', payload: 'x' });
    expect(await client.envelopes(1)).toEqual([{ v: 1, type: 'response', id: 1, payload: 'x', seq: 1, ack: 1 }]);
    server.emit('tick', { n: 1 }); // a broadcast: the seq is spliced in front of the shared body
    peer.emit('tick', { n: 2 });
    expect(await client.envelopes(2)).toEqual([
      { seq: 2, v: 1, type: 'event', name: 'tick', payload: { n: 1 } },
      { v: 1, type: 'event', name: 'tick', payload: { n: 2 }, seq: 3 },
    ]);
    // the raw bytes of the broadcast: `{"seq":N,` then the body
    server.emit('tick', { n: 3 });
    const frame = await client.raw.next();
    expect(frame!.payload.toString('utf8')).toBe('{"seq":4,"v":1,"type":"event","name":"tick","payload":{"n":3}}');
  });

  it('an application envelope without seq in a resumable session fails the connection (1008)', async () => {
    const { server, port } = await startResumable();
    const { client } = await connectedPeer(server, port);
    client.send({ v: 1, type: 'event', name: 'note', payload: { n: 1 } });
    expect(await client.next()).toEqual({ close: 1008, reason: '"event" without "seq" in a resumable session' });
  });

  it('`resume: false` answers a resuming hello with the plain v1 welcome', async () => {
    const { port } = await startResumable({ resume: false });
    const { welcome } = await ResumeRaw.connect(port, { sid: 'whatever', ack: 3 });
    expect(welcome).toEqual({ envelope: { v: 1, type: 'welcome' } });
  });
});

describe('session resume: a cut connection is invisible', () => {
  it('suspends on a cut; the resume re-sends exactly what the client missed, in order; same Peer, no connection/disconnect', async () => {
    const { server, port } = await startResumable();
    const events: string[] = [];
    server.on('disconnect', () => events.push('disconnect'));
    const { client, peer, sid } = await connectedPeer(server, port);
    server.on('connection', () => events.push('connection'));
    peer.lifecycle.on('suspend', (reason, code) => events.push(`peer suspend ${code} ${reason}`));
    peer.lifecycle.on('resume', () => events.push('peer resume'));
    peer.join('room');
    peer.data = { name: 'ann' };
    server.to('room').emit('tick', { n: 1 });
    expect(await client.envelopes(1)).toEqual([{ seq: 1, v: 1, type: 'event', name: 'tick', payload: { n: 1 } }]);
    const suspended = nextEvent(server, 'suspend');
    await client.cut();
    expect(await suspended).toEqual([peer, 'closed with 1006', 1006]);
    expect(peer.state).toBe('suspended');
    expect(server.stats()).toMatchObject({ connections: 0, sessions: { live: 1, suspended: 1 } });
    // what happens meanwhile is kept: broadcasts, direct events, and it still counts as reached
    expect(server.to('room').emit('tick', { n: 2 })).toBe(1);
    expect(peer.emit('tick', { n: 3 })).toBe(true);
    expect(peer.emit('tick', { n: 4 }, { volatile: true })).toBe(false); // volatile: not kept
    server.to('room').emit('tick', { n: 5 });
    const resumed = nextEvent(server, 'resume');
    const again = await ResumeRaw.connect(port, { sid, ack: 1 });
    expect(again.welcome).toEqual({ envelope: { v: 1, type: 'welcome', sid, resumed: true, ack: 0 } });
    expect(await again.client.envelopes(3)).toEqual([
      { seq: 2, v: 1, type: 'event', name: 'tick', payload: { n: 2 } },
      { v: 1, type: 'event', name: 'tick', payload: { n: 3 }, seq: 3 },
      { seq: 4, v: 1, type: 'event', name: 'tick', payload: { n: 5 } },
    ]);
    expect(await resumed).toEqual([peer]);
    expect([peer.state, peer.data, [...peer.rooms], server.peers.size]).toEqual(['open', { name: 'ann' }, ['room'], 1]);
    // and it goes on from there
    server.to('room').emit('tick', { n: 6 });
    expect(await again.client.envelopes(1)).toEqual([{ seq: 5, v: 1, type: 'event', name: 'tick', payload: { n: 6 } }]);
    expect(events).toEqual(['peer suspend 1006 closed with 1006', 'peer resume']);
    expect(server.stats()).toMatchObject({ connections: 1, sessions: { live: 1, suspended: 0, resumed: 1 } });
  });

  it('a request in flight at the cut is answered once, on the next connection; its replay is a duplicate', async () => {
    const { server, port } = await startResumable();
    let release: (value: number) => void = () => undefined;
    let calls = 0;
    server.handle('slow', (n) => {
      calls += 1;
      return new Promise<number>((resolve) => (release = (v) => resolve(v + n)));
    });
    const { client, sid } = await connectedPeer(server, port);
    client.sendNumbered({ v: 1, type: 'request', id: 7, name: 'slow', payload: 1 });
    await expect.poll(() => calls).toBe(1);
    const suspended = nextEvent(server, 'suspend');
    await client.cut();
    await suspended;
    release(10); // answered while suspended: kept for the resume
    await new Promise((resolve) => setImmediate(resolve));
    const again = await ResumeRaw.connect(port, { sid, ack: 0 });
    expect(again.welcome).toMatchObject({ envelope: { resumed: true, ack: 1 } });
    expect(await again.client.envelopes(1)).toEqual([{ v: 1, type: 'response', id: 7, payload: 11, seq: 1 }]);
    // a client that re-sends what the server already had: dropped by seq, the handler runs once
    again.client.send({ v: 1, type: 'request', id: 7, name: 'slow', payload: 1, seq: 1 });
    again.client.send({ v: 1, type: 'request', id: 8, name: 'echo', payload: 'after', seq: 2, ack: 1 });
    expect(await again.client.envelopes(1)).toEqual([{ v: 1, type: 'response', id: 8, payload: 'after', seq: 2, ack: 2 }]);
    expect(calls).toBe(1);
  });

  it('a server request pending across the cut (and one made while suspended) settle with the real answers', async () => {
    const { server, port } = await startResumable();
    const { client, peer, sid } = await connectedPeer(server, port);
    const before = peer.request('ask', 1);
    expect(await client.envelopes(1)).toEqual([{ v: 1, type: 'request', id: 1, name: 'ask', payload: 1, seq: 1 }]);
    const suspended = nextEvent(server, 'suspend');
    await client.cut();
    await suspended;
    const during = peer.request('ask', 2);
    const again = await ResumeRaw.connect(port, { sid, ack: 1 });
    expect(again.welcome).toMatchObject({ envelope: { resumed: true, ack: 0 } });
    expect(await again.client.envelopes(1)).toEqual([{ v: 1, type: 'request', id: 2, name: 'ask', payload: 2, seq: 2 }]);
    again.client.sendNumbered({ v: 1, type: 'response', id: 1, payload: 100 });
    again.client.sendNumbered({ v: 1, type: 'response', id: 2, payload: 200 }, 2);
    expect(await Promise.all([before, during])).toEqual([100, 200]);
  });
});

describe('session resume: which drops suspend (docs/protocol.md §10.3.5)', () => {
  it('the client’s 1000 or 1001 ends the session at once (`disconnect` with its reason); nothing is remembered', async () => {
    const { server, port } = await startResumable();
    for (const code of [1000, 1001]) {
      const { client, peer, sid } = await connectedPeer(server, port);
      const disconnected = nextEvent(server, 'disconnect');
      client.raw.sendClose(code, 'bye');
      expect(await disconnected).toEqual([peer, 'bye', code]);
      const late = await ResumeRaw.connect(port, { sid, ack: 0 });
      expect(late.welcome).toMatchObject({ envelope: { resumed: false, reason: 'unknown' } });
    }
    expect(server.stats().sessions).toMatchObject({ suspended: 0, expired: 0 });
  });

  it('a close without status (1005), a heartbeat timeout (4000) or any other code suspends', async () => {
    const { server, port } = await startResumable();
    for (const code of [undefined, 4000, 1011, 3000]) {
      const { client, peer } = await connectedPeer(server, port);
      const suspended = nextEvent(server, 'suspend');
      client.raw.sendClose(code);
      expect(await suspended).toEqual([peer, `closed with ${code ?? 1005}`, code ?? 1005]);
    }
    expect(server.stats().sessions).toMatchObject({ suspended: 4 });
  });
});

describe('session resume: refusals say why, and the server says disconnect', () => {
  it('a different identity gets a new session (`identity`); the owner’s session stays resumable', async () => {
    const { server, port } = await startResumable({ authenticateHello: (auth) => (auth as { user: string }).user });
    const { client, peer, sid } = await connectedPeer(server, port, { auth: { user: 'ann' } });
    const suspended = nextEvent(server, 'suspend');
    await client.cut();
    await suspended;
    const thief = await ResumeRaw.connect(port, { sid, ack: 0, auth: { user: 'bob' } });
    expect(thief.welcome).toEqual({ envelope: { v: 1, type: 'welcome', sid: expect.stringMatching(SID), resumed: false, ack: 0, reason: 'identity' } });
    expect((thief.welcome as { envelope: { sid: string } }).envelope.sid).not.toBe(sid);
    expect(peer.state).toBe('suspended');
    const owner = await ResumeRaw.connect(port, { sid, ack: 0, auth: { user: 'ann' } });
    expect(owner.welcome).toEqual({ envelope: { v: 1, type: 'welcome', sid, resumed: true, ack: 0 } });
    expect(server.stats().sessions).toMatchObject({ resumed: 1, refused: { identity: 1 } });
  });

  it('window expiry: `disconnect` on the server, then `resumed: false, reason: expired`', async () => {
    const { server, port } = await startResumable({ resume: { window: 150 } });
    const { client, peer, sid } = await connectedPeer(server, port);
    const disconnected = nextEvent(server, 'disconnect');
    await client.cut();
    expect(await disconnected).toEqual([peer, 'session expired', 1006]);
    expect(peer.state).toBe('closed');
    const late = await ResumeRaw.connect(port, { sid, ack: 0 });
    expect(late.welcome).toEqual({ envelope: { v: 1, type: 'welcome', sid: expect.stringMatching(SID), resumed: false, ack: 0, reason: 'expired' } });
    expect(server.stats().sessions).toMatchObject({ expired: 1, live: 1, suspended: 0, refused: { expired: 1 } });
  });

  it('log overflow while suspended ends the session at once: `overflow`', async () => {
    const { server, port } = await startResumable({ resume: { maxBuffered: 3 } });
    const { client, peer, sid } = await connectedPeer(server, port);
    const suspended = nextEvent(server, 'suspend');
    await client.cut();
    await suspended;
    const disconnected = nextEvent(server, 'disconnect');
    for (let n = 1; n <= 4; n++) peer.emit('tick', { n });
    expect(await disconnected).toEqual([peer, 'session overflow', 1006]);
    const late = await ResumeRaw.connect(port, { sid, ack: 0 });
    expect(late.welcome).toMatchObject({ envelope: { resumed: false, reason: 'overflow' } });
    expect(server.stats().sessions).toMatchObject({ overflowed: 1, logBytes: 0 });
  });

  it('peer.close() ends the session on purpose: a resume hears `closed`', async () => {
    const { server, port } = await startResumable();
    const { client, peer, sid } = await connectedPeer(server, port);
    const disconnected = nextEvent(server, 'disconnect');
    peer.close(1000, 'bye');
    expect(await client.next()).toEqual({ close: 1000, reason: 'bye' });
    client.raw.sendClose(1000);
    expect(await disconnected).toEqual([peer, 'bye', 1000]);
    const late = await ResumeRaw.connect(port, { sid, ack: 0 });
    expect(late.welcome).toMatchObject({ envelope: { resumed: false, reason: 'closed' } });
  });

  it('a server restart: the old server ends its sessions (1012), the new one answers `restart`', async () => {
    const first = await startResumable();
    const { client, peer, sid } = await connectedPeer(first.server, first.port);
    const disconnected = nextEvent(first.server, 'disconnect');
    const closing = first.server.close({ restart: true });
    expect(await client.next()).toEqual({ close: 1012, reason: 'server restarting' });
    client.raw.sendClose(1012);
    expect(await disconnected).toEqual([peer, 'server restarting', 1012]);
    await closing;
    const second = await startResumable();
    const back = await ResumeRaw.connect(second.port, { sid, ack: 0 });
    expect(back.welcome).toEqual({ envelope: { v: 1, type: 'welcome', sid: expect.stringMatching(SID), resumed: false, ack: 0, reason: 'restart' } });
  });

  it('shutdown ends suspended sessions too (`disconnect`), and leaves no timer behind', async () => {
    const { server, port } = await startResumable();
    const { client, peer } = await connectedPeer(server, port);
    const suspended = nextEvent(server, 'suspend');
    await client.cut();
    await suspended;
    const disconnected = nextEvent(server, 'disconnect');
    await server.close();
    expect(await disconnected).toEqual([peer, 'server shutting down', 1001]);
    expect(server.stats().sessions).toMatchObject({ live: 0, suspended: 0 });
  });
});

describe('session resume: broadcasts in every encoding', () => {
  it('a binary broadcast (docs/protocol.md §5) gets its seq and a rebuilt header; the attachment is intact', async () => {
    const { server, port } = await startResumable();
    const { client } = await connectedPeer(server, port);
    (server as unknown as { emit(name: string, payload: unknown): number }).emit('tick', new Uint8Array([1, 2, 255]));
    const frame = await client.raw.next();
    expect(frame!.opcode).toBe(2);
    const json = '{"seq":1,"v":1,"type":"event","name":"tick","payload":{"$bin":0},"bin":[3]}';
    expect(Buffer.compare(frame!.payload, Buffer.concat([Buffer.from([1, 0, 0, 0, json.length]), Buffer.from(json), Buffer.from([1, 2, 255])]))).toBe(0);
    expect(jsonCodec.decode(new Uint8Array(frame!.payload))).toEqual({ seq: 1, v: 1, type: 'event', name: 'tick', payload: new Uint8Array([1, 2, 255]) });
  });

  it('another codec: each recipient numbers and encodes its own copy of the broadcast', async () => {
    const codec: Codec = { name: 'json-copy', encode: (e) => jsonCodec.encode(e), decode: (d) => jsonCodec.decode(d) };
    const { server, port } = await startResumable({ codec });
    const a = await connectedPeer(server, port);
    const b = await connectedPeer(server, port);
    a.peer.emit('tick', { n: 0 }); // a is one ahead of b
    server.emit('tick', { n: 1 });
    expect(await a.client.envelopes(2)).toEqual([
      { v: 1, type: 'event', name: 'tick', payload: { n: 0 }, seq: 1 },
      { v: 1, type: 'event', name: 'tick', payload: { n: 1 }, seq: 2 },
    ]);
    expect(await b.client.envelopes(1)).toEqual([{ v: 1, type: 'event', name: 'tick', payload: { n: 1 }, seq: 1 }]);
  });
});
