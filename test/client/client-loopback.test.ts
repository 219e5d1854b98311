// @vitest-environment jsdom
/**
 * The client (with jsdom's WebSocket, and once with ws's) against a real server over loopback:
 * the ws-based envelope server in test/helpers, which speaks envelope v1 through src/.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket as WsWebSocket } from 'ws';
import { RequestError, createClient } from '../../client/index.js';
import type { ClientOptions, CloseInfo, TandemClient } from '../../client/index.js';
import { startEnvelopeServer } from '../helpers/ws-envelope-server.js';
import type { EnvelopeServer, EnvelopeServerOptions } from '../helpers/ws-envelope-server.js';

type Contract = {
  client: {
    events: { say: { text: string }; blob: { bytes: Uint8Array } };
    requests: { add: { request: [number, number]; response: number }; find: { request: string; response: string } };
  };
  server: {
    events: { news: { headline: string }; blob: { bytes: Uint8Array } };
    requests: { confirm: { request: string; response: boolean } };
  };
};

const servers: EnvelopeServer[] = [];
const clients: Array<TandemClient<Contract>> = [];
afterEach(async () => {
  for (const c of clients.splice(0)) if (c.state !== 'closed') c.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function server(options: EnvelopeServerOptions = {}): Promise<EnvelopeServer> {
  const s = await startEnvelopeServer({
    handlers: {
      add: (p) => (p as number[])[0]! + (p as number[])[1]!,
      find: (p) => {
        throw new RequestError('not_found', `no ${String(p)}`, { query: p });
      },
    },
    ...options,
  });
  servers.push(s);
  return s;
}

function client(url: string, options: ClientOptions<Contract> = {}) {
  const c = createClient<Contract>(url, { reconnect: { minDelay: 20, maxDelay: 40 }, ...options });
  clients.push(c);
  const closes: CloseInfo[] = [];
  const errors: unknown[] = [];
  c.lifecycle.on('close', (info) => closes.push(info));
  c.lifecycle.on('error', (e) => errors.push(e));
  return { c, closes, errors };
}

const until = async (check: () => boolean, ms = 3000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};
const opened = (c: TandemClient<Contract>) => until(() => c.state === 'open');

describe('client ⇄ real server over loopback (jsdom WebSocket)', () => {
  it('typed events both ways, binary included', async () => {
    const s = await server();
    const { c } = client(s.url);
    const news: unknown[] = [];
    const blobs: Uint8Array[] = [];
    c.on('news', (n) => news.push(n));
    c.on('blob', (b) => blobs.push(b.bytes));
    await opened(c);
    c.emit('say', { text: 'hello' });
    c.emit('blob', { bytes: new Uint8Array([0, 1, 254, 255]) });
    await until(() => s.events.length === 2);
    expect(s.events[0]).toEqual({ name: 'say', payload: { text: 'hello' } });
    expect([...(s.events[1]!.payload as { bytes: Uint8Array }).bytes]).toEqual([0, 1, 254, 255]);
    const peer = await s.peer(0);
    peer.emit('news', { headline: 'tandem ships' });
    peer.emit('blob', { bytes: new Uint8Array([7, 7]) });
    await until(() => blobs.length === 1);
    expect(news).toEqual([{ headline: 'tandem ships' }]);
    expect([...blobs[0]!]).toEqual([7, 7]);
  });

  it('requests both ways, with errors', async () => {
    const s = await server();
    const { c } = client(s.url);
    c.handle('confirm', (question) => {
      if (question === 'explode?') throw new RequestError('refused', 'never');
      return question === 'ok?';
    });
    expect(await c.request('add', [2, 3])).toBe(5);
    await expect(c.request('find', 'room-9')).rejects.toMatchObject({ name: 'RequestError', code: 'not_found', message: 'no room-9', details: { query: 'room-9' } });
    await expect((c as unknown as TandemClient).request('missing' as never)).rejects.toMatchObject({ code: 'unknown_method' });
    const peer = await s.peer(0);
    expect(await peer.request('confirm', 'ok?')).toBe(true);
    await expect(peer.request('confirm', 'explode?')).rejects.toMatchObject({ code: 'refused', message: 'never' });
    await expect(peer.request('nothing')).rejects.toMatchObject({ code: 'unknown_method' });
  });

  it('sends auth in the hello and stops for good on 4401', async () => {
    const s = await server({ authorize: (auth) => (auth === 'good' ? true : 4401) });
    const ok = client(s.url, { auth: async () => 'good' });
    await opened(ok.c);
    expect((await s.peer(0)).hello).toEqual({ v: 1, type: 'hello', auth: 'good' });
    const bad = client(s.url, { auth: 'bad' });
    await until(() => bad.c.state === 'closed');
    expect(bad.closes).toEqual([{ code: 4401, reason: 'unauthorized', willReconnect: false }]);
  });

  it('reconnects after the server drops the TCP connection, and flushes what was queued meanwhile', async () => {
    const s = await server();
    const { c, closes } = client(s.url);
    await opened(c);
    (await s.peer(0)).drop();
    await until(() => c.state === 'reconnecting');
    c.emit('say', { text: 'while away' });
    await until(() => s.peers.length === 2 && c.state === 'open');
    await until(() => s.events.length === 1);
    expect(s.events).toEqual([{ name: 'say', payload: { text: 'while away' } }]);
    expect(closes[0]).toEqual({ code: 1006, reason: '', willReconnect: true, retryDelay: expect.any(Number) });
  });

  it('reconnects after the server restarts on the same port', async () => {
    const first = await server();
    const { c } = client(first.url);
    await opened(c);
    const port = first.port;
    await first.close();
    servers.splice(servers.indexOf(first), 1);
    await until(() => c.state === 'reconnecting');
    const second = await server({ port });
    await second.peer(0);
    await opened(c);
    expect(await c.request('add', [20, 22])).toBe(42);
  });

  it('heartbeat detects a server that stops reading (paused socket): closes 4000 and reconnects', async () => {
    const s = await server();
    const { c, closes } = client(s.url, { heartbeat: { interval: 60, timeout: 60 } });
    await opened(c);
    await new Promise((r) => setTimeout(r, 200)); // healthy: pings are answered
    expect(c.state).toBe('open');
    (await s.peer(0)).pause();
    await until(() => closes.length > 0);
    expect(closes[0]).toEqual({ code: 4000, reason: 'heartbeat timeout', willReconnect: true, retryDelay: expect.any(Number) });
    await until(() => s.peers.length === 2 && c.state === 'open');
  });

  it('does not reconnect after close()', async () => {
    const s = await server();
    const { c, closes } = client(s.url);
    await opened(c);
    const peer = await s.peer(0);
    const serverSaw = new Promise<number>((resolve) => peer.ws.once('close', (code: number) => resolve(code)));
    c.close(1000, 'done');
    expect(await serverSaw).toBe(1000);
    await new Promise((r) => setTimeout(r, 150));
    expect(s.peers).toHaveLength(1);
    expect(c.state).toBe('closed');
    expect(closes).toEqual([{ code: 1000, reason: 'done', willReconnect: false }]);
  });

  it.each([
    ['bad JSON', 'this is not json', 1007, 4007],
    ['an unknown version', '{"v":2,"type":"event","name":"news"}', 1003, 4003],
    ['a response without id', '{"v":1,"type":"response"}', 1008, 4008],
    ['a broken binary frame', new Uint8Array([1, 0, 0, 0, 50]), 1007, 4007],
  ])('malformed envelope from the server (%s): ProtocolError %i, closes %i, reconnects', async (_name, data, closeCode, sent) => {
    const s = await server();
    const { c, errors } = client(s.url);
    await opened(c);
    const peer = await s.peer(0);
    const serverSaw = new Promise<number>((resolve) => peer.ws.once('close', (code: number) => resolve(code)));
    peer.sendRaw(data);
    expect(await serverSaw).toBe(sent);
    expect(errors[0]).toMatchObject({ name: 'ProtocolError', closeCode });
    await until(() => s.peers.length === 2 && c.state === 'open');
  });
});

describe('client with ws as the injected WebSocket constructor', () => {
  it('connects, requests and closes', async () => {
    const s = await server();
    const { c } = client(s.url, { WebSocket: WsWebSocket, network: null });
    expect(await c.request('add', [1, 1])).toBe(2); // made while connecting: waits for the link
    c.close();
    expect(c.state).toBe('closed');
  });
});
