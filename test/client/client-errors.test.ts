/**
 * Clear errors at the client: a URL or option that cannot work throws at once (a TypeError with a
 * code naming it); a failed connection attempt says why where the platform lets it see that;
 * `error` events are always Errors.
 */
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { WebSocket as WsWebSocket } from 'ws';
import { createClient, ConnectionError } from '../../client/index.js';
import type { TandemClient, WebSocketConstructor } from '../../client/index.js';
import { WebSocketServer } from '../../server/index.js';
import { FakeWebSocket } from './fake-websocket.js';

type Contract = { client: { events: { say: { text: string } } }; server: { events: { news: string } } };

const clients: TandemClient<Contract>[] = [];
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of clients.splice(0)) if (c.state !== 'closed') c.close();
  for (const close of closers.splice(0)) await close();
  FakeWebSocket.reset();
});

function start(url: Parameters<typeof createClient>[0], options: Parameters<typeof createClient<Contract>>[1] = {}) {
  const client = createClient<Contract>(url, { WebSocket: FakeWebSocket, network: null, ...options });
  clients.push(client);
  const errors: Error[] = [];
  const closes: { code: number; reason: string }[] = [];
  const closeErrors: unknown[] = [];
  client.lifecycle.on('error', (e) => errors.push(e));
  client.lifecycle.on('close', ({ code, reason, error }) => (closes.push({ code, reason }), closeErrors.push(error)));
  return { client, errors, closes, closeErrors };
}

const firstError = (errors: Error[]) => expect.poll(() => errors[0], { timeout: 5000 }).toBeDefined();

