/** Interop with an independent peer: the `ws` package as the client of Tandem's server. */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ServerConnection } from '../../server/socket/server-connection.js';
import { listen, listenEcho, stopAll } from '../helpers/servers.js';
import { pseudoRandomBytes } from '../conformance/cases.js';

afterEach(stopAll);

const clients = new Set<WebSocket>();
afterEach(() => {
  for (const c of clients) c.terminate();
  clients.clear();
});

function open(port: number, protocols?: string[]): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, protocols);
  clients.add(ws);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function nextMessage(ws: WebSocket): Promise<[Buffer, boolean]> {
  return new Promise((resolve) => ws.once('message', (data, isBinary) => resolve([data as Buffer, isBinary])));
}

function serverSide(wss: { once(e: 'connection', l: (ws: ServerConnection) => void): unknown }): Promise<ServerConnection> {
  return new Promise((resolve) => wss.once('connection', resolve));
}

describe('ws client ⇄ Tandem server', () => {
  it('echoes text as text and binary as binary, with no extension negotiated', async () => {
    const { port } = await listenEcho();
    const ws = await open(port);
    expect(ws.extensions).toBe(''); // ws offers permessage-deflate; the server declines for now
    ws.send('héllo wörld');
    const [text, textIsBinary] = await nextMessage(ws);
    expect([text.toString(), textIsBinary]).toEqual(['héllo wörld', false]);
    ws.send(Uint8Array.of(0, 1, 2, 255));
    const [bin, binIsBinary] = await nextMessage(ws);
    expect([bin.toString('hex'), binIsBinary]).toEqual(['000102ff', true]);
  });

  it('keeps 1000 messages in order', async () => {
    const { port } = await listenEcho();
    const ws = await open(port);
    const got: string[] = [];
    const all = new Promise<void>((resolve) => ws.on('message', (d) => got.push(d.toString()) === 1000 && resolve()));
    for (let i = 0; i < 1000; i++) ws.send(`#${i}`);
    await all;
    expect(got).toEqual(Array.from({ length: 1000 }, (_, i) => `#${i}`));
  });

  it('echoes large messages: 16 MiB binary and 4 MiB text', async () => {
    const { port } = await listenEcho();
    const ws = await open(port);
    const big = pseudoRandomBytes(16 * 1024 * 1024, 42);
    ws.send(big);
    const [bin] = await nextMessage(ws);
    expect(bin.equals(big)).toBe(true);
    const text = 'ä'.repeat(2 * 1024 * 1024);
    ws.send(text);
    const [echoed, isBinary] = await nextMessage(ws);
    expect([echoed.toString() === text, isBinary]).toEqual([true, false]);
  });

  it('ping/pong both ways, payloads intact', async () => {
    const { wss, port } = await listen();
    const server = serverSide(wss);
    const ws = await open(port);
    const conn = await server;
    const pong = new Promise<Buffer>((resolve) => ws.once('pong', resolve));
    ws.ping('from ws');
    expect((await pong).toString()).toBe('from ws');
    const serverPong = new Promise<Buffer>((resolve) => conn.once('pong', resolve));
    const wsPing = new Promise<Buffer>((resolve) => ws.once('ping', resolve));
    conn.ping('from tandem');
    expect((await wsPing).toString()).toBe('from tandem');
    expect((await serverPong).toString()).toBe('from tandem');
  });

  it('close codes and reasons travel both ways', async () => {
    const { wss, port } = await listen();
    let server = serverSide(wss);
    let ws = await open(port);
    let conn = await server;
    const serverClosed = new Promise<[number, string]>((resolve) => conn.once('close', (code, reason) => resolve([code, reason.toString()])));
    const wsClosed = new Promise<[number, string]>((resolve) => ws.once('close', (code, reason) => resolve([code, reason.toString()])));
    ws.close(4001, 'client says bye');
    expect(await serverClosed).toEqual([4001, 'client says bye']);
    expect(await wsClosed).toEqual([4001, '']);

    server = serverSide(wss);
    ws = await open(port);
    conn = await server;
    const closed = new Promise<[number, string]>((resolve) => ws.once('close', (code, reason) => resolve([code, reason.toString()])));
    conn.close(4002, 'server says bye');
    expect(await closed).toEqual([4002, 'server says bye']);
  });

  it('server.close() reaches ws as 1001', async () => {
    const { wss, port } = await listen();
    const ws = await open(port);
    const closed = new Promise<number>((resolve) => ws.once('close', resolve));
    await new Promise<void>((resolve) => wss.close(resolve));
    expect(await closed).toBe(1001);
  });

  it('negotiates a subprotocol with ws', async () => {
    const { port } = await listen({ handleProtocols: (offered) => (offered.includes('v2') ? 'v2' : false) });
    const ws = await open(port, ['v1', 'v2']);
    expect(ws.protocol).toBe('v2');
  });

  it('a message over maxPayload closes ws with 1009', async () => {
    const { port } = await listenEcho({ maxPayload: 1024 });
    const ws = await open(port);
    const closed = new Promise<number>((resolve) => ws.once('close', resolve));
    ws.send(Buffer.alloc(1025));
    expect(await closed).toBe(1009);
  });
});
