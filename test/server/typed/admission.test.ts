import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { AuthenticationError, parseCookies } from '../../../server/typed/auth.js';
import { Admission } from '../../../server/typed/admission.js';
import { closeAll, connectClient, rawSocket, startServer, until } from './harness.js';

afterEach(closeAll);

/** The HTTP status a raw upgrade gets (a refusal is a plain HTTP response, before any 101). */
function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('open', () => {
      resolve(101);
      ws.close();
    });
    ws.once('error', (err) => reject(err));
  });
}

describe('admission before the 101', () => {
  it('authenticate sees headers, cookies, query and address; its identity is peer.identity', async () => {
    const seen: unknown[] = [];
    const { server, url } = await startServer<object, { user: string }>({
      authenticate: (req) => {
        seen.push({ cookie: req.cookies['sid'], token: req.query.get('token'), header: req.headers['x-app'], address: req.remoteAddress });
        if (req.query.get('token') === 'good') return { user: 'ada' };
        if (req.query.get('token') === 'banned') throw new AuthenticationError(403);
        throw new AuthenticationError(401, 'no token');
      },
    });
    const identities: unknown[] = [];
    server.on('connection', (peer) => identities.push(peer.identity));
    expect(await upgradeStatus(`${url}/?token=none`)).toBe(401);
    expect(await upgradeStatus(`${url}/?token=banned`)).toBe(403);
    await connectClient(`${url}/?token=good`, { WebSocket: class extends WebSocket {
      constructor(address: string) {
        super(address, { headers: { cookie: 'sid=s%201; other=x', 'x-app': 'tests' } });
      }
    } as never });
    await until(() => identities.length === 1);
    expect(identities).toEqual([{ user: 'ada' }]);
    expect(seen[2]).toEqual({ cookie: 's 1', token: 'good', header: 'tests', address: '127.0.0.1' });
    expect(server.stats().refused).toEqual({ 401: 1, 403: 1 });
  });

  it('an authenticate hook that crashes refuses with 500 and is reported, the server keeps going', async () => {
    const errors: unknown[] = [];
    const { server, url } = await startServer({
      authenticate: () => {
        throw new Error('db down');
      },
    });
    server.on('error', (err) => errors.push(err));
    expect(await upgradeStatus(url)).toBe(500);
    expect((errors[0] as Error).message).toBe('db down');
  });

  it('origins allow-list → 403 for others', async () => {
    const { url } = await startServer({ origins: ['https://app.example'] });
    expect(await upgradeStatus(url, { origin: 'https://evil.example' })).toBe(403);
    expect(await upgradeStatus(url, { origin: 'https://app.example' })).toBe(101);
  });

  it('maxConnections → 503 before the handshake; a slot frees when a peer leaves', async () => {
    const { server, url } = await startServer({ maxConnections: 2 });
    const a = await connectClient(url);
    await connectClient(url);
    expect(await upgradeStatus(url)).toBe(503);
    a.close();
    await until(() => server.stats().connections === 1);
    expect(await upgradeStatus(url)).toBe(101);
    expect(server.stats().refused).toEqual({ 503: 1 });
  });

  it('a plain HTTP request to the listening port is not an upgrade', async () => {
    const { port } = await startServer();
    const status = await new Promise<number>((resolve, reject) => {
      httpRequest({ host: '127.0.0.1', port, path: '/' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject).end();
    });
    expect(status).toBe(426);
  });
});

describe('authenticateHello: the hello auth, checked before the welcome', () => {
  it('resolves the identity; messages sent meanwhile are held and reach the connection listeners in order', async () => {
    const { server, url } = await startServer<{ client: { events: { note: number } } }, { user: string }>({
      authenticateHello: async (auth) => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        return { user: (auth as { token: string }).token.toUpperCase() };
      },
    });
    const notes: number[] = [];
    const identities: unknown[] = [];
    server.on('connection', (peer) => {
      identities.push(peer.identity);
      peer.on('note', (n) => notes.push(n));
    });
    const raw = await rawSocket(url, null);
    raw.send({ v: 1, type: 'hello', auth: { token: 'ada' } });
    for (let n = 1; n <= 3; n += 1) raw.send({ v: 1, type: 'event', name: 'note', payload: n }); // eager: before the welcome
    expect(await raw.next()).toEqual({ v: 1, type: 'welcome' });
    await until(() => notes.length === 3);
    expect(identities).toEqual([{ user: 'ADA' }]);
    expect(notes).toEqual([1, 2, 3]);
  });

  it('AuthenticationError → 4401 / 4403 before the welcome; the project client does not reconnect', async () => {
    const { server, url } = await startServer({
      authenticateHello: (auth) => {
        if (auth === 'banned') throw new AuthenticationError(403, 'banned');
        throw new AuthenticationError(401, 'bad token');
      },
    });
    let connections = 0;
    server.on('connection', () => (connections += 1));
    const raw = await rawSocket(url, null);
    raw.send({ v: 1, type: 'hello', auth: 'banned' });
    expect(await raw.closed).toEqual({ code: 4403, reason: 'banned' });
    await expect(connectClient(url, { auth: 'nope', reconnect: { minDelay: 10 } })).rejects.toThrow('closed 4401 bad token');
    expect(connections).toBe(0);
  });
});

