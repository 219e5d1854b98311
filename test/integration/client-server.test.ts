// @vitest-environment jsdom
/**
 * Browser client (jsdom's WebSocket) ⇄ Tandem's createServer over loopback, for what only the
 * typed server has (the ws stand-in does not): rooms and broadcast, a graceful shutdown's 1001,
 * invalid event payloads reported at the receiving end, request timeouts at both ends, and a
 * 1012 restart spreading many clients' retries over the restart window.
 */
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../../client/index.js';
import type { ClientOptions, CloseInfo, StandardSchemaV1, TandemClient } from '../../client/index.js';
import { createServer } from '../../server/index.js';
import type { Peer, ServerOptions, TandemServer } from '../../server/index.js';
import { sleep, until } from '../helpers/wait.js';

type Chat = {
  client: {
    events: { say: { text: string } };
    requests: { join: { request: string; response: void }; hang: { request: undefined; response: void } };
  };
  server: {
    events: { news: { headline: string } };
    requests: { ask: { request: undefined; response: string } };
  };
};

const servers: Array<TandemServer<Chat>> = [];
const clients: Array<TandemClient<Chat>> = [];
afterEach(async () => {
  for (const c of clients.splice(0)) if (c.state !== 'closed') c.close();
  await Promise.all(servers.splice(0).map((s) => s.close({ timeout: 100 })));
});


async function server(options: Partial<ServerOptions<Chat>> = {}): Promise<{ s: TandemServer<Chat>; url: string; port: number; peers: Array<Peer<Chat>> }> {
  const s = createServer<Chat>({ port: 0, host: '127.0.0.1', ...options });
  servers.push(s);
  await new Promise<void>((resolve) => s.once('listening', () => resolve()));
  const peers: Array<Peer<Chat>> = [];
  s.on('connection', (peer) => peers.push(peer));
  s.handle('join', (room, peer) => peer.join(room));
  s.handle('hang', () => new Promise<void>(() => {}));
  const { port } = s.address() as AddressInfo;
  return { s, url: `ws://127.0.0.1:${port}`, port, peers };
}

function client(url: string, options: ClientOptions<Chat> = {}) {
  const c = createClient<Chat>(url, { reconnect: { minDelay: 20, maxDelay: 40 }, ...options });
  clients.push(c);
  const news: string[] = [];
  const closes: CloseInfo[] = [];
  c.on('news', ({ headline }) => news.push(headline));
  c.lifecycle.on('close', (info) => closes.push(info));
  return { c, news, closes };
}

describe('client ⇄ Tandem server, typed-server features end to end', () => {
  it('rooms: to(room), except(peer) and emit-to-all reach exactly the right clients, in order', async () => {
    const { s, url, peers } = await server();
    const a = client(url);
    await a.c.request('join', 'lobby'); // a is peers[0], in the lobby
    const b = client(url);
    await until(() => b.c.state === 'open' && peers.length === 2);
    expect([...peers[0]!.rooms]).toContain('lobby');
    expect([...peers[1]!.rooms]).not.toContain('lobby');
    s.to('lobby').emit('news', { headline: 'lobby only' });
    s.except(peers[0]!).emit('news', { headline: 'not the first' });
    s.emit('news', { headline: 'everyone' });
    await until(() => a.news.length === 2 && b.news.length === 2);
    await sleep(30); // nothing else is on its way
    expect(a.news).toEqual(['lobby only', 'everyone']);
    expect(b.news).toEqual(['not the first', 'everyone']);
  });

  it("an invalid event payload never reaches the server's listener: reported as PayloadValidationError, the link stays up", async () => {
    const text: StandardSchemaV1<unknown, { text: string }> = {
      '~standard': { version: 1, vendor: 'test', validate: (v) => (typeof (v as { text?: unknown }).text === 'string' ? { value: v as { text: string } } : { issues: [{ message: 'text must be a string', path: ['text'] }] }) },
    };
    const { s, url, peers } = await server({ schemas: { client: { events: { say: text } } } });
    const said: string[] = [];
    const errors: unknown[] = [];
    s.on('connection', (peer) => peer.on('say', ({ text: t }) => said.push(t)));
    s.on('error', (err) => errors.push(err));
    const { c } = client(url);
    await until(() => c.state === 'open' && peers.length === 1);
    c.emit('say', { text: 42 } as never);
    c.emit('say', { text: 'valid' });
    await until(() => said.length === 1);
    expect(said).toEqual(['valid']);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ name: 'PayloadValidationError', code: 'ERR_INVALID_PAYLOAD', target: 'say', message: 'invalid payload for "say": text: text must be a string' });
    expect(c.state).toBe('open');
  });

  it('request timeouts at both ends: a never-answering handler times out, the link stays up', async () => {
    const { url, peers } = await server();
    const { c } = client(url, { requestTimeout: 60 });
    c.handle('ask', () => new Promise<string>(() => {}));
    await expect(c.request('hang')).rejects.toMatchObject({ name: 'RequestError', code: 'timeout' });
    await until(() => peers.length === 1);
    await expect(peers[0]!.request('ask', undefined, { timeout: 60 })).rejects.toMatchObject({ name: 'RequestError', code: 'timeout' });
    expect(c.state).toBe('open');
    await c.request('join', 'still-here');
    expect(peers[0]!.rooms.has('still-here')).toBe(true);
  });

  it('a request made while the server is down waits for the link, still bounded by its timeout', async () => {
    const first = await server();
    const { c } = client(first.url);
    await until(() => c.state === 'open');
    servers.splice(servers.indexOf(first.s), 1);
    await first.s.close({ timeout: 100 });
    await until(() => c.state === 'reconnecting');
    await expect(c.request('join', 'x', { timeout: 80 })).rejects.toMatchObject({ name: 'RequestError', code: 'timeout' });
  });

  it('server.close(): clients see 1001 "server shutting down" and keep trying (a normal outage)', async () => {
    const { s, url } = await server();
    // The v1 reconnect policy (with a session the client first tries to resume at once).
    const { c, closes } = client(url, { resume: false });
    await until(() => c.state === 'open');
    servers.splice(servers.indexOf(s), 1);
    await s.close({ timeout: 500 });
    await until(() => closes.length === 1);
    expect(closes[0]).toEqual({ code: 1001, reason: 'server shutting down', willReconnect: true, resuming: false, retryDelay: expect.any(Number) });
    expect(c.state).toBe('reconnecting');
  });

  it('close({ restart: true }): every client gets 1012 and its own delay from its random draw, within the restart window', async () => {
    const { s, url } = await server();
    const draws = [0, 0.25, 0.5, 1 - 1e-9];
    const all = draws.map((r) => client(url, { reconnect: { minDelay: 100, maxDelay: 200, restartWindow: 900 }, random: () => r, resume: false }));
    await until(() => all.every(({ c }) => c.state === 'open'));
    servers.splice(servers.indexOf(s), 1);
    await s.close({ restart: true, timeout: 500 });
    await until(() => all.every(({ closes }) => closes.length === 1));
    // uniform in [minDelay, restartWindow]: 100 + r × 800
    expect(all.map(({ closes }) => closes[0])).toEqual(
      draws.map((r) => ({ code: 1012, reason: 'server restarting', willReconnect: true, resuming: false, retryDelay: 100 + r * 800 })),
    );
  });
});
