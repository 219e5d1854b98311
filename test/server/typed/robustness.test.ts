// Review fixes of the typed server: user code that throws is reported, never crashes the server;
// misuse throws without corrupting state; broadcast counts are true; the typed server's timeouts
// reach the low-level sockets.
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, connectClient, rawSocket, startServer, until, type RawSocket } from './harness.js';
import { TandemError } from '../../../src/errors.js';

interface Api {
  client: { requests: { echo: { request: string; response: string }; fail: { request: undefined; response: string } } };
  server: { events: { news: { n: number } } };
}

afterEach(closeAll);

const pause = (raw: RawSocket): void => {
  (raw.ws as unknown as { _socket: Socket })._socket.pause();
};

function collectErrors(server: { on(event: 'error', listener: (error: unknown, peer: { id: string } | undefined) => void): unknown }) {
  const errors: Array<[error: unknown, peerId: string | undefined]> = [];
  server.on('error', (error, peer) => errors.push([error, peer?.id]));
  return errors;
}

describe('listeners that throw are reported, never crash the server', () => {
  it("a throwing 'connection' listener: reported with its peer, which stays open and served", async () => {
    const { server, url } = await startServer<Api>();
    const bug = new Error('connection listener bug');
    server.on('connection', () => {
      throw bug;
    });
    const errors = collectErrors(server);
    server.handle('echo', (text) => text);
    const client = await connectClient<Api>(url);
    expect(await client.request('echo', 'still here')).toBe('still here');
    const [peer] = [...server.peers.values()];
    expect(peer!.state).toBe('open');
    expect(errors).toEqual([[bug, peer!.id]]);
  });

  it("with authenticateHello: the same, and no unhandled rejection", async () => {
    const { server, url } = await startServer<Api>({ authenticateHello: async () => 'someone' });
    const bug = new Error('connection listener bug');
    server.on('connection', () => {
      throw bug;
    });
    const errors = collectErrors(server);
    server.handle('echo', (text) => text);
    const client = await connectClient<Api>(url);
    expect(await client.request('echo', 'after the check')).toBe('after the check');
    const [peer] = [...server.peers.values()];
    expect(peer!.identity).toBe('someone');
    expect(errors).toEqual([[bug, peer!.id]]);
  });

  it("a throwing 'disconnect' listener: reported with its peer; the peer is released and the server accepts again", async () => {
    const { server, url } = await startServer<Api>();
    const bug = new Error('disconnect listener bug');
    server.on('disconnect', () => {
      throw bug;
    });
    const errors = collectErrors(server);
    const raw = await rawSocket(url);
    const [peer] = [...server.peers.values()];
    raw.ws.close(1000, 'bye');
    await until(() => errors.length === 1);
    expect(errors).toEqual([[bug, peer!.id]]);
    expect(server.stats()).toMatchObject({ connections: 0, rooms: 0 });
    await rawSocket(url); // still serving
    expect(server.stats().connections).toBe(1);
  });

  it("a throwing 'error' listener is swallowed: the failing handler's caller still gets `internal`", async () => {
    const { server, url } = await startServer<Api>();
    let calls = 0;
    server.on('error', () => {
      calls += 1;
      throw new Error('error listener bug');
    });
    server.handle('fail', () => {
      throw new Error('handler bug');
    });
    server.handle('echo', (text) => text);
    const client = await connectClient<Api>(url);
    await expect(client.request('fail')).rejects.toMatchObject({ code: 'internal', message: 'internal error' });
    expect(await client.request('echo', 'alive')).toBe('alive');
    expect(calls).toBe(1);
  });
});

describe('peer.close with a code that may not be sent', () => {
  it('throws ERR_INVALID_ARGUMENT synchronously and leaves the peer open and closable', async () => {
    const { server, url } = await startServer<Api>();
    const raw = await rawSocket(url);
    const [peer] = [...server.peers.values()];
    for (const code of [1005, 1006, 1015, 999, 5000, 1000.5]) {
      let thrown: unknown;
      try {
        peer!.close(code, 'nope');
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(TandemError);
      expect(thrown).toMatchObject({ code: 'ERR_INVALID_ARGUMENT', message: `close code ${code} may not be sent` });
      expect(peer!.state).toBe('open');
    }
    peer!.close(4000, 'done');
    expect(await raw.closed).toEqual({ code: 4000, reason: 'done' });
  });
});

describe('broadcast counts', () => {
  it('count only peers written to: not those before their welcome, closing, or dropped as volatile', async () => {
    const { server, url } = await startServer<Api>({ heartbeat: false });
    const a = await rawSocket(url);
    await rawSocket(url);
    const c = await rawSocket(url);
    await rawSocket(url, null); // no hello: still in its handshake
    await until(() => server.peers.size === 4);
    const [pa, pb, pc] = [...server.peers.values()];
    pb!.close(1000, 'leaving'); // closing until the client answers
    expect(server.emit('news', { n: 1 })).toBe(2);
    expect(server.to([]).emit('news', { n: 2 })).toBe(2);
    // pc is behind: a volatile broadcast is dropped for it and not counted
    Object.defineProperty(pc, 'bufferedAmount', { get: () => 2 * 1024 * 1024 });
    expect(server.volatile.emit('news', { n: 3 })).toBe(1);
    expect(server.stats().dropped).toBe(1);
    expect(await a.next()).toMatchObject({ name: 'news', payload: { n: 1 } });
    expect(await a.next()).toMatchObject({ name: 'news', payload: { n: 2 } });
    expect(await a.next()).toMatchObject({ name: 'news', payload: { n: 3 } });
    expect(await c.next()).toMatchObject({ name: 'news', payload: { n: 1 } });
    expect(await c.next()).toMatchObject({ name: 'news', payload: { n: 2 } });
    expect(pa!.state).toBe('open');
  });
});

describe('the typed server sets the low-level timeouts', () => {
  it('closeTimeout: a peer that never answers our close frame is dropped after closeTimeout, not 30 s', async () => {
    const { server, url } = await startServer<Api>({ closeTimeout: 100, heartbeat: false });
    const raw = await rawSocket(url);
    pause(raw); // it will never read our close frame, so never answers it
    const [peer] = [...server.peers.values()];
    const disconnected = new Promise<[string, number]>((resolve) => server.once('disconnect', (_peer, reason, code) => resolve([reason, code])));
    peer!.close(1000, 'bye');
    expect(await disconnected).toEqual(['bye', 1006]);
  }, 4_000); // bounded well below the low-level 30 s default

  it('handshakeTimeout: a TCP connection that sends no upgrade is dropped after handshakeTimeout, not 10 s', async () => {
    const { port } = await startServer<Api>({ handshakeTimeout: 100 });
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('error', () => {});
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    expect(received).toBe('');
  }, 4_000); // bounded well below the low-level 10 s default
});