describe('what admission keeps', () => {
  function gate() {
    return new Admission<string>({
      authenticate: () => 'ada',
      maxConnections: 10,
      connections: () => 0,
      accepting: () => true,
      report: () => {},
    });
  }
  const fakeRequest = () => {
    const socket = new EventEmitter();
    return { req: { url: '/', headers: {}, socket } as unknown as IncomingMessage, socket };
  };

  it('take() hands the identity over once and removes its listener from the socket (no request kept alive)', async () => {
    const admission = gate();
    const { req, socket } = fakeRequest();
    expect(await admission.verify(req)).toBe(true);
    expect(socket.listenerCount('close')).toBe(1);
    expect(admission.take(req)).toBe('ada');
    expect(socket.listenerCount('close')).toBe(0);
    expect(admission.take(req)).toBeUndefined();
  });

  it('answers synchronously without authenticate (the handshake needs no promise), with a promise with it', async () => {
    const open = new Admission<string>({ maxConnections: 1, connections: () => 0, accepting: () => true, report: () => {} });
    const first = fakeRequest();
    expect(open.verify(first.req)).toBe(true);
    // The admitted request counts towards maxConnections until it is taken.
    expect(open.verify(fakeRequest().req)).toEqual({ status: 503, reason: 'Too many connections', headers: { 'retry-after': '5' } });
    expect(open.take(first.req)).toBeUndefined();
    const pending = gate().verify(fakeRequest().req);
    expect(pending).toBeInstanceOf(Promise);
    expect(await pending).toBe(true);
  });

  it('a handshake that fails after the check is forgotten when its socket closes', async () => {
    const admission = gate();
    const { req, socket } = fakeRequest();
    expect(await admission.verify(req)).toBe(true);
    socket.emit('close');
    expect(socket.listenerCount('close')).toBe(0);
    expect(admission.take(req)).toBeUndefined();
  });

  it('peer.handshake holds the documented url, headers and remoteAddress, not the request', async () => {
    const { server, url } = await startServer();
    await rawSocket(`${url}/room?x=1`);
    const [peer] = [...server.peers.values()];
    expect(Object.keys(peer!.handshake)).toEqual(['url', 'headers', 'remoteAddress']);
    expect(peer!.handshake).toMatchObject({ url: '/room?x=1', remoteAddress: '127.0.0.1' });
    expect(peer!.handshake.headers['upgrade']).toBe('websocket');
  });
});

describe('parseCookies', () => {
  it('names that exist on Object.prototype are ordinary cookies; absent ones read undefined', () => {
    const cookies = parseCookies('constructor=a; __proto__=b; toString=c; sid=%7Bx%7D');
    expect(Object.getPrototypeOf(cookies)).toBeNull();
    expect(Object.keys(cookies)).toEqual(['constructor', '__proto__', 'toString', 'sid']);
    expect([cookies['constructor'], cookies['__proto__'], cookies['toString'], cookies['sid']]).toEqual(['a', 'b', 'c', '{x}']);
    const none = parseCookies(undefined);
    expect([none['constructor'], none['hasOwnProperty'], Object.keys(none).length]).toEqual([undefined, undefined, 0]);
  });
});
