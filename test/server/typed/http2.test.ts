/**
 * The typed server over HTTP/2 (RFC 8441): `authenticate` sees the extended CONNECT's headers
 * and cookies, peers on HTTP/2 streams and on HTTP/1.1 sockets share rooms and broadcasts,
 * liveness pings reach a stream (and a stream that stops answering is cut), and stats count them.
 */
import type { ClientHttp2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createServer, type TandemServer } from '../../../server/typed/server.js';
import { AuthenticationError } from '../../../server/typed/auth.js';
import type { AuthRequest } from '../../../server/typed/auth.js';
import type { ServerOptions } from '../../../server/typed/server-options.js';
import { H2EngineClient, answer, closeH2, connectH2, extendedConnect, testCertificate } from '../../helpers/h2-client.js';
import { RawSocket, closeAll, until } from './harness.js';

type Chat = {
  client: { events: { say: { text: string } } };
  server: { events: { message: { text: string } } };
};

const sessions: ClientHttp2Session[] = [];
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => closeH2(s)));
  await closeAll();
});

const servers: TandemServer<Chat, unknown>[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close({ timeout: 300 })));
});

async function start(options: Omit<ServerOptions<Chat, unknown>, 'port' | 'host' | 'tls'> = {}) {
  const server = createServer<Chat, unknown>({ port: 0, host: '127.0.0.1', tls: testCertificate(), ...options });
  servers.push(server);
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const port = (server.address() as AddressInfo).port;
  const session = await connectH2(port);
  sessions.push(session);
  return { server, port, session };
}

/** An engine client on an HTTP/2 stream that said hello and got the welcome. */
async function h2Peer(session: ClientHttp2Session, path = '/', headers: Record<string, string> = {}): Promise<H2EngineClient> {
  const client = await H2EngineClient.open(session, path, headers);
  client.send(JSON.stringify({ v: 1, type: 'hello' }));
  await client.waitForMessages(1);
  expect(JSON.parse(client.messages[0]!.data.toString())).toMatchObject({ v: 1, type: 'welcome' });
  return client;
}

describe('the typed server over HTTP/2', () => {
  it('authenticate sees the extended CONNECT: url, headers, cookies, origin; its identity reaches the peer', async () => {
    const seen: AuthRequest[] = [];
    const { server, session } = await start({
      authenticate: (req) => {
        seen.push(req);
        if (req.cookies['user'] === undefined) throw new AuthenticationError(401, 'who are you?');
        return { user: req.cookies['user'] };
      },
    });
    const identities: unknown[] = [];
    server.on('connection', (peer) => identities.push(peer.identity));
    await h2Peer(session, '/chat?token=t1', { cookie: 'user=ada; theme=dark', origin: 'https://app.example', 'x-trace': 'abc' });
    await until(() => identities.length === 1);
    expect(identities).toEqual([{ user: 'ada' }]);
    expect(seen).toHaveLength(1);
    const req = seen[0]!;
    expect([req.url, req.query.get('token'), req.origin, req.headers['x-trace'], req.headers[':protocol']]).toEqual([
      '/chat?token=t1',
      't1',
      'https://app.example',
      'abc',
      'websocket',
    ]);
    expect({ ...req.cookies }).toEqual({ user: 'ada', theme: 'dark' });
    expect(req.remoteAddress).toBe('127.0.0.1');

    const refused = await answer(extendedConnect(session, '/chat'));
    if (refused.status === undefined) throw new Error('reset');
    expect([refused.status, await refused.body()]).toEqual([401, 'who are you?']);
    expect(server.stats()).toMatchObject({ connections: 1 });
  });

  it('peers over HTTP/2 and over HTTP/1.1 share rooms: one broadcast reaches both, byte for byte', async () => {
    const { server, session, port } = await start();
    server.on('connection', (peer) => {
      peer.join('lobby');
      peer.on('say', ({ text }) => server.to('lobby').emit('message', { text }));
    });
    const h2 = await h2Peer(session);
    const ws = new WebSocket(`wss://127.0.0.1:${port}/`, { ca: testCertificate().cert });
    const raw = new RawSocket(ws);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    raw.send({ v: 1, type: 'hello' });
    expect(await raw.next()).toMatchObject({ type: 'welcome' });
    await until(() => server.adapter.membersOf('lobby').size === 2);
    h2.send(JSON.stringify({ v: 1, type: 'event', name: 'say', payload: { text: 'from h2' } }));
    const overH1 = await raw.next();
    await h2.waitForMessages(2);
    expect(overH1).toEqual({ v: 1, type: 'event', name: 'message', payload: { text: 'from h2' } });
    expect(JSON.parse(h2.messages[1]!.data.toString())).toEqual(overH1);
    ws.close();
    h2.close();
    await h2.closed;
    await until(() => server.peers.size === 0);
  });

  it('backpressure through HTTP/2 flow control: a stalled stream becomes a slow consumer (1013), its neighbour on the session is untouched', async () => {
    const { server, session } = await start({ backpressure: { highWaterMark: 256 * 1024 }, closeTimeout: 300 });
    const errors: string[] = [];
    server.on('error', (err) => errors.push((err as { code?: string }).code ?? String(err)));
    const disconnects: [string, number, string][] = [];
    server.on('disconnect', (peer, reason, code) => disconnects.push([peer.handshake.url, code, reason]));
    server.on('connection', (peer) => peer.join('all'));
    const fast = await h2Peer(session, '/fast');
    const stalled = await h2Peer(session, '/stalled');
    stalled.stream.pause(); // stops granting window: the server's writes to it queue up
    const chunk = 'y'.repeat(16 * 1024);
    for (let i = 0; i < 200 && server.peers.size === 2; i++) {
      server.to('all').emit('message', { text: chunk });
      await new Promise((resolve) => setImmediate(resolve));
    }
    await until(() => disconnects.length === 1, 5000);
    expect(errors).toContain('ERR_SLOW_CONSUMER');
    // Closed with 1013 (TryAgainLater), which it never reads: the stream is reset at the deadline (1006, as over TCP).
    expect(disconnects).toEqual([['/stalled', 1006, expect.stringMatching(/slow consumer/i)]]);
    expect(await stalled.closed).toMatchObject({ rstCode: 8 });
    // The fast one got every broadcast, in order, on the same session.
    const sent = fast.messages.length - 1;
    expect(sent).toBeGreaterThan(0);
    expect(fast.messages.slice(1).every((m) => JSON.parse(m.data.toString()).payload.text === chunk)).toBe(true);
    expect(server.peers.size).toBe(1);
  });

  it('liveness: pings go down the stream; a stream that stops reading is terminated at the deadline', async () => {
    const { server, session } = await start({ heartbeat: { interval: 100, timeout: 200 } });
    const reasons: string[] = [];
    server.on('disconnect', (_peer, reason) => reasons.push(reason));
    const alive = await h2Peer(session, '/alive');
    const stalled = await h2Peer(session, '/stalled');
    stalled.stream.pause(); // its pongs stop: the engine never sees the pings
    await until(() => reasons.length === 1, 5000);
    expect(reasons[0]).toMatch(/^heartbeat timeout/);
    expect(server.peers.size).toBe(1);
    expect(await stalled.closed).toEqual({ code: 1006, reason: '', rstCode: 8 }); // RST_STREAM CANCEL
    // The live one answered every ping meanwhile (the engine's auto-pong) and is still there.
    const before = server.stats().messagesIn;
    alive.send(JSON.stringify({ v: 1, type: 'event', name: 'say', payload: { text: 'still' } }));
    await until(() => server.stats().messagesIn === before + 1);
    expect(server.peers.size).toBe(1);
  });
});