describe('createClient rejects a URL that cannot be a WebSocket URL, at once', () => {
  it.each([
    ['127.0.0.1:9301', /invalid URL "127\.0\.0\.1:9301"/],
    ['localhost:9301', /scheme "localhost:"; use ws:\/\/ or wss:\/\//],
    ['http://example.com/ws', /scheme "http:"/],
    ['not a url', /invalid URL/],
    ['', /invalid URL/],
  ])('%j', (url, message) => {
    expect(() => createClient(url, { WebSocket: FakeWebSocket, network: null })).toThrow(
      expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_URL', message: expect.stringMatching(message) }),
    );
    expect(FakeWebSocket.instances).toHaveLength(0);
  });

  it('accepts ws:, wss: and URL objects', () => {
    start('ws://127.0.0.1:9301/chat');
    start(new URL('wss://example.com/ws'));
    expect(FakeWebSocket.instances).toHaveLength(0); // the socket comes after the url/auth step
  });

  it('a url() function returning a bad URL fails that attempt with ERR_INVALID_URL (reported)', async () => {
    const { errors, closes, closeErrors } = start(() => 'http://example.com/');
    await firstError(errors);
    expect(errors[0]).toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_URL' });
    expect(closes[0]).toEqual({ code: 1006, reason: 'invalid url' });
    expect(closeErrors[0]).toBe(errors[0]);
  });
});

describe('createClient validates every option, naming it', () => {
  it.each([
    [{ requestTimeout: 'soon' }, 'requestTimeout must be a positive number of milliseconds, got "soon"'],
    [{ reconnect: { maxRetries: -1 } }, 'reconnect.maxRetries must be an integer ≥ 0 or Infinity, got -1'],
    [{ reconnect: { minDelay: 1000, maxDelay: 10 } }, 'reconnect.maxDelay must be ≥ reconnect.minDelay (1000), got 10'],
    [{ reconnect: { factor: 0.5 } }, 'reconnect.factor must be a number ≥ 1, got 0.5'],
    [{ heartbeat: { interval: 0 } }, 'heartbeat.interval must be a positive number of milliseconds, got 0'],
    [{ heartbeat: true }, 'heartbeat must be false or an object, got true'],
    [{ connectTimeout: Infinity }, 'connectTimeout must be a positive number of milliseconds, got Infinity'],
    [{ maxQueued: 1.5 }, 'maxQueued must be an integer ≥ 0, got 1.5'],
    [{ codec: {} }, 'codec must be an object with encode, decode, got an object'],
    [{ protocols: 7 }, 'protocols must be a string or an array of strings, got 7'],
    [{ WebSocket: 'ws' }, 'WebSocket must be a function, got "ws"'],
  ])('%j', (options, message) => {
    expect(() => createClient('ws://test/', { network: null, ...(options as object) })).toThrow(
      expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARGUMENT', message: `createClient: ${message}` }),
    );
  });

  it('options that are not an object', () => {
    expect(() => createClient('ws://test/', null as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', message: 'createClient: options must be an object, got null' }));
  });
});

describe('errors carry a code', () => {
  it('close(1001) and an over-long reason: TypeError with ERR_INVALID_ARGUMENT', () => {
    const { client } = start('ws://test/');
    expect(() => client.close(1001)).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARGUMENT' }));
    expect(() => client.close(1000, 'x'.repeat(124))).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARGUMENT' }));
  });

  it('the lifecycle error event is typed as an Error, and a thrown non-Error arrives wrapped', async () => {
    expectTypeOf<Parameters<Parameters<TandemClient<Contract>['lifecycle']['on']>[1]>>().not.toBeAny();
    const { client, errors } = start('ws://test/');
    client.lifecycle.on('error', (error) => expectTypeOf(error).toMatchTypeOf<Error>());
    client.on('news', () => {
      throw 'a string'; // eslint-disable-line no-throw-literal
    });
    await expect.poll(() => FakeWebSocket.instances.length).toBe(1);
    FakeWebSocket.last.accept();
    FakeWebSocket.last.message('{"v":1,"type":"event","name":"news","payload":"x"}');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(Error);
    expect(errors[0]).toMatchObject({ code: 'ERR_NON_ERROR_THROWN', cause: 'a string' });
  });
});

describe('a failed connection attempt says why (Node transport: ws)', () => {
  const WebSocket = WsWebSocket as unknown as WebSocketConstructor;

  it('nothing listening: ECONNREFUSED, in the error (on error and in the close info); the close reason stays the wire\'s', async () => {
    const blocker = createNetServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    await new Promise((resolve) => blocker.close(resolve)); // the port is now (almost surely) free
    const { errors, closes, closeErrors } = start(`ws://127.0.0.1:${port}/`, { WebSocket, reconnect: false });
    await firstError(errors);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(ConnectionError);
    expect(errors[0]).toMatchObject({ code: 'ERR_CONNECTION_FAILED', closeCode: 1006, url: `ws://127.0.0.1:${port}/` });
    expect(errors[0]!.message).toMatch(/ECONNREFUSED/);
    expect(closes).toEqual([{ code: 1006, reason: '' }]); // no close frame: the cause is in `error`, not in the reason
    expect(closeErrors).toEqual([errors[0]]);
    expect(closeErrors[0]).toBe(errors[0]);
  });

  it('a refused upgrade (400 for a wrong path): the HTTP status', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', path: '/chat' });
    closers.push(() => new Promise((resolve) => wss.close(() => resolve())));
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    const { port } = wss.address() as { port: number };
    const { errors } = start(`ws://127.0.0.1:${port}/wrong`, { WebSocket, reconnect: false });
    await firstError(errors);
    expect(errors[0]).toMatchObject({ code: 'ERR_CONNECTION_FAILED', status: 400 });
  });

  it('a server that never answers the upgrade: the connect timeout, named', async () => {
    const sockets: Socket[] = [];
    const silent: NetServer = createNetServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    closers.push(async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });
    const { port } = silent.address() as { port: number };
    const { errors, closes, closeErrors } = start(`ws://127.0.0.1:${port}/`, { WebSocket, reconnect: false, connectTimeout: 200 });
    await firstError(errors);
    expect(errors[0]).toMatchObject({ code: 'ERR_CONNECTION_FAILED', message: `connection to ws://127.0.0.1:${port}/ failed: no welcome within 200 ms (connectTimeout)` });
    expect(closes).toEqual([{ code: 1006, reason: 'connect timeout' }]);
    expect(closeErrors).toHaveLength(1);
    expect(closeErrors[0]).toBe(errors[0]);
  });

  it('a browser-like socket whose error event has no detail: the close code, and that the platform says no more', async () => {
    const { errors, closes, closeErrors } = start('ws://test/', { reconnect: false });
    await expect.poll(() => FakeWebSocket.instances.length).toBe(1);
    FakeWebSocket.last.serverClose();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'ERR_CONNECTION_FAILED', closeCode: 1006, status: undefined });
    expect(closes).toEqual([{ code: 1006, reason: '' }]);
    expect(closeErrors[0]).toBe(errors[0]);
    expect(errors[0]!.message).toMatch(/^connection to ws:\/\/test\/ failed: closed with 1006 before opening \(the platform gives no detail/);
  });
});
