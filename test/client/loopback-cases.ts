/**
 * The typed client's behaviour against real servers over loopback, every case run against the
 * ws-based stand-in (an RFC 6455 stack independent of ours) and Tandem's own createServer, and
 * defined once for every transport the client can use: the browser's WebSocket (jsdom) and,
 * under Node, Tandem's own (client/node). Any difference between runs is a difference in the
 * servers or the transports.
 */
import { expect, it, describe, afterEach } from 'vitest';
import { WebSocket as WsWebSocket } from 'ws';
import { RequestError } from '../../client/index.js';
import type { ClientOptions, CloseInfo, StandardSchemaV1, TandemClient } from '../../client/index.js';
import { wsStandIn } from '../helpers/loopback-server.js';
import type { LoopbackServer, LoopbackServerOptions, ServerFactory } from '../helpers/loopback-server.js';
import { tandemServer } from '../helpers/tandem-loopback-server.js';
import { sleep, until } from '../helpers/wait.js';

export type Contract = {
  client: {
    events: { say: { text: string }; blob: { bytes: Uint8Array } };
    requests: {
      add: { request: [number, number]; response: number };
      find: { request: string; response: string };
      crash: { request: undefined; response: void };
    };
  };
  server: {
    events: { news: { headline: string }; blob: { bytes: Uint8Array } };
    requests: { confirm: { request: string; response: boolean } };
  };
};

/** A hand-written Standard Schema v1 validator (no schema library needed). */
function schema<T>(check: (value: unknown) => boolean, message: string): StandardSchemaV1<unknown, T> {
  return { '~standard': { version: 1, vendor: 'test', validate: (value) => (check(value) ? { value: value as T } : { issues: [{ message }] }) } };
}
const pair = schema<[number, number]>((v) => Array.isArray(v) && v.length === 2 && v.every((n) => typeof n === 'number'), 'expected two numbers');
const text = schema<string>((v) => typeof v === 'string', 'expected a string');

