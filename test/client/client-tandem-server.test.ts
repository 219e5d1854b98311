// @vitest-environment jsdom
/**
 * The browser client against Tandem's OWN server (createServer over Tandem's RFC 6455 engine),
 * one contract type shared by both ends, over loopback.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RequestError, createClient } from '../../client/index.js';
import type { TandemClient } from '../../client/index.js';
import { createServer } from '../../server/index.js';
import type { TandemServer } from '../../server/index.js';

type Chat = {
  client: { events: { say: { text: string } }; requests: { add: { request: [number, number]; response: number }; fail: { request: string } } };
  server: { events: { said: { text: string } }; requests: { confirm: { request: string; response: boolean } } };
};

let server: TandemServer<Chat> | undefined;
let client: TandemClient<Chat> | undefined;
afterEach(async () => {
  client?.close();
  await server?.close({ timeout: 200 });
  server = client = undefined;
});

const listening = (s: TandemServer<Chat>) => new Promise<void>((resolve) => s.once('listening', () => resolve()));

describe('client ⇄ Tandem server (one contract)', () => {
  it('events and requests both ways, errors included, then a clean close', async () => {
    server = createServer<Chat>({ port: 0, host: '127.0.0.1' });
    await listening(server);
    server.handle('add', ([a, b]) => a + b);
    server.handle('fail', (what) => {
      throw new RequestError('not_found', `no ${what}`);
    });
    const said: string[] = [];
    const confirmed: boolean[] = [];
    server.on('connection', (peer) => {
      peer.on('say', ({ text }) => {
        peer.emit('said', { text: text.toUpperCase() });
        void peer.request('confirm', text).then((ok) => confirmed.push(ok));
      });
    });
    const { port } = server.address() as { port: number };
    client = createClient<Chat>(`ws://127.0.0.1:${port}`, { reconnect: { minDelay: 20, maxDelay: 40 } });
    client.handle('confirm', (text) => text === 'hi');
    client.on('said', ({ text }) => said.push(text));
    expect(await client.request('add', [40, 2])).toBe(42);
    await expect(client.request('fail', 'room')).rejects.toMatchObject({ name: 'RequestError', code: 'not_found', message: 'no room' });
    client.emit('say', { text: 'hi' });
    const deadline = Date.now() + 3000;
    while ((said.length === 0 || confirmed.length === 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(said).toEqual(['HI']);
    expect(confirmed).toEqual([true]);
  });
});
