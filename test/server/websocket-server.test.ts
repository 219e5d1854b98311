import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { WebSocketServer } from '../../server/socket/websocket-server.js';
import type { ServerConnection } from '../../server/socket/server-connection.js';
import { RawClient, closeCodeOf, rawExchange, upgradeRequest } from '../helpers/raw-client.js';
import { listen, stopAll, track } from '../helpers/servers.js';

const httpServers = new Set<Server>();
afterEach(async () => {
  await stopAll();
  await Promise.all(
    [...httpServers].map((s) => new Promise<void>((resolve) => {
      s.closeAllConnections();
      s.close(() => resolve());
    })),
  );
  httpServers.clear();
});

function httpServer(): Promise<{ server: Server; port: number }> {
  const server = createServer((_req, res) => res.end('plain http'));
  httpServers.add(server);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port })));
}

function echoOn(wss: WebSocketServer, tag: string): void {
  wss.on('connection', (ws) => ws.on('message', (d) => ws.send(`${tag}:${d.toString()}`)));
}

async function roundTrip(port: number, path: string, text: string): Promise<string | undefined> {
  const client = await RawClient.connect(port, path);
  client.sendFrame(1, text);
  const frame = await client.next();
  client.destroy();
  return frame?.payload.toString();
}

describe('WebSocketServer modes', () => {
  it('port: listens, calls back, reports its address, and hands out (socket, request)', async () => {
    const listening = new Promise<WebSocketServer>((resolve) => {
      const wss: WebSocketServer = track(new WebSocketServer({ port: 0, host: '127.0.0.1' }, () => resolve(wss)));
    });
    const wss = await listening;
    const { port, address } = wss.address() as AddressInfo;
    expect(address).toBe('127.0.0.1');
    const urls: Array<string | undefined> = [];
    wss.on('connection', (ws, req) => {
      urls.push(req.url);
      ws.send('welcome');
    });
    const client = await RawClient.connect(port, '/room?id=1');
    expect((await client.next())?.payload.toString()).toBe('welcome');
    expect(urls).toEqual(['/room?id=1']);
    expect(wss.clients.size).toBe(1);
    client.destroy();
  });

  it('server + path: handles its path, leaves plain HTTP alone, refuses other paths', async () => {
    const { server, port } = await httpServer();
    const wss = track(new WebSocketServer({ server, path: '/ws' }));
    echoOn(wss, 'ws');
    expect(await roundTrip(port, '/ws?token=1', 'hi')).toBe('ws:hi');
    expect((await rawExchange(port, upgradeRequest('/other'))).split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
    const plain = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(plain.endsWith('plain http')).toBe(true);
  });

  it('two servers on one http.Server split upgrades by path', async () => {
    const { server, port } = await httpServer();
    echoOn(track(new WebSocketServer({ server, path: '/a' })), 'a');
    echoOn(track(new WebSocketServer({ server, path: '/b' })), 'b');
    expect(await roundTrip(port, '/a', 'x')).toBe('a:x');
    expect(await roundTrip(port, '/b', 'y')).toBe('b:y');
  });

  it('noServer + handleUpgrade', async () => {
    const { server, port } = await httpServer();
    const wss = track(new WebSocketServer({ noServer: true }));
    echoOn(wss, 'n');
    server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req)));
    expect(await roundTrip(port, '/', 'z')).toBe('n:z');
    expect(() => wss.address()).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
  });

  it('needs exactly one of port, server and noServer', () => {
    expect(() => new WebSocketServer({})).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(() => new WebSocketServer({ port: 0, noServer: true })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
  });

  it('emits error when the port is taken', async () => {
    const { port } = await listen();
    const wss = track(new WebSocketServer({ port, host: '127.0.0.1' }));
    const err = await new Promise<Error & { code?: string }>((resolve) => wss.once('error', resolve));
    expect(err.code).toBe('EADDRINUSE');
  });

  it('lets a headers listener add response headers', async () => {
    const { wss, port } = await listen();
    wss.on('headers', (headers) => headers.push('X-Server: tandem'));
    const client = await RawClient.connect(port);
    expect(client.response).toContain('\r\nX-Server: tandem\r\n');
    client.destroy();
  });

  it('reports an exception thrown by a connection listener as an error event', async () => {
    const { wss, port } = await listen();
    wss.on('connection', () => {
      throw new Error('listener bug');
    });
    const error = new Promise<Error>((resolve) => wss.once('error', resolve));
    const client = await RawClient.connect(port);
    expect((await error).message).toBe('listener bug');
    client.destroy();
  });
});

describe('WebSocketServer.close', () => {
  it('closes every connection with 1001, stops listening, and calls back once all are gone', async () => {
    const { wss, port } = await listen();
    const clients = await Promise.all([RawClient.connect(port), RawClient.connect(port)]);
    await new Promise((r) => setImmediate(r));
    expect(wss.clients.size).toBe(2);
    const closedCodes: number[] = [];
    for (const ws of wss.clients) ws.on('close', (code: number) => closedCodes.push(code));
    const done = new Promise<void>((resolve) => wss.close(resolve));
    for (const client of clients) {
      const frame = await client.next();
      expect([frame?.opcode, closeCodeOf(frame!)]).toEqual([8, 1001]);
      client.sendClose(1001);
    }
    await done;
    expect(closedCodes).toEqual([1001, 1001]);
    expect(wss.clients.size).toBe(0);
    const refused = await new Promise<string>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.on('error', (e: Error & { code?: string }) => resolve(e.code ?? ''));
      s.on('connect', () => resolve('connected'));
    });
    expect(refused).toBe('ECONNREFUSED');
  });

  it('an attached server keeps listening; new upgrades are not handled after close', async () => {
    const { server, port } = await httpServer();
    const wss = track(new WebSocketServer({ server }));
    const client = await RawClient.connect(port);
    await new Promise<void>((resolve) => {
      wss.close(resolve);
      void client.next().then(() => client.sendClose(1001));
    });
    expect(server.listening).toBe(true);
    const plain = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(plain.endsWith('plain http')).toBe(true);
  });

  it('handleUpgrade after close answers 503', async () => {
    const { server, port } = await httpServer();
    const wss = new WebSocketServer({ noServer: true });
    await new Promise<void>((resolve) => wss.close(resolve));
    let connected: ServerConnection | undefined;
    server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => (connected = ws)));
    expect((await rawExchange(port, upgradeRequest())).split('\r\n')[0]).toBe('HTTP/1.1 503 Service Unavailable');
    expect(connected).toBeUndefined();
  });
});
