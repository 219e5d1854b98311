// The demo in HTTPS + HTTP/2 mode (`npm run start:h2`, on the built dist/), driven by the Node
// client twice: once over HTTP/2 (extended CONNECT) and once over HTTP/1.1 on the same port. The
// server tells each page how its WebSocket arrived, and both chat in one room.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type TandemClient } from '../../client/node/index.js';
import { WebSocket } from '../../client/node/websocket.js';
import type { WebSocketConstructor } from '../../client/transport.js';
import type { ChatContract, ChatMessage } from '../../demo/contract.js';
import { DemoProcess, freePort } from '../e2e/demo-process.js';

const clients: TandemClient<ChatContract>[] = [];

/** The demo's certificate is made at its start: this test trusts it without knowing it. */
function transportFor(http2: boolean): WebSocketConstructor {
  return class extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols, { rejectUnauthorized: false, http2 });
    }
  } as unknown as WebSocketConstructor;
}

async function join(url: string, name: string, http2: boolean): Promise<{ client: TandemClient<ChatContract>; protocol: Promise<string> }> {
  const client = createClient<ChatContract>(url, { WebSocket: transportFor(http2), network: null, reconnect: false, auth: { name, room: 'h2' } });
  clients.push(client);
  // Registered before the welcome: the server says it right after.
  const protocol = new Promise<string>((resolve) => client.on('transport', ({ protocol }) => resolve(protocol)));
  await new Promise<void>((resolve, reject) => {
    client.lifecycle.once('open', () => resolve());
    client.lifecycle.once('close', (info) => reject(new Error(`closed ${info.code} ${info.reason}`)));
  });
  return { client, protocol };
}

describe('demo server in HTTP/2 mode (built)', () => {
  let demo: DemoProcess;
  let url: string;

  beforeAll(async () => {
    demo = new DemoProcess(await freePort(), { args: ['--h2'] });
    await demo.start();
    url = `wss://127.0.0.1:${demo.port}/chat`;
  });

  afterAll(async () => {
    for (const client of clients) if (client.state !== 'closed') client.close();
    await demo?.kill();
  });

  it('announces itself as HTTPS with HTTP/2 and a self-signed certificate', () => {
    expect(demo.output).toMatch(/^Tandem demo on https:\/\/localhost:\d+ \(HTTP\/2, self-signed certificate; WebSockets over HTTP\/2 on\)$/m);
  });

  it('a WebSocket over HTTP/2 and one over HTTP/1.1 on the same port: each is told which, and they chat', async () => {
    const ada = await join(url, 'ada', true);
    const bob = await join(url, 'bob', false);
    expect([await ada.protocol, await bob.protocol]).toEqual(['HTTP/2', 'HTTP/1.1']);
    const got = new Promise<ChatMessage>((resolve) => bob.client.on('message', resolve));
    ada.client.emit('say', { text: 'over an HTTP/2 stream' });
    expect(await got).toMatchObject({ from: 'ada', text: 'over an HTTP/2 stream' });
  });
});
