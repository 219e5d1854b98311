import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, connectClient, startServer, until } from './harness.js';
import { RequestError } from '../../../src/requests.js';

interface Chat {
  client: {
    events: { say: { text: string } };
    requests: {
      add: { request: { a: number; b: number }; response: number };
      fail: { request: { how: 'typed' | 'crash' }; response: never };
    };
  };
  server: {
    events: { said: { from: string; text: string }; hello: string };
    requests: { whoAreYou: { request: undefined; response: string } };
  };
}

afterEach(closeAll);

describe('typed server: events and requests both ways', () => {
  it('connection, peer.on / peer.emit, server.handle, peer.request', async () => {
    const { server, url } = await startServer<Chat>();
    const seen: string[] = [];
    server.on('connection', (peer) => {
      peer.on('say', ({ text }) => {
        peer.emit('hello', `id of ${peer.id.length} chars`);
        seen.push(text);
        peer.emit('said', { from: 'server', text: text.toUpperCase() });
      });
    });
    server.handle('add', ({ a, b }) => a + b);
    const client = await connectClient<Chat>(url);
    client.handle('whoAreYou', () => 'client-1');
    const hello = new Promise((resolve) => client.on('hello', resolve));
    const said = new Promise((resolve) => client.on('said', resolve));
    client.emit('say', { text: 'hi' });
    expect(await hello).toBe('id of 36 chars');
    expect(await said).toEqual({ from: 'server', text: 'HI' });
    expect(seen).toEqual(['hi']);
    expect(await client.request('add', { a: 2, b: 3 })).toBe(5);
    const [peer] = [...server.peers.values()];
    expect(await peer!.request('whoAreYou')).toBe('client-1');
    expect(server.stats().connections).toBe(1);
  });

  it('a thrown RequestError is typed; any other throw is `internal` and reported', async () => {
    const { server, url } = await startServer<Chat>();
    const reported: unknown[] = [];
    server.on('error', (err) => reported.push(err));
    server.handle('fail', ({ how }) => {
      if (how === 'typed') throw new RequestError('nope', 'typed refusal', { field: 'how' });
      throw new Error('handler bug');
    });
    const client = await connectClient<Chat>(url);
    await expect(client.request('fail', { how: 'typed' })).rejects.toMatchObject({ code: 'nope', message: 'typed refusal', details: { field: 'how' } });
    await expect(client.request('fail', { how: 'crash' })).rejects.toMatchObject({ code: 'internal', message: 'internal error' });
    expect(reported).toHaveLength(1);
    expect((reported[0] as Error).message).toBe('handler bug');
    // the server survived and still answers
    server.handle('add', ({ a, b }) => a + b);
    expect(await client.request('add', { a: 1, b: 1 })).toBe(2);
  });

  it('unknown method → unknown_method error envelope', async () => {
    const { url } = await startServer<Chat>();
    const client = await connectClient<Chat>(url);
    await expect(client.request('add', { a: 1, b: 2 })).rejects.toMatchObject({ code: 'unknown_method' });
  });

  it('disconnect: peer and server events with the close reason, rooms left', async () => {
    const { server, url } = await startServer<Chat>();
    const events: string[] = [];
    server.on('connection', (peer) => {
      peer.join(['a', 'b']);
      peer.lifecycle.on('disconnect', (reason, code) => events.push(`peer ${code} ${reason}`));
    });
    server.on('disconnect', (_peer, reason, code) => events.push(`server ${code} ${reason}`));
    const client = await connectClient<Chat>(url);
    await until(() => server.stats().rooms === 2);
    client.close(1000, 'bye');
    await until(() => events.length === 2);
    expect(events).toEqual(['server 1000 bye', 'peer 1000 bye']);
    expect(server.stats()).toMatchObject({ connections: 0, rooms: 0 });
  });
});