const servers: LoopbackServer[] = [];
const clients: Array<TandemClient<Contract>> = [];
afterEach(async () => {
  for (const c of clients.splice(0)) if (c.state !== 'closed') c.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const opened = (c: TandemClient<Contract>) => until(() => c.state === 'open');

/** How a case file creates clients: `tandem/client`'s createClient for its environment. */
export type CreateClient = (url: string, options: ClientOptions<Contract>) => TandemClient<Contract>;
let createClient: CreateClient;

function client(url: string, options: ClientOptions<Contract> = {}) {
  const c = createClient(url, { reconnect: { minDelay: 20, maxDelay: 40 }, ...options });
  clients.push(c);
  const closes: CloseInfo[] = [];
  const errors: unknown[] = [];
  c.lifecycle.on('close', (info) => closes.push(info));
  c.lifecycle.on('error', (e) => errors.push(e));
  return { c, closes, errors };
}

/** Defines every case for the transport `transport` names, with clients made by `create`. */
export function loopbackCases(transport: string, create: CreateClient): void {
  createClient = create;
  describe.each([wsStandIn, tandemServer])(`client ⇄ $name over loopback (${transport})`, (factory: ServerFactory) => {
    async function server(options: Partial<LoopbackServerOptions> = {}): Promise<LoopbackServer> {
      const s = await factory.start({
        recordEvents: ['say', 'blob'],
        schemas: { client: { requests: { add: { request: pair } } } },
        handlers: {
          add: (p) => (p as number[])[0]! + (p as number[])[1]!,
          find: (p) => {
            throw new RequestError('not_found', `no ${String(p)}`, { query: p });
          },
          crash: () => {
            throw new Error('a bug in the handler');
          },
        },
        ...options,
      });
      servers.push(s);
      return s;
    }

    /** Forgets `s` (closed by the test itself) so afterEach does not close it twice. */
    function forget(s: LoopbackServer): void {
      servers.splice(servers.indexOf(s), 1);
    }

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
      expect(s.events[1]!.name).toBe('blob');
      expect([...(s.events[1]!.payload as { bytes: Uint8Array }).bytes]).toEqual([0, 1, 254, 255]);
      const peer = await s.peer(0);
      peer.emit('news', { headline: 'tandem ships' });
      peer.emit('blob', { bytes: new Uint8Array([7, 7]) });
      await until(() => blobs.length === 1);
      expect(news).toEqual([{ headline: 'tandem ships' }]);
      expect([...blobs[0]!]).toEqual([7, 7]);
    });

    it('client → server requests: a response, a handler RequestError, unknown_method, invalid_payload, internal', async () => {
      const s = await server();
      const { c } = client(s.url);
      expect(await c.request('add', [2, 3])).toBe(5);
      await expect(c.request('find', 'room-9')).rejects.toMatchObject({ name: 'RequestError', code: 'not_found', message: 'no room-9', details: { query: 'room-9' } });
      await expect((c as unknown as TandemClient).request('missing' as never)).rejects.toMatchObject({ name: 'RequestError', code: 'unknown_method' });
      await expect(c.request('add', ['2', 3] as never)).rejects.toMatchObject({
        name: 'RequestError',
        code: 'invalid_payload',
        message: 'invalid payload for "add": expected two numbers',
        details: [{ message: 'expected two numbers' }],
      });
      // The handler's own Error stays on the server: the client only learns "internal".
      await expect(c.request('crash')).rejects.toMatchObject({ name: 'RequestError', code: 'internal', message: 'internal error' });
      expect(await c.request('add', [40, 2])).toBe(42); // the link survived every error
    });

    it('server → client requests: a response, a handler RequestError, unknown_method, invalid_payload, internal', async () => {
      const s = await server();
      const { c } = client(s.url, { schemas: { server: { requests: { confirm: { request: text } } } } });
      c.handle('confirm', (question) => {
        if (question === 'explode?') throw new RequestError('refused', 'never');
        if (question === 'crash?') throw new Error('a bug in the client handler');
        return question === 'ok?';
      });
      await opened(c);
      const peer = await s.peer(0);
      expect(await peer.request('confirm', 'ok?')).toBe(true);
      await expect(peer.request('confirm', 'explode?')).rejects.toMatchObject({ name: 'RequestError', code: 'refused', message: 'never' });
      await expect(peer.request('nothing')).rejects.toMatchObject({ name: 'RequestError', code: 'unknown_method' });
      await expect(peer.request('confirm', 42)).rejects.toMatchObject({
        name: 'RequestError',
        code: 'invalid_payload',
        message: 'invalid payload for "confirm": expected a string',
      });
      await expect(peer.request('confirm', 'crash?')).rejects.toMatchObject({ name: 'RequestError', code: 'internal', message: 'internal error' });
      expect(await peer.request('confirm', 'no?')).toBe(false);
    });

    it('sends auth in the hello; a fatal 4401 closes for good, no reconnect', async () => {
      const s = await server({ authorize: (auth) => auth === 'good' });
      const ok = client(s.url, { auth: async () => 'good' });
      await opened(ok.c);
      expect((await s.peer(0)).auth).toBe('good');
      const bad = client(s.url, { auth: 'bad' });
      await until(() => bad.c.state === 'closed');
      expect(bad.closes).toEqual([{ code: 4401, reason: 'unauthorized', willReconnect: false, resuming: false }]);
      await sleep(150); // several backoff periods (20-40 ms): a reconnect would show here
      expect(bad.closes).toHaveLength(1);
      expect(s.connections).toBe(1);
    });

    it('reconnects after the server drops the TCP connection; the offline queue is flushed in order, before later sends', async () => {
      const s = await server();
      // The v1 reconnect path (a resumed blip is covered by test/integration/resume-*.test.ts).
      const { c, closes } = client(s.url, { resume: false });
      await opened(c);
      (await s.peer(0)).drop();
      await until(() => c.state === 'reconnecting');
      c.emit('say', { text: 'one' });
      c.emit('say', { text: 'two' });
      const sum = c.request('add', [1, 2]);
      c.emit('say', { text: 'three' });
      c.lifecycle.once('open', () => c.emit('say', { text: 'after open' }));
      await until(() => s.connections === 2 && c.state === 'open');
      expect(await sum).toBe(3);
      await until(() => s.events.length === 4);
      expect(s.events.map((e) => (e.payload as { text: string }).text)).toEqual(['one', 'two', 'three', 'after open']);
      expect(closes[0]).toEqual({ code: 1006, reason: '', willReconnect: true, resuming: false, retryDelay: expect.any(Number) });
    });

    it('reconnects after the server restarts on the same port', async () => {
      const first = await server();
      const { c } = client(first.url);
      await opened(c);
      forget(first);
      await first.close();
      await until(() => c.state === 'reconnecting');
      const second = await server({ port: first.port });
      await second.peer(0);
      await opened(c);
      expect(await c.request('add', [20, 22])).toBe(42);
    });

    it('a 1012 restart hint: the retry is spread over the restart window (fixed random), then it reconnects', async () => {
      const first = await server();
      // random 0.5 → minDelay + 0.5 × (restartWindow − minDelay) = 20 + 0.5 × 180 = 110 ms
      const { c, closes } = client(first.url, { reconnect: { minDelay: 20, maxDelay: 40, restartWindow: 200 }, random: () => 0.5, resume: false });
      await opened(c);
      forget(first);
      await first.restart();
      await until(() => closes.length === 1);
      expect(closes[0]).toEqual({ code: 1012, reason: 'server restarting', willReconnect: true, resuming: false, retryDelay: 110 });
      const second = await server({ port: first.port });
      await second.peer(0);
      await opened(c);
      expect(await c.request('add', [1, 1])).toBe(2);
    });

    it('heartbeat detects a server that stops reading (paused socket): closes 4000 and reconnects', async () => {
      const s = await server();
      // A timeout well above the interval, so a busy CI machine's late timers do not look like a dead link.
      const { c, closes } = client(s.url, { heartbeat: { interval: 50, timeout: 150 }, resume: false });
      await opened(c);
      await sleep(300); // healthy: pings are answered
      expect(c.state).toBe('open');
      (await s.peer(0)).pause();
      await until(() => closes.length > 0);
      expect(closes[0]).toEqual({ code: 4000, reason: 'heartbeat timeout', willReconnect: true, resuming: false, retryDelay: expect.any(Number) });
      await until(() => s.connections === 2 && c.state === 'open');
    });

    it('does not reconnect after close()', async () => {
      const s = await server();
      const { c, closes } = client(s.url);
      await opened(c);
      const peer = await s.peer(0);
      c.close(1000, 'done');
      expect(await peer.closed).toBe(1000);
      await sleep(150);
      expect(s.connections).toBe(1);
      expect(c.state).toBe('closed');
      expect(closes).toEqual([{ code: 1000, reason: 'done', willReconnect: false, resuming: false }]);
    });

    // Tandem's typed server never sends a bad envelope: startRaw gives Tandem's low-level
    // WebSocketServer (the same RFC 6455 stack) sending the bytes verbatim.
    it.each([
      ['bad JSON', 1007, 4007, 'this is not json'],
      ['an unknown version', 1003, 4003, '{"v":2,"type":"event","name":"news"}'],
      ['a response without id', 1008, 4008, '{"v":1,"type":"response"}'],
      ['a broken binary frame', 1007, 4007, new Uint8Array([1, 0, 0, 0, 50])],
    ])('malformed envelope from the server (%s): ProtocolError %i, the client closes %i and reconnects', async (_name, closeCode, sent, data) => {
      const s = await factory.startRaw();
      servers.push(s);
      const { c, errors } = client(s.url);
      await opened(c);
      const peer = await s.peer(0);
      peer.sendRaw!(data);
      expect(await peer.closed).toBe(sent);
      expect(errors[0]).toMatchObject({ name: 'ProtocolError', closeCode });
      await until(() => s.connections === 2 && c.state === 'open');
    });

    it('works with ws as the injected WebSocket constructor: connects, requests, closes', async () => {
      const s = await server();
      const { c } = client(s.url, { WebSocket: WsWebSocket, network: null });
      expect(await c.request('add', [1, 1])).toBe(2); // made while connecting: waits for the link
      const peer = await s.peer(0);
      c.close();
      expect(c.state).toBe('closed');
      expect(await peer.closed).toBe(1000);
    });
  });
}
