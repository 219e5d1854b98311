// The demo server (demo/server.mjs on the built dist/) driven by the project's client over `ws`,
// without a browser, so `npm test` proves the example people copy keeps working.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createClient, type TandemClient } from '../../client/client.js';
import type { WebSocketConstructor } from '../../client/transport.js';
import type { ChatContract, ChatMessage } from '../../demo/contract.js';
import { DemoProcess, freePort } from '../e2e/demo-process.js';

const clients: TandemClient<ChatContract>[] = [];

function join(url: string, name: string, room: string): Promise<TandemClient<ChatContract>> {
  const client = createClient<ChatContract>(url, {
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    network: null,
    reconnect: false,
    auth: { name, room },
  });
  clients.push(client);
  return new Promise((resolve, reject) => {
    client.lifecycle.once('open', () => resolve(client));
    client.lifecycle.once('close', (info) => reject(new Error(`closed ${info.code} ${info.reason}`)));
  });
}

const next = <T>(client: TandemClient<ChatContract>, event: 'message' | 'presence' | 'history') =>
  new Promise<T>((resolve) => {
    const off = client.on(event, (payload) => {
      off();
      resolve(payload as T);
    });
  });

describe('demo server (built) with the project client', () => {
  let demo: DemoProcess;
  let url: string;

  beforeAll(async () => {
    demo = new DemoProcess(await freePort());
    await demo.start();
    url = `ws://127.0.0.1:${demo.port}/chat`;
  });

  afterAll(async () => {
    for (const client of clients) if (client.state !== 'closed') client.close();
    await demo?.kill();
  });

  it('relays messages in a room, tracks presence, answers typed requests and errors', async () => {
    const ada = await join(url, 'ada', 'node');
    const presence = next<{ users: string[] }>(ada, 'presence');
    const bob = await join(url, 'bob', 'node');
    expect((await presence).users).toEqual(['ada', 'bob']);
    const got = next<ChatMessage>(bob, 'message');
    ada.emit('say', { text: 'hi from node' });
    expect(await got).toMatchObject({ from: 'ada', text: 'hi from node' });
    expect(typeof (await ada.request('clock')).now).toBe('number');
    await expect(ada.request('join', { room: 'no spaces' })).rejects.toMatchObject({ code: 'invalid_room' });
    const history = next<{ room: string; messages: ChatMessage[] }>(bob, 'history');
    expect(await bob.request('join', { room: 'other' })).toEqual({ room: 'other', users: ['bob'] });
    expect((await history).room).toBe('other');
  });

  it('refuses a hello without a name with 4401, a "do not come back" code, before the welcome', async () => {
    await expect(join(url, '', 'lobby')).rejects.toThrow(/^closed 4401 a name/);
  });
});
